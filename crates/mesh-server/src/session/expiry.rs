//! The background task that closes idle sessions.

use std::sync::{Arc, Weak};
use std::time::Duration;

use super::manager::SessionManager;

impl SessionManager {
    /// Starts sweeping for idle sessions. The sweep runs often enough that a
    /// session is gone well within a second of its timeout, and stops by
    /// itself once the manager is dropped.
    pub fn start_expiry(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let period = sweep_period(self.settings().timeout);
        let manager: Weak<SessionManager> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                match manager.upgrade() {
                    Some(manager) => {
                        manager.expire_idle();
                    }
                    None => return,
                }
            }
        })
    }
}

/// A quarter of the timeout, between 10 ms and 250 ms.
fn sweep_period(timeout: Duration) -> Duration {
    (timeout / 4).clamp(Duration::from_millis(10), Duration::from_millis(250))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_often_enough_to_meet_the_one_second_promise() {
        assert_eq!(
            sweep_period(Duration::from_secs(300)),
            Duration::from_millis(250)
        );
        assert_eq!(
            sweep_period(Duration::from_millis(200)),
            Duration::from_millis(50)
        );
        assert_eq!(
            sweep_period(Duration::from_millis(1)),
            Duration::from_millis(10)
        );
    }
}
