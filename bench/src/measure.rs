//! Timing processes: one run (wall time, peak RSS and minor faults from `wait4`), runs of
//! several commands interleaved round by round, and their statistics.

use std::process::Command;
use std::time::{Duration, Instant};

/// One finished process.
#[derive(Debug, Clone, Copy)]
pub struct Sample {
    pub wall: Duration,
    /// Peak resident set of the process, over every program it exec'd (Linux keeps the high
    /// water mark across exec), in KiB.
    pub max_rss_kib: i64,
    pub minor_faults: i64,
}

/// Runs `command` to its end (it must succeed) and measures it.
pub fn run(command: &mut Command) -> Sample {
    let started = Instant::now();
    let child = command
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {command:?}: {e}"));
    let pid = child.id() as nix::libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value; wait4 fills it in.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not waited for yet (std only reaps on `wait`).
    let reaped = unsafe { nix::libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(reaped, pid, "wait4 for {command:?} failed");
    let exited_ok = nix::libc::WIFEXITED(status) && nix::libc::WEXITSTATUS(status) == 0;
    assert!(exited_ok, "{command:?} failed (wait status {status})");
    drop(child);
    Sample {
        wall,
        max_rss_kib: usage.ru_maxrss,
        minor_faults: usage.ru_minflt,
    }
}

/// The samples of one command.
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub samples: Vec<Sample>,
}

impl Series {
    fn values(&self, f: impl Fn(&Sample) -> f64) -> Vec<f64> {
        let mut values: Vec<f64> = self.samples.iter().map(f).collect();
        values.sort_by(|a, b| a.total_cmp(b));
        values
    }

    pub fn ms(&self) -> Stats {
        Stats::of(self.values(|s| s.wall.as_secs_f64() * 1000.0))
    }

    pub fn rss_mib(&self) -> f64 {
        Stats::of(self.values(|s| s.max_rss_kib as f64 / 1024.0)).median
    }

    pub fn faults(&self) -> f64 {
        Stats::of(self.values(|s| s.minor_faults as f64)).median
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Stats {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    pub p99: f64,
}

impl Stats {
    /// Of sorted values (at least one).
    pub fn of(sorted: Vec<f64>) -> Stats {
        assert!(!sorted.is_empty(), "no samples");
        let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
        Stats {
            median: at(0.5),
            min: sorted[0],
            max: sorted[sorted.len() - 1],
            p99: at(0.99),
        }
    }
}

/// A named way to make the command to time (a fresh `Command` per run).
pub struct Variant<'a> {
    pub name: String,
    pub make: Box<dyn Fn() -> Command + 'a>,
}

/// Runs every variant once to warm the page cache, then `rounds` rounds of each, the order
/// rotated every round so no variant always follows the same one.
pub fn interleaved(variants: &[Variant<'_>], rounds: usize) -> Vec<Series> {
    for variant in variants {
        run(&mut (variant.make)());
    }
    let mut series: Vec<Series> = variants
        .iter()
        .map(|v| Series {
            name: v.name.clone(),
            samples: Vec::with_capacity(rounds),
        })
        .collect();
    for round in 0..rounds {
        for i in 0..variants.len() {
            let index = (i + round) % variants.len();
            let sample = run(&mut (variants[index].make)());
            series[index].samples.push(sample);
        }
    }
    series
}
