//! A stored object's bytes as a streamed body: one chunk is read from the store when the host
//! asks for the next piece, which it does only once the client has taken the last one. A slow
//! reader of a large object therefore costs one chunk of memory, not the object.
//!
//! The object may be replaced while it streams; its old chunks are then removed, and the body
//! ends early. The client sees fewer bytes than `Content-Length` said (a failed download),
//! never a mix of two versions.

use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Frame, SizeHint};

use super::blob_store::{BlobMeta, chunk_key, piece_of};
use crate::host::{ChunkRead as Pending, ChunkSource};

pub struct BlobStream {
    source: Rc<dyn ChunkSource>,
    upload: String,
    chunk_size: u64,
    start: u64,
    end: u64,
    /// The next chunk to read, and the last one.
    next: u64,
    last: u64,
    pending: Option<Pending>,
    left: u64,
}

impl BlobStream {
    /// Bytes `start..=end` of the object `meta` describes (`start <= end < meta.size`).
    pub fn new(source: Rc<dyn ChunkSource>, meta: &BlobMeta, start: u64, end: u64) -> Self {
        let cs = meta.chunk_size.max(1);
        BlobStream {
            source,
            upload: meta.upload.clone(),
            chunk_size: cs,
            start,
            end,
            next: start / cs,
            last: end / cs,
            pending: None,
            left: end - start + 1,
        }
    }

    fn finish(&mut self) -> Poll<Option<Result<Frame<Bytes>, std::convert::Infallible>>> {
        self.next = self.last + 1;
        self.pending = None;
        self.left = 0;
        Poll::Ready(None)
    }
}

impl http_body::Body for BlobStream {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if this.next > this.last {
            return Poll::Ready(None);
        }
        let n = this.next;
        let pending = this.pending.get_or_insert_with(|| {
            let key = chunk_key(&this.upload, n);
            this.source.get(key)
        });
        let chunk = match pending.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Ok(Some(chunk))) => chunk,
            // Missing (replaced meanwhile) or unreadable: end short, as the module says.
            Poll::Ready(_) => return this.finish(),
        };
        this.pending = None;
        let Some(piece) = piece_of(&chunk, n, this.chunk_size, this.start, this.end) else {
            return this.finish();
        };
        let whole = piece.len() == chunk.len();
        let piece = if whole {
            // The usual case, a whole chunk: handed on without a copy.
            Bytes::from(chunk)
        } else {
            Bytes::copy_from_slice(piece)
        };
        this.next += 1;
        this.left = this.left.saturating_sub(piece.len() as u64);
        Poll::Ready(Some(Ok(Frame::data(piece))))
    }

    fn is_end_stream(&self) -> bool {
        self.next > self.last
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.left)
    }
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::HashMap;

    use http_body::Body as _;
    use http_body_util::BodyExt;

    use super::*;

    struct Chunks(RefCell<HashMap<String, Vec<u8>>>);

    impl ChunkSource for Chunks {
        fn get(&self, key: String) -> Pending {
            let v = self.0.borrow().get(&key).cloned();
            Box::pin(std::future::ready(Ok(v)))
        }
    }

    fn object(chunks: &[&[u8]]) -> (Rc<Chunks>, BlobMeta) {
        let map = chunks
            .iter()
            .enumerate()
            .map(|(n, c)| (chunk_key("u1", n as u64), c.to_vec()))
            .collect();
        let meta = BlobMeta {
            format: 1,
            size: chunks.iter().map(|c| c.len() as u64).sum(),
            chunk_size: 4,
            upload: "u1".into(),
            modified: 0,
        };
        (Rc::new(Chunks(RefCell::new(map))), meta)
    }

    fn collect(body: BlobStream) -> Vec<u8> {
        let fut = body.collect();
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut fut = std::pin::pin!(fut);
        match fut.as_mut().poll(&mut cx) {
            Poll::Ready(Ok(c)) => c.to_bytes().to_vec(),
            _ => panic!("ready at once"),
        }
    }

    #[test]
    fn streams_a_range_across_chunks_one_chunk_at_a_time() {
        let (src, meta) = object(&[b"abcd", b"efgh", b"ij"]);
        let whole = BlobStream::new(src.clone(), &meta, 0, 9);
        assert_eq!(whole.size_hint().exact(), Some(10));
        assert_eq!(collect(whole), b"abcdefghij");
        assert_eq!(collect(BlobStream::new(src, &meta, 3, 8)), b"defghi");
    }

    #[test]
    fn a_chunk_removed_meanwhile_ends_the_body_short() {
        let (src, meta) = object(&[b"abcd", b"efgh", b"ij"]);
        src.0.borrow_mut().remove(&chunk_key("u1", 1));
        assert_eq!(collect(BlobStream::new(src, &meta, 0, 9)), b"abcd");
    }
}
