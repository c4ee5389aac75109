//! Facts about the machine, printed with the figures so that they can be
//! quoted with their context. Read from /proc; anything missing is reported
//! as unknown rather than failing the run.

use std::fs;

pub struct Facts {
    /// Cores this process may run on (affinity and cgroup limits applied).
    pub usable_cores: usize,
    /// Logical processors the kernel lists.
    pub listed_cpus: usize,
    pub cpu_model: String,
    pub mem_total: String,
    pub kernel: String,
    /// Load averages at start: other work on the machine (e.g. a concurrent
    /// build) skews every figure, so it is worth knowing.
    pub load: String,
}

pub fn facts() -> Facts {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let listed_cpus = cpuinfo
        .lines()
        .filter(|l| l.starts_with("processor"))
        .count();
    let cpu_model = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".to_string());
    let mem_total = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            m.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb as f64 / (1024.0 * 1024.0)))
        .unwrap_or_else(|| "unknown".to_string());
    let read_trimmed = |path: &str| {
        fs::read_to_string(path)
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|_| "unknown".to_string())
    };
    Facts {
        usable_cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
        listed_cpus,
        cpu_model,
        mem_total,
        kernel: read_trimmed("/proc/sys/kernel/osrelease"),
        load: read_trimmed("/proc/loadavg")
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" "),
    }
}
