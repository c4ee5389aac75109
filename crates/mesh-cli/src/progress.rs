//! A progress bar with rate and time left, on stderr, only when stderr is
//! a terminal: scripts and logs get no control characters.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What the bar counts.
pub enum Unit {
    /// Bytes of a file read.
    Bytes,
    /// Rows of a file read.
    Rows,
    /// Milliseconds of an interval done (the bar shows points written).
    Time,
}

/// A progress bar over `total` units, hidden when stderr is no terminal.
pub fn bar(total: u64, unit: Unit) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = match unit {
        Unit::Bytes => "{bar:30} {percent:>3}% {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} {msg} ETA {eta}",
        Unit::Rows => "{bar:30} {percent:>3}% {human_pos}/{human_len} rows {per_sec} {msg} ETA {eta}",
        Unit::Time => "{bar:30} {percent:>3}% {msg} ETA {eta}",
    };
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}
