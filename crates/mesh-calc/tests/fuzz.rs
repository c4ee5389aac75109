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

/// Arguments of every type and of the shapes functions look for: series,
/// arrays, numbers at the edges, resolutions, methods, zones, time
/// specifications, options.
const ARGUMENTS: &[&str] = &[
    "@t()",
    "@t('a')",
    "@T()",
    "{1, 2}",
    "{}",
    "1",
    "0",
    "-3.5",
    "NaN",
    "1e308",
    "-1e308",
    "3",
    "1000001",
    "'HOUR'",
    "'DAY'",
    "'MIN'",
    "'VARINT'",
    "'SUM'",
    "'AVGI'",
    "'UTC'",
    "'LOCAL'",
    "'+2h'",
    "'-1d'",
    "'>'",
    "'<'",
    "'LINEAR'",
    "'x'",
    "'UTC20250101'",
    "'SOP'",
    "'YEAR+1m'",
    "''",
    "@TS('HOUR', 1)",
    "'notok|MANUAL'",
    "'REMOVE'",
    "'FALSE'",
];

proptest! {
    #![proptest_config(config())]

    #[test]
    fn every_function_with_arbitrary_arguments_never_panics(
        function in 0..mesh_calc::functions::all().count(),
        args in proptest::collection::vec(0..ARGUMENTS.len(), 0..6),
    ) {
        let name = mesh_calc::functions::all().nth(function).map(|f| f.name).unwrap_or("ABS");
        let args: Vec<&str> = args.iter().map(|&i| ARGUMENTS[i]).collect();
        let src = format!("## = @{name}({})", args.join(", "));
        let limits = Limits { max_points: 100_000, ..Limits::default() };
        let _ = evaluate(&src, &ctx(), interval(), &Settings::default(), &limits);
    }

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
