//! Changing the server's log filter while it runs.
//!
//! `main.rs` installs the log subscriber with its filter behind a
//! [`tracing_subscriber::reload`] layer and keeps the [`LogControl`] that
//! swaps it; the server hands that to `ConfigurationService`
//! (`GetLogLevel`, `UpdateLogLevel`). This module knows nothing of the
//! protobuf types: the service maps its enum to [`LogLevel`].
//!
//! A change may be temporary ([`LogControl::set_for`]): the filter the
//! server started with comes back after the given time, so that a level
//! raised for a look at a problem does not go on filling the disk.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

use crate::log_rate::{LogRate, RateLimited};

/// One level for the whole server, most verbose first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    /// Nothing is logged.
    Off,
}

impl LogLevel {
    /// The level as a filter directive (`RUST_LOG` syntax).
    pub fn directive(self) -> &'static str {
        match self {
            LogLevel::Trace => "trace",
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
            LogLevel::Off => "off",
        }
    }

    fn from_filter(filter: LevelFilter) -> LogLevel {
        match filter {
            LevelFilter::TRACE => LogLevel::Trace,
            LevelFilter::DEBUG => LogLevel::Debug,
            LevelFilter::INFO => LogLevel::Info,
            LevelFilter::WARN => LogLevel::Warn,
            LevelFilter::ERROR => LogLevel::Error,
            _ => LogLevel::Off,
        }
    }
}

/// The filter could not be replaced: the subscriber it belonged to is gone.
#[derive(Debug, thiserror::Error)]
#[error("the log filter cannot be changed: {0}")]
pub struct LogControlError(String);

/// Reads and replaces the filter of a subscriber built with
/// [`LogControl::reloadable`] (or any registry whose filter is a
/// `reload::Layer<EnvFilter, Registry>`). Cheap to clone; all clones
/// control the same filter.
#[derive(Clone, Debug)]
pub struct LogControl {
    handle: reload::Handle<EnvFilter, Registry>,
    /// The filter the server started with, as directives, to return to.
    startup: Arc<str>,
    /// The pending return to `startup`, replaced by every change.
    revert: Arc<Mutex<Option<tokio::task::JoinHandle<()>>>>,
}

impl LogControl {
    /// Wraps the handle of a reloadable filter whose first filter had the
    /// directives `startup`.
    pub fn new(handle: reload::Handle<EnvFilter, Registry>, startup: &str) -> LogControl {
        LogControl {
            handle,
            startup: startup.into(),
            revert: Arc::default(),
        }
    }

    /// A filter layer starting as `filter`, and the control that swaps it.
    /// Put the layer first on a [`Registry`].
    pub fn reloadable(filter: EnvFilter) -> (reload::Layer<EnvFilter, Registry>, LogControl) {
        let startup = filter.to_string();
        let (layer, handle) = reload::Layer::new(filter);
        (layer, LogControl::new(handle, &startup))
    }

    /// Installs the process-wide subscriber: human-readable lines on
    /// stderr, at most `rate` of them (see [`crate::log_rate`]), filtered
    /// by `RUST_LOG` (`info` when unset or unreadable), and returns the
    /// control of that filter.
    pub fn install_stderr(rate: LogRate) -> LogControl {
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
        let (filter, control) = LogControl::reloadable(filter);
        tracing_subscriber::registry()
            .with(filter)
            .with(
                tracing_subscriber::fmt::layer()
                    .with_writer(RateLimited::new(std::io::stderr, rate)),
            )
            .init();
        control
    }

    /// The level in force. When the filter is not one plain level (a
    /// `RUST_LOG` such as `mesh_server=debug,h2=warn`), this is the most
    /// verbose level any of its directives lets through (here `Debug`); a
    /// directive filtering on span field values counts as `Trace`, since
    /// such spans must all be looked at. [`set`](Self::set) replaces the
    /// whole filter, targets and all, with one level.
    pub fn current(&self) -> Result<LogLevel, LogControlError> {
        self.handle
            .with_current(|filter| {
                LogLevel::from_filter(filter.max_level_hint().unwrap_or(LevelFilter::TRACE))
            })
            .map_err(|error| LogControlError(error.to_string()))
    }

    /// Replaces the whole filter with `level`, for every target, until the
    /// next change.
    pub fn set(&self, level: LogLevel) -> Result<(), LogControlError> {
        self.set_for(level, None)
    }

    /// Replaces the whole filter with `level`, for every target; with
    /// `revert_after`, the start-up filter comes back that long after
    /// (unless another change comes first, which replaces this one's
    /// return). Needs a Tokio runtime when `revert_after` is given.
    pub fn set_for(
        &self,
        level: LogLevel,
        revert_after: Option<Duration>,
    ) -> Result<(), LogControlError> {
        let mut revert = self
            .revert
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(pending) = revert.take() {
            pending.abort();
        }
        self.handle
            .reload(EnvFilter::new(level.directive()))
            .map_err(|error| LogControlError(error.to_string()))?;
        if let Some(after) = revert_after {
            let (handle, startup) = (self.handle.clone(), self.startup.clone());
            *revert = Some(tokio::spawn(async move {
                tokio::time::sleep(after).await;
                match handle.reload(EnvFilter::new(&*startup)) {
                    Ok(()) => tracing::warn!(
                        filter = %startup,
                        after = %humantime::format_duration(after),
                        "log level returned to the start-up filter (--log-level-revert-after)"
                    ),
                    Err(error) => tracing::warn!(%error, "the log level could not be returned"),
                }
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A subscriber that is not installed anywhere: its filter is still
    /// reloadable as long as it lives.
    fn controlled(filter: &str) -> (impl tracing::Subscriber, LogControl) {
        let (layer, control) = LogControl::reloadable(EnvFilter::new(filter));
        (tracing_subscriber::registry().with(layer), control)
    }

    #[test]
    fn a_plain_level_is_reported_as_it_is() {
        for (filter, level) in [
            ("trace", LogLevel::Trace),
            ("debug", LogLevel::Debug),
            ("info", LogLevel::Info),
            ("warn", LogLevel::Warn),
            ("error", LogLevel::Error),
            ("off", LogLevel::Off),
        ] {
            let (_subscriber, control) = controlled(filter);
            assert_eq!(control.current().unwrap(), level, "{filter}");
        }
    }

    #[test]
    fn a_composite_filter_reports_its_most_verbose_directive() {
        let (_subscriber, control) = controlled("mesh_server=debug,h2=warn");
        assert_eq!(control.current().unwrap(), LogLevel::Debug);
        let (_subscriber, control) = controlled("warn,mesh_server[commit]=trace");
        assert_eq!(control.current().unwrap(), LogLevel::Trace);
    }

    #[test]
    fn set_replaces_the_whole_filter() {
        let (_subscriber, control) = controlled("mesh_server=debug,h2=warn");
        for level in [
            LogLevel::Warn,
            LogLevel::Trace,
            LogLevel::Off,
            LogLevel::Info,
        ] {
            control.set(level).unwrap();
            assert_eq!(control.current().unwrap(), level);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_temporary_level_returns_to_the_start_up_filter() {
        let (_subscriber, control) = controlled("mesh_server=debug,h2=warn");
        control
            .set_for(LogLevel::Trace, Some(Duration::from_secs(60)))
            .unwrap();
        tokio::time::sleep(Duration::from_secs(59)).await;
        assert_eq!(control.current().unwrap(), LogLevel::Trace);
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(control.current().unwrap(), LogLevel::Debug);
    }

    #[tokio::test(start_paused = true)]
    async fn a_later_change_replaces_the_pending_return() {
        let (_subscriber, control) = controlled("info");
        control
            .set_for(LogLevel::Trace, Some(Duration::from_secs(60)))
            .unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        control
            .set_for(LogLevel::Debug, Some(Duration::from_secs(60)))
            .unwrap();
        tokio::time::sleep(Duration::from_secs(45)).await;
        assert_eq!(control.current().unwrap(), LogLevel::Debug);
        tokio::time::sleep(Duration::from_secs(20)).await;
        assert_eq!(control.current().unwrap(), LogLevel::Info);
        // A permanent change stays.
        control.set(LogLevel::Warn).unwrap();
        tokio::time::sleep(Duration::from_secs(24 * 3600)).await;
        assert_eq!(control.current().unwrap(), LogLevel::Warn);
    }

    #[test]
    fn a_filter_whose_subscriber_is_gone_cannot_be_changed() {
        let (subscriber, control) = controlled("info");
        drop(subscriber);
        assert!(control.set(LogLevel::Debug).is_err());
        assert!(control.current().is_err());
    }
}
