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

#[cfg(test)]
mod sweeper_tests {
    use std::time::Instant;

    use super::*;
    use crate::auth::Identity;
    use crate::session::SessionSettings;

    #[tokio::test]
    async fn a_request_longer_than_the_timeout_keeps_its_session() {
        let timeout = Duration::from_millis(50);
        let manager = SessionManager::new(SessionSettings {
            timeout,
            max_sessions: 10,
        });
        let _sweeper = manager.start_expiry();
        let owner = Identity::anonymous();
        let id = manager.start(owner.clone()).unwrap();

        let lease = manager.acquire(id, &owner).unwrap();
        // One request spanning several timeouts and many sweeps.
        tokio::time::sleep(timeout * 5).await;
        assert_eq!(manager.open_sessions(), 1);
        let completed = Instant::now();
        drop(lease);

        let deadline = Instant::now() + Duration::from_secs(20);
        while manager.open_sessions() == 1 {
            assert!(Instant::now() < deadline, "the session never expired");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(completed.elapsed() >= timeout, "expired before its timeout");
        assert!(manager.acquire(id, &owner).is_err());
    }
}
