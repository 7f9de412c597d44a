//! CPU time of one request, measured by sampling epoch ticks.
//!
//! A request may wait minutes on a language model, so wall-clock time cannot be its budget;
//! what must be bounded is the time it spends running (a loop that never ends). The engine's
//! epoch advances every tick; with a deadline of one tick, wasmtime calls back at the first
//! check after each advance *while guest code runs*. Two callbacks about a tick apart mean
//! the guest ran across that tick; a longer gap means it was parked waiting on I/O in
//! between, which does not count. This is a sampling profiler's estimate, not an exact
//! count, and it never counts waiting.

use std::time::{Duration, Instant};

use wasmtime::UpdateDeadline;

use crate::component::EPOCH_TICK;

pub struct CpuMeter {
    budget: Duration,
    busy: Duration,
    last: Instant,
}

impl CpuMeter {
    pub fn new(budget: Duration) -> CpuMeter {
        CpuMeter {
            budget,
            busy: Duration::ZERO,
            last: Instant::now(),
        }
    }

    /// The epoch callback: count the time since the last tick if the guest ran through it,
    /// then trap once the budget is spent.
    pub fn on_tick(&mut self, now: Instant) -> wasmtime::Result<UpdateDeadline> {
        let gap = now.saturating_duration_since(self.last);
        self.last = now;
        // Ticks arrive a little late under load; anything well beyond two means a pause.
        if gap <= EPOCH_TICK * 5 / 2 {
            self.busy += gap;
        }
        if self.busy >= self.budget {
            return Err(wasmtime::Trap::Interrupt.into());
        }
        Ok(UpdateDeadline::Continue(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_counts_and_waiting_does_not() {
        let start = Instant::now();
        let mut m = CpuMeter {
            budget: EPOCH_TICK * 10,
            busy: Duration::ZERO,
            last: start,
        };
        // A long wait, then one tick after another: only the ticks count.
        let mut t = start + Duration::from_secs(60);
        assert!(m.on_tick(t).is_ok());
        for _ in 0..9 {
            t += EPOCH_TICK;
            assert!(m.on_tick(t).is_ok());
        }
        t += EPOCH_TICK;
        assert!(m.on_tick(t).is_err(), "ten busy ticks spend the budget");
    }

    #[test]
    fn short_bursts_between_waits_are_free() {
        let start = Instant::now();
        let mut m = CpuMeter {
            budget: EPOCH_TICK * 3,
            busy: Duration::ZERO,
            last: start,
        };
        let mut t = start;
        for _ in 0..1000 {
            t += EPOCH_TICK * 4;
            assert!(m.on_tick(t).is_ok());
        }
    }
}
