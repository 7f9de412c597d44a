//! Request bodies on a deadline. A body that stops arriving for the idle timeout, or arrives
//! slower than the minimum rate, ends with an error the component sees as a read timeout,
//! and the client gets 408.
//!
//! A request takes an instance slot only once its body is complete or has delivered
//! [`PREFETCH`] bytes: a client that sends headers and then nothing (or a trickle) never
//! holds an instance, so a crowd of stalled uploads cannot starve everyone else. JSON bodies
//! are small and arrive whole before any instance is involved.

use std::collections::VecDeque;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::time::Instant;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use http_body_util::BodyExt;
use wasmtime_wasi_http::Error;

use crate::refusal::Refusal;

/// Bytes of a body read before the request takes an instance slot.
pub const PREFETCH: usize = 64 * 1024;

#[derive(Debug, Clone, Copy)]
pub struct BodyLimits {
    /// Longest wait for the next bytes of a body.
    pub idle: Duration,
    /// Bytes per second a body must average once it has been arriving for `idle`; 0 turns
    /// the check off.
    pub min_rate: u64,
}

/// Where a body that broke its limits leaves the refusal for the dispatcher.
pub type Verdict = Arc<Mutex<Option<Refusal>>>;

pub struct GuardedBody<B> {
    prefetched: VecDeque<Frame<Bytes>>,
    inner: Option<B>,
    limits: BodyLimits,
    started: Instant,
    received: u64,
    idle: Pin<Box<tokio::time::Sleep>>,
    verdict: Verdict,
}

impl<B> GuardedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Error>,
{
    pub fn new(inner: B, limits: BodyLimits) -> GuardedBody<B> {
        let done = inner.is_end_stream();
        GuardedBody {
            prefetched: VecDeque::new(),
            inner: (!done).then_some(inner),
            limits,
            started: Instant::now(),
            received: 0,
            idle: Box::pin(tokio::time::sleep(limits.idle)),
            verdict: Verdict::default(),
        }
    }

    pub fn verdict(&self) -> Verdict {
        self.verdict.clone()
    }

    /// Reads until the body is complete or [`PREFETCH`] bytes wait in memory. `Err` is the
    /// refusal to answer with: the body broke a limit, or the client went away.
    pub async fn prefetch(&mut self) -> Result<(), Refusal> {
        let mut buffered = 0usize;
        let mut frames = VecDeque::new();
        while buffered < PREFETCH && self.inner.is_some() {
            match self.frame().await {
                Some(Ok(frame)) => {
                    buffered += frame.data_ref().map_or(0, Bytes::len);
                    frames.push_back(frame);
                }
                Some(Err(_)) => {
                    let refusal = self
                        .verdict
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .take();
                    return Err(refusal.unwrap_or(Refusal::BodyIncomplete));
                }
                None => break,
            }
        }
        self.prefetched = frames;
        Ok(())
    }

    fn refuse(&mut self, refusal: Refusal) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        self.inner = None;
        *self.verdict.lock().unwrap_or_else(|p| p.into_inner()) = Some(refusal);
        Poll::Ready(Some(Err(Error::ConnectionReadTimeout)))
    }
}

impl<B> Body for GuardedBody<B>
where
    B: Body<Data = Bytes> + Unpin,
    B::Error: Into<Error>,
{
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Error>>> {
        if let Some(frame) = self.prefetched.pop_front() {
            return Poll::Ready(Some(Ok(frame)));
        }
        let Some(inner) = self.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match Pin::new(inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let n = frame.data_ref().map_or(0, Bytes::len) as u64;
                self.received += n;
                let elapsed = self.started.elapsed();
                let limits = self.limits;
                if limits.min_rate > 0
                    && elapsed >= limits.idle
                    && (self.received as f64) < limits.min_rate as f64 * elapsed.as_secs_f64()
                {
                    return self.refuse(Refusal::BodyTooSlow(limits.min_rate));
                }
                if n > 0 {
                    let at = tokio::time::Instant::now() + limits.idle;
                    self.idle.as_mut().reset(at);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                self.inner = None;
                Poll::Ready(Some(Err(e.into())))
            }
            Poll::Ready(None) => {
                self.inner = None;
                Poll::Ready(None)
            }
            Poll::Pending => {
                if self.idle.as_mut().poll(cx).is_ready() {
                    let idle = self.limits.idle;
                    return self.refuse(Refusal::BodyStalled(idle));
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.prefetched.is_empty() && self.inner.as_ref().is_none_or(B::is_end_stream)
    }

    fn size_hint(&self) -> SizeHint {
        let waiting: u64 = self
            .prefetched
            .iter()
            .map(|f| f.data_ref().map_or(0, |d| d.len() as u64))
            .sum();
        let rest = self
            .inner
            .as_ref()
            .map_or_else(|| SizeHint::with_exact(0), B::size_hint);
        let mut hint = SizeHint::new();
        hint.set_lower(rest.lower() + waiting);
        if let Some(upper) = rest.upper() {
            hint.set_upper(upper + waiting);
        }
        hint
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use futures::StreamExt;
    use futures::channel::mpsc;
    use http_body_util::StreamBody;

    use super::*;

    type Chunks = StreamBody<
        futures::stream::Map<
            mpsc::UnboundedReceiver<Bytes>,
            fn(Bytes) -> Result<Frame<Bytes>, Infallible>,
        >,
    >;

    /// A body fed by a channel, so a test decides when bytes arrive.
    fn channel_body() -> (mpsc::UnboundedSender<Bytes>, Chunks) {
        let (tx, rx) = mpsc::unbounded();
        let frames = rx.map(data_frame as fn(Bytes) -> Result<Frame<Bytes>, Infallible>);
        (tx, StreamBody::new(frames))
    }

    fn data_frame(b: Bytes) -> Result<Frame<Bytes>, Infallible> {
        Ok(Frame::data(b))
    }

    const LIMITS: BodyLimits = BodyLimits {
        idle: Duration::from_millis(200),
        min_rate: 0,
    };

    #[tokio::test(start_paused = true)]
    async fn a_body_that_stops_is_refused_after_the_idle_timeout() {
        let (tx, body) = channel_body();
        tx.unbounded_send(Bytes::from_static(b"abc")).unwrap();
        let mut g = GuardedBody::new(body, LIMITS);
        assert_eq!(
            g.prefetch().await,
            Err(Refusal::BodyStalled(LIMITS.idle)),
            "three bytes, then nothing"
        );
        drop(tx);
    }

    #[tokio::test(start_paused = true)]
    async fn a_small_body_is_read_whole_before_an_instance_is_needed() {
        let (tx, body) = channel_body();
        tx.unbounded_send(Bytes::from_static(b"{\"a\":")).unwrap();
        tx.unbounded_send(Bytes::from_static(b"1}")).unwrap();
        drop(tx);
        let mut g = GuardedBody::new(body, LIMITS);
        g.prefetch().await.unwrap();
        assert!(g.inner.is_none());
        let whole = g.collect().await.unwrap().to_bytes();
        assert_eq!(&whole[..], b"{\"a\":1}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_trickle_is_refused_for_its_rate() {
        let (tx, body) = channel_body();
        let limits = BodyLimits {
            idle: Duration::from_millis(500),
            min_rate: 100,
        };
        let mut g = GuardedBody::new(body, limits);
        let feeder = tokio::spawn(async move {
            // 10 bytes every 200 ms: 50 bytes per second, under the minimum of 100.
            for _ in 0..50 {
                if tx
                    .unbounded_send(Bytes::from_static(b"0123456789"))
                    .is_err()
                {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        });
        assert_eq!(g.prefetch().await, Err(Refusal::BodyTooSlow(100)));
        feeder.abort();
    }

    #[tokio::test(start_paused = true)]
    async fn a_large_body_stops_prefetching_at_the_threshold() {
        let (tx, body) = channel_body();
        for _ in 0..20 {
            tx.unbounded_send(Bytes::from(vec![7u8; 16 * 1024]))
                .unwrap();
        }
        let mut g = GuardedBody::new(body, LIMITS);
        g.prefetch().await.unwrap();
        let held: usize = g
            .prefetched
            .iter()
            .map(|f| f.data_ref().unwrap().len())
            .sum();
        assert_eq!(held, PREFETCH);
        drop(tx);
        let whole = g.collect().await.unwrap().to_bytes();
        assert_eq!(whole.len(), 20 * 16 * 1024);
    }
}
