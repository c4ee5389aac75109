//! Time specifications (calc notes §2.5): absolute times, macros relative
//! to now or to the period, calendar prefixes.
