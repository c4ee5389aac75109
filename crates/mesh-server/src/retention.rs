//! Pruning series history older than `--history-retention`.
//!
//! The store keeps every commit's writes; with a retention set, the server
//! drops those of commits older than it, on a period of a tenth of the
//! retention (between 100 ms and an hour), so history never outlives the
//! retention by more than a tenth. The current state is never touched.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mesh_storage::StoreHandle;

/// How often the pruning runs for `retention`.
pub fn period(retention: Duration) -> Duration {
    (retention / 10).clamp(Duration::from_millis(100), Duration::from_secs(3600))
}

/// Prunes, every [`period`], the history of commits made more than
/// `retention` ago. Runs until aborted; a failure is logged and tried
/// again on the next round.
pub async fn prune_forever(store: StoreHandle, retention: Duration) {
    let mut ticks = tokio::time::interval(period(retention));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let horizon =
            now_ms.saturating_sub(i64::try_from(retention.as_millis()).unwrap_or(i64::MAX));
        match store.prune_history(horizon).await {
            Ok(0) => {}
            Ok(dropped) => tracing::debug!(dropped, horizon_ms = horizon, "history pruned"),
            Err(error) => tracing::warn!(%error, "pruning history failed; trying again later"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_period_is_a_tenth_of_the_retention_within_bounds() {
        assert_eq!(period(Duration::from_secs(60)), Duration::from_secs(6));
        assert_eq!(
            period(Duration::from_millis(10)),
            Duration::from_millis(100)
        );
        assert_eq!(
            period(Duration::from_secs(365 * 86_400)),
            Duration::from_secs(3600)
        );
    }
}
