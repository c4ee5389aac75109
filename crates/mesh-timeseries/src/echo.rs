//! Quoting client input in error messages, within a bound.
//!
//! Error messages name what was wrong, often by repeating what the client
//! sent. gRPC carries a status message in a header, and clients refuse
//! headers past a limit (16 KiB for many): repeating a 100,000-character
//! input whole would turn a precise `INVALID_ARGUMENT` into a transport
//! error. So input is quoted up to [`MAX_ECHO_CHARS`] characters.

use std::borrow::Cow;

/// The most characters of client input repeated in one message.
pub const MAX_ECHO_CHARS: usize = 64;

/// `input` as it may appear in an error message: whole when short, else its
/// first [`MAX_ECHO_CHARS`] characters followed by how many were left out.
pub fn echo(input: &str) -> Cow<'_, str> {
    echo_within(input, MAX_ECHO_CHARS)
}

/// [`echo`] with another bound, for input known to be longer as a rule
/// (a gRPC method path, say) but still sent by the client.
pub fn echo_within(input: &str, max_chars: usize) -> Cow<'_, str> {
    match input.char_indices().nth(max_chars) {
        None => Cow::Borrowed(input),
        Some((cut, _)) => {
            let left_out = input[cut..].chars().count();
            Cow::Owned(format!("{}… ({left_out} more characters)", &input[..cut]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_input_is_quoted_whole() {
        assert_eq!(echo("Europe/Oslo"), "Europe/Oslo");
        assert_eq!(echo(""), "");
        let exactly = "x".repeat(MAX_ECHO_CHARS);
        assert_eq!(echo(&exactly), exactly);
    }

    #[test]
    fn long_input_is_cut_on_a_character_boundary() {
        let long = "ø".repeat(100_000);
        let quoted = echo(&long);
        assert!(quoted.starts_with(&"ø".repeat(MAX_ECHO_CHARS)));
        assert!(quoted.ends_with("… (99936 more characters)"), "{quoted}");
        assert!(quoted.len() < 200);
    }
}
