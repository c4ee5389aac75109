//! Parser and evaluator under arbitrary text: an answer or an error,
//! never a panic. Time is bounded by construction (text length, depth and
//! point budget); no timing is asserted. `PROPTEST_CASES` for long runs.

mod common;

use common::{interval, series, Fixed, H};
use mesh_calc::{evaluate, Limits, Settings};
use mesh_timeseries::{CurveType, Resolution};
use proptest::prelude::*;

fn ctx() -> Fixed {
    Fixed {
        target: Some(series(
            &[(0, 1.0, 0), (H, f64::NAN, 0), (2 * H, 3.0, 0)],
            Resolution::Hour,
            CurveType::PiecewiseLinear,
        )),
        ..Fixed::default()
    }
}

const PIECES: &[&str] = &[
    "## = ", "x = ", "x", "##", "@t()", "@t('a')", "@ABS(", "@SUM(", "@NOPE(", "(", ")", "{", "}",
    ",", "+", "-", "*", "/", "^", ">", ">=", "==", "!", "&&", "||", "?", ":", "1", "2.5", "NaN",
    "0", "'s'", "\n", "IF ", " THEN\n", "ENDIF\n", " ", "=", "#", "@", "\"", "1e308", "[",
];

fn config() -> ProptestConfig {
    // Few cases by default so the debug suite stays fast; the environment's
    // PROPTEST_CASES overrides.
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn token_soup_never_panics(pieces in proptest::collection::vec(0..PIECES.len(), 0..60)) {
        let src: String = pieces.iter().map(|&i| PIECES[i]).collect();
        let limits = Limits { max_points: 10_000, ..Limits::default() };
        let _ = evaluate(&src, &ctx(), interval(), &Settings::default(), &limits);
    }

    #[test]
    fn arbitrary_text_never_panics(src in "\\PC{0,200}") {
        let _ = evaluate(&src, &ctx(), interval(), &Settings::default(), &Limits::default());
    }
}
