//! Where the Microsoft 365 source reads the time and waits: the system clock in production, a
//! simulator's clock in tests and benchmarks (so 10-minute throttling windows pass in no time).

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::time::Duration;

#[async_trait::async_trait]
pub trait PacingClock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    /// Waits `duration` on this clock.
    async fn sleep(&self, duration: Duration);
}

/// The system clock and tokio's timer.
pub struct SystemClock;

#[async_trait::async_trait]
impl PacingClock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

pub fn system_clock() -> Arc<dyn PacingClock> {
    Arc::new(SystemClock)
}
