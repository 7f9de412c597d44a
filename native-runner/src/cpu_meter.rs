//! CPU time of one request, measured by sampling epoch ticks, and the guest's turns on the
//! CPU.
//!
//! A request may wait minutes on a language model, so wall-clock time cannot be its budget;
//! what must be bounded is the time it spends running (a loop that never ends). The engine's
//! epoch advances every tick; with a deadline of one tick, wasmtime calls back at the first
//! check after each advance *while guest code runs*. Two callbacks about a tick apart mean
//! the guest ran across that tick; a longer gap means it was parked waiting on I/O in
//! between, which does not count. This is a sampling profiler's estimate, not an exact
//! count, and it never counts waiting.
//!
//! At every callback the guest yields to the async runtime, so a computing guest never keeps
//! a runtime thread from the requests queued behind it. A guest that has run for
//! [`HEAVY_AFTER`] without calling the host is heavy: it then computes only while it holds a
//! permit of the compute pool, which has fewer permits than the machine has cores, so heavy
//! runs can never take every core from the requests that only wait on I/O. Any call into the
//! host gives the permit back (the guest may be about to wait on a slow client or a store; a
//! permit held across such a wait would stall every other heavy guest).

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use wasmtime::UpdateDeadline;

use crate::request_trace::{LimitHit, RequestTrace};

/// How often the epoch advances; the request deadline is counted in these ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Running this long without waiting on anything makes a request heavy.
pub const HEAVY_AFTER: Duration = Duration::from_millis(50);

/// Permits for heavy guests, shared by every instance.
pub type ComputePool = Arc<Semaphore>;

/// What the meter shares with the futures it hands wasmtime to yield on: when the guest got
/// the CPU back, and the compute permit it holds.
#[derive(Default)]
pub struct Turn {
    resumed: Option<Instant>,
    permit: Option<OwnedSemaphorePermit>,
}

pub type SharedTurn = Arc<Mutex<Turn>>;

/// Gives the compute permit back (the request ended, or the guest went idle).
pub fn release(turn: &SharedTurn) {
    lock(turn).permit = None;
}

fn lock(turn: &SharedTurn) -> std::sync::MutexGuard<'_, Turn> {
    turn.lock().unwrap_or_else(|p| p.into_inner())
}

pub struct CpuMeter {
    budget: Duration,
    busy: Duration,
    /// Running time since the guest last called the host or waited.
    burst: Duration,
    /// Whether a permit may have been handed to this guest since it last gave one back.
    may_hold: bool,
    last: Instant,
    pool: ComputePool,
    turn: SharedTurn,
    trace: Option<Arc<RequestTrace>>,
}

type YieldFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the callback decided, before it is turned into wasmtime's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// The budget is spent: trap.
    Stop,
    /// Let others run, then go on.
    Yield,
    /// Heavy and without a permit: wait for one.
    WaitForPermit,
}

impl CpuMeter {
    pub fn new(budget: Duration, pool: ComputePool, turn: SharedTurn) -> CpuMeter {
        CpuMeter {
            budget,
            busy: Duration::ZERO,
            burst: Duration::ZERO,
            may_hold: false,
            last: Instant::now(),
            pool,
            turn,
            trace: None,
        }
    }

    /// A new request on this instance: a whole budget, no permit.
    pub fn start_request(&mut self, trace: Arc<RequestTrace>) {
        self.busy = Duration::ZERO;
        self.burst = Duration::ZERO;
        self.last = Instant::now();
        self.trace = Some(trace);
        let mut turn = lock(&self.turn);
        turn.permit = None;
        turn.resumed = None;
    }

    /// The guest calls the host (wasmtime's call hook): its burst of computing is over, and
    /// a permit it holds goes back to the pool.
    pub fn host_call(&mut self) {
        self.burst = Duration::ZERO;
        if self.may_hold {
            self.may_hold = false;
            release(&self.turn);
        }
    }

    pub fn turn(&self) -> SharedTurn {
        self.turn.clone()
    }

    fn decide(&mut self, now: Instant) -> Decision {
        let has_permit = {
            let mut turn = lock(&self.turn);
            // Time spent waiting for our turn is not running time: count from the resumption.
            if let Some(resumed) = turn.resumed.take()
                && resumed > self.last
            {
                self.last = resumed;
            }
            turn.permit.is_some()
        };
        let gap = now.saturating_duration_since(self.last);
        self.last = now;
        // Ticks arrive a little late under load; anything well beyond two means a pause.
        if gap <= EPOCH_TICK * 5 / 2 {
            self.busy += gap;
            self.burst += gap;
        } else {
            self.burst = Duration::ZERO;
            if has_permit {
                release(&self.turn);
            }
        }
        if self.busy >= self.budget {
            return Decision::Stop;
        }
        if self.burst >= HEAVY_AFTER && !has_permit {
            self.may_hold = true;
            return Decision::WaitForPermit;
        }
        Decision::Yield
    }

    /// The epoch callback.
    pub fn on_tick(&mut self, now: Instant) -> wasmtime::Result<UpdateDeadline> {
        if self.trace.as_ref().is_some_and(|t| t.is_cancelled()) {
            return Err(wasmtime::Trap::Interrupt.into());
        }
        let wait: YieldFuture = match self.decide(now) {
            Decision::Stop => {
                if let Some(t) = &self.trace {
                    t.hit(LimitHit::Cpu);
                }
                return Err(wasmtime::Trap::Interrupt.into());
            }
            Decision::Yield => {
                let turn = self.turn.clone();
                Box::pin(async move {
                    tokio::task::yield_now().await;
                    lock(&turn).resumed = Some(Instant::now());
                })
            }
            Decision::WaitForPermit => {
                let turn = self.turn.clone();
                let pool = self.pool.clone();
                Box::pin(async move {
                    // The pool is never closed; a closed one would only mean no waiting.
                    let permit = pool.acquire_owned().await.ok();
                    let mut turn = lock(&turn);
                    turn.permit = permit;
                    turn.resumed = Some(Instant::now());
                })
            }
        };
        Ok(UpdateDeadline::YieldCustom(1, wait))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meter(budget: Duration, permits: usize) -> CpuMeter {
        let mut m = CpuMeter::new(
            budget,
            Arc::new(Semaphore::new(permits)),
            SharedTurn::default(),
        );
        m.start_request(Arc::new(RequestTrace::new("t".into())));
        m
    }

    #[test]
    fn running_counts_and_waiting_does_not() {
        let mut m = meter(EPOCH_TICK * 10, 1);
        // A long wait, then one tick after another: only the ticks count.
        let mut t = m.last + Duration::from_secs(60);
        assert_ne!(m.decide(t), Decision::Stop);
        for _ in 0..9 {
            t += EPOCH_TICK;
            assert_ne!(m.decide(t), Decision::Stop);
        }
        t += EPOCH_TICK;
        assert_eq!(
            m.decide(t),
            Decision::Stop,
            "ten busy ticks spend the budget"
        );
    }

    #[test]
    fn short_bursts_between_waits_are_free() {
        let mut m = meter(EPOCH_TICK * 3, 1);
        let mut t = m.last;
        for _ in 0..1000 {
            t += EPOCH_TICK * 4;
            assert_eq!(m.decide(t), Decision::Yield);
        }
    }

    #[test]
    fn a_long_burst_waits_for_a_permit_and_the_wait_is_not_running_time() {
        let mut m = meter(Duration::from_secs(10), 1);
        let mut t = m.last;
        let mut decisions = Vec::new();
        for _ in 0..6 {
            t += EPOCH_TICK;
            decisions.push(m.decide(t));
        }
        assert_eq!(decisions[..4], [Decision::Yield; 4]);
        assert_eq!(decisions[4], Decision::WaitForPermit, "heavy after 50 ms");
        // The permit came after a long wait: the next tick counts from the resumption only,
        // and the burst goes on.
        let busy = m.busy;
        {
            let mut turn = lock(&m.turn);
            turn.permit = Some(m.pool.clone().try_acquire_owned().unwrap());
            turn.resumed = Some(t + Duration::from_secs(5));
        }
        t += Duration::from_secs(5) + EPOCH_TICK;
        assert_eq!(m.decide(t), Decision::Yield);
        assert_eq!(m.busy, busy + EPOCH_TICK);
        // A pause gives the permit back.
        t += Duration::from_secs(1);
        assert_eq!(m.decide(t), Decision::Yield);
        assert_eq!(m.pool.available_permits(), 1);
    }

    #[test]
    fn a_call_into_the_host_gives_the_permit_back_and_ends_the_burst() {
        let mut m = meter(Duration::from_secs(10), 1);
        let mut t = m.last;
        for _ in 0..5 {
            t += EPOCH_TICK;
            m.decide(t);
        }
        assert!(m.may_hold);
        lock(&m.turn).permit = Some(m.pool.clone().try_acquire_owned().unwrap());
        assert_eq!(m.pool.available_permits(), 0);
        m.host_call();
        assert_eq!(
            m.pool.available_permits(),
            1,
            "a guest waiting on I/O holds no permit"
        );
        t += EPOCH_TICK;
        assert_eq!(
            m.decide(t),
            Decision::Yield,
            "light again after the host call"
        );
    }

    #[test]
    fn a_new_request_gets_a_whole_budget_and_no_permit() {
        let mut m = meter(EPOCH_TICK * 2, 1);
        lock(&m.turn).permit = Some(m.pool.clone().try_acquire_owned().unwrap());
        let t = m.last + EPOCH_TICK * 2;
        assert_eq!(m.decide(t), Decision::Stop);
        m.start_request(Arc::new(RequestTrace::new("u".into())));
        assert_eq!(m.pool.available_permits(), 1);
        assert_eq!(m.decide(m.last + EPOCH_TICK), Decision::Yield);
    }
}
