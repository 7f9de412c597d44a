//! Randomize: `random.shuffle` with the host's entropy.

use super::output::list_out;
use crate::graph::nodes::spec::{Emitted, Props};

/// Random words from the host, fetched a block at a time.
struct Entropy<'a> {
    fill: &'a dyn Fn(&mut [u8]),
    buf: [u8; 256],
    pos: usize,
}

impl Entropy<'_> {
    fn next_u64(&mut self) -> u64 {
        if self.pos + 8 > self.buf.len() {
            (self.fill)(&mut self.buf);
            self.pos = 0;
        }
        let mut word = [0u8; 8];
        word.copy_from_slice(&self.buf[self.pos..self.pos + 8]);
        self.pos += 8;
        u64::from_le_bytes(word)
    }

    /// Uniform in `0..n` (`n > 0`): words from the incomplete last stretch are redrawn.
    fn below(&mut self, n: u64) -> u64 {
        let skew = (u64::MAX % n + 1) % n; // 2^64 mod n
        loop {
            let r = self.next_u64();
            if skew == 0 || r < u64::MAX - skew + 1 {
                return r % n;
            }
        }
    }
}

pub(crate) fn randomize(p: &Props) -> Result<Emitted, String> {
    let mut items = p.list("values").to_vec();
    let mut rng = Entropy {
        fill: p.random,
        buf: [0; 256],
        pos: 256,
    };
    // Fisher-Yates from the end, as `random.shuffle` walks it.
    for i in (1..items.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        items.swap(i, j);
    }
    list_out(items)
}
