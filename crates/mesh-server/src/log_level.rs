//! Changing the server's log filter while it runs.
//!
//! `main.rs` installs the log subscriber with its filter behind a
//! [`tracing_subscriber::reload`] layer and keeps the [`LogControl`] that
//! swaps it; the server hands that to `ConfigurationService`
//! (`GetLogLevel`, `UpdateLogLevel`). This module knows nothing of the
//! protobuf types: the service maps its enum to [`LogLevel`].

use tracing::level_filters::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Registry};

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
}

impl LogControl {
    /// Wraps the handle of a reloadable filter.
    pub fn new(handle: reload::Handle<EnvFilter, Registry>) -> LogControl {
        LogControl { handle }
    }

    /// A filter layer starting as `filter`, and the control that swaps it.
    /// Put the layer first on a [`Registry`].
    pub fn reloadable(filter: EnvFilter) -> (reload::Layer<EnvFilter, Registry>, LogControl) {
        let (layer, handle) = reload::Layer::new(filter);
        (layer, LogControl::new(handle))
    }

    /// Installs the process-wide subscriber: human-readable lines on
    /// stderr, filtered by `RUST_LOG` (`info` when unset or unreadable),
    /// and returns the control of that filter.
    pub fn install_stderr() -> LogControl {
        let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
        let (filter, control) = LogControl::reloadable(filter);
        tracing_subscriber::registry()
            .with(filter)
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
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

    /// Replaces the whole filter with `level`, for every target.
    pub fn set(&self, level: LogLevel) -> Result<(), LogControlError> {
        self.handle
            .reload(EnvFilter::new(level.directive()))
            .map_err(|error| LogControlError(error.to_string()))
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

    #[test]
    fn a_filter_whose_subscriber_is_gone_cannot_be_changed() {
        let (subscriber, control) = controlled("info");
        drop(subscriber);
        assert!(control.set(LogLevel::Debug).is_err());
        assert!(control.current().is_err());
    }
}
