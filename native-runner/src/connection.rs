//! One client connection: what it has been doing, so one idle past the keep-alive timeout is
//! closed, and a socket wrapper that notices every byte read.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// Shared by the socket wrapper, the request handler and the connection's watchdog.
pub struct Activity {
    opened: Instant,
    /// Milliseconds after `opened` of the last byte read or answer given.
    last_ms: AtomicU64,
    /// Requests whose answer head is not yet out.
    busy: AtomicUsize,
}

impl Activity {
    pub fn new() -> Activity {
        Activity {
            opened: Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = self.opened.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    pub fn request_started(&self) {
        self.busy.fetch_add(1, Ordering::Relaxed);
        self.touch();
    }

    pub fn request_answered(&self) {
        self.busy.fetch_sub(1, Ordering::Relaxed);
        self.touch();
    }

    /// When the connection becomes idle too long if nothing happens before; `None` while a
    /// request is being answered.
    pub fn idle_deadline(&self, keep_alive: Duration) -> Option<Instant> {
        if self.busy.load(Ordering::Relaxed) > 0 {
            return None;
        }
        let last = self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        Some(last + keep_alive)
    }
}

/// A socket that records each successful read in its [`Activity`].
pub struct WatchedIo<S> {
    inner: S,
    activity: std::sync::Arc<Activity>,
}

impl<S> WatchedIo<S> {
    pub fn new(inner: S, activity: std::sync::Arc<Activity>) -> WatchedIo<S> {
        WatchedIo { inner, activity }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for WatchedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for WatchedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connection_is_idle_only_between_requests() {
        let a = Activity::new();
        let keep = Duration::from_secs(5);
        let first = a.idle_deadline(keep).unwrap();
        assert!(first <= Instant::now() + keep);
        a.request_started();
        assert_eq!(a.idle_deadline(keep), None);
        a.request_answered();
        assert!(a.idle_deadline(keep).unwrap() >= first);
    }
}
