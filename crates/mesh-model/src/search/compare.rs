//! Comparing one attribute value with a criterion's literal.
//!
//! A literal has no type of its own: it is read as the type of the value it
//! is compared with (an integer, a double, `true`/`false`, a time or text).
//! A literal that cannot be read as that type matches nothing, so
//! `[.Count=abc]` is false for every integer rather than an error: the same
//! criterion may meet values of different types on different objects.

use std::cmp::Ordering;

use super::ast::{CompareOp, Comparison};
use super::SearchValue;

/// Whether `value` satisfies `comparison` (`ignore_case` under `{i}`).
pub(crate) fn value_matches(
    value: SearchValue<'_>,
    comparison: &Comparison,
    ignore_case: bool,
) -> bool {
    let literal = comparison.literal.as_str();
    match value {
        SearchValue::String(text) => text_matches(text, comparison, ignore_case),
        // `~` and `#` are about text; numbers, flags and times have none.
        _ if matches!(comparison.op, CompareOp::Contains | CompareOp::Matches) => false,
        SearchValue::Int(number) => {
            let ordering = match literal.parse::<i64>() {
                Ok(wanted) => Some(number.cmp(&wanted)),
                // `[.Count>2.5]` on an integer compares as doubles.
                Err(_) => literal
                    .parse::<f64>()
                    .ok()
                    .and_then(|wanted| (number as f64).partial_cmp(&wanted)),
            };
            ordering_satisfies(ordering, comparison.op)
        }
        SearchValue::Double(number) => {
            let ordering = literal
                .parse::<f64>()
                .ok()
                .and_then(|wanted| number.partial_cmp(&wanted));
            ordering_satisfies(ordering, comparison.op)
        }
        SearchValue::Bool(flag) => {
            let wanted = if literal.eq_ignore_ascii_case("true") {
                Some(true)
            } else if literal.eq_ignore_ascii_case("false") {
                Some(false)
            } else {
                None
            };
            ordering_satisfies(wanted.map(|wanted| flag.cmp(&wanted)), comparison.op)
        }
        SearchValue::UtcTime(ticks) => {
            let wanted = parse_time(literal).or_else(|| literal.parse::<i64>().ok());
            ordering_satisfies(wanted.map(|wanted| ticks.cmp(&wanted)), comparison.op)
        }
    }
}

fn text_matches(text: &str, comparison: &Comparison, ignore_case: bool) -> bool {
    let literal = comparison.literal.as_str();
    match comparison.op {
        // Compiled with the case option already.
        CompareOp::Matches => comparison
            .regex
            .as_ref()
            .is_some_and(|regex| regex.is_match(text)),
        CompareOp::Contains if ignore_case => text.to_lowercase().contains(&literal.to_lowercase()),
        CompareOp::Contains => text.contains(literal),
        _ if ignore_case => {
            let ordering = text.to_lowercase().cmp(&literal.to_lowercase());
            ordering_satisfies(Some(ordering), comparison.op)
        }
        _ => ordering_satisfies(Some(text.cmp(literal)), comparison.op),
    }
}

/// Whether the value's order relative to the literal is what `op` asks;
/// `None` (incomparable) satisfies nothing.
fn ordering_satisfies(ordering: Option<Ordering>, op: CompareOp) -> bool {
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        CompareOp::Eq => ordering == Ordering::Equal,
        CompareOp::Lt => ordering == Ordering::Less,
        CompareOp::Le => ordering != Ordering::Greater,
        CompareOp::Gt => ordering == Ordering::Greater,
        CompareOp::Ge => ordering != Ordering::Less,
        CompareOp::Contains | CompareOp::Matches => false,
    }
}

const TICKS_PER_SECOND: i64 = 10_000_000;

/// Reads a UTC time literal: `YYYY-MM-DD`, optionally followed by `T` (or a
/// space) and `HH:MM`, `HH:MM:SS` or `HH:MM:SS.fffffff`, optionally ending
/// in `Z`. Answers 100-nanosecond ticks since 1970-01-01T00:00:00Z.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z').unwrap_or(text);
    let (date, time) = match text.find(['T', ' ']) {
        Some(split) => (&text[..split], Some(&text[split + 1..])),
        None => (text, None),
    };
    let mut date_parts = date.splitn(3, '-');
    let year: i64 = number(date_parts.next()?, 4)?;
    let month: i64 = number(date_parts.next()?, 2)?;
    let day: i64 = number(date_parts.next()?, 2)?;
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut seconds = days_from_civil(year, month, day) * 86_400;
    let mut fraction_ticks = 0;
    if let Some(time) = time {
        let (clock, fraction) = match time.split_once('.') {
            Some((clock, fraction)) => (clock, Some(fraction)),
            None => (time, None),
        };
        let mut clock_parts = clock.splitn(3, ':');
        let hour: i64 = number(clock_parts.next()?, 2)?;
        let minute: i64 = number(clock_parts.next()?, 2)?;
        let second: i64 = match clock_parts.next() {
            Some(second) => number(second, 2)?,
            None if fraction.is_none() => 0,
            None => return None,
        };
        if hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        seconds += hour * 3600 + minute * 60 + second;
        if let Some(fraction) = fraction {
            // Up to the 7 digits a tick can hold.
            if fraction.is_empty()
                || fraction.len() > 7
                || !fraction.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let digits: i64 = fraction.parse().ok()?;
            fraction_ticks = digits * 10_i64.pow(7 - fraction.len() as u32);
        }
    }
    seconds
        .checked_mul(TICKS_PER_SECOND)?
        .checked_add(fraction_ticks)
}

/// A field of exactly `width` ASCII digits.
fn number(text: &str, width: usize) -> Option<i64> {
    if text.len() != width || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date: whole
/// 400-year cycles (146 097 days each) counted from 0000-03-01, with the
/// year starting in March so that the leap day falls at its end.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let cycle = year.div_euclid(400);
    let year_of_cycle = year.rem_euclid(400);
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_cycle = year_of_cycle * 365 + year_of_cycle / 4 - year_of_cycle / 100 + day_of_year;
    // 719 468 days from 0000-03-01 to 1970-01-01.
    cycle * 146_097 + day_of_cycle - 719_468
}
