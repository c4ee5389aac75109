//! Changing a series' resolution (calc notes §4.1): the kernel under
//! `@TRANSFORM` and the server's `ReadTransformedTimeseries`.
