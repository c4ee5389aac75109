//! Timing helpers shared by the benchmarks that time whole calls.

use std::future::Future;
use std::time::{Duration, Instant};

/// The median of `repeat` runs of `job`, in seconds, after one warm-up run.
pub async fn median<F, Fut>(repeat: u64, mut job: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    job().await?; // warm-up
    let mut times = Vec::new();
    for _ in 0..repeat {
        let started = Instant::now();
        job().await?;
        times.push(started.elapsed().as_secs_f64());
    }
    Ok(middle(times))
}

/// The median of `times` (not empty).
pub fn middle(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// Runs `job` once and returns how long it took, with its result.
pub async fn timed<T, Fut>(job: Fut) -> anyhow::Result<(Duration, T)>
where
    Fut: Future<Output = anyhow::Result<T>>,
{
    let started = Instant::now();
    let out = job.await?;
    Ok((started.elapsed(), out))
}
