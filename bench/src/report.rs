//! The Markdown report (BENCHMARKS.md): machine, versions, commands, tables, and each target
//! with whether this run met it.

use crate::load::Load;
use crate::measure::{Series, Stats};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::Path;
use std::time::Duration;

pub struct Report {
    smoke: bool,
    text: String,
    targets: Vec<Target>,
    load_at_start: String,
}

struct Target {
    what: String,
    met: bool,
    figure: String,
}

/// One p0 warm command against its floor, medians over the repetitions.
pub struct Gap {
    pub name: String,
    pub floor: String,
    pub extra_ms: f64,
    /// The same between the fastest runs, and their ratio.
    pub extra_min_ms: f64,
    pub min_ratio: f64,
    pub extra_faults: f64,
}

pub struct Syscalls {
    pub name: String,
    pub command: String,
    pub summary: String,
    /// System calls p0 made before it exec'd the command (or exited).
    pub own_calls: usize,
    pub network: usize,
    pub threads: usize,
    pub event_loops: usize,
    pub opened: Vec<String>,
}

pub struct EndpointFigures {
    pub command: String,
    pub duration: Duration,
    pub one: Load,
    pub two: Load,
    pub fresh: Load,
    pub rss: String,
    pub hwm: String,
}

pub struct Cold {
    pub name: String,
    pub command: String,
    pub without_latency: Vec<f64>,
    pub with_latency: Vec<f64>,
    /// The sandbox's counts for the last run with latency.
    pub calls: BTreeMap<String, u64>,
}

pub struct Make {
    pub jobs: usize,
    pub command: String,
    pub single: Vec<f64>,
    pub burst: Vec<f64>,
    pub single_calls: BTreeMap<String, u64>,
    pub burst_calls: BTreeMap<String, u64>,
    pub latency_ms: u64,
}

fn stats(values: &[f64]) -> Stats {
    let mut sorted = values.to_vec();
    sorted.sort_by(|a, b| a.total_cmp(b));
    Stats::of(sorted)
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

fn load_average() -> String {
    read("/proc/loadavg")
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The calls other than the per-action STS duplicates, as `name N, ...`, and their total.
/// Whether a 64-bit little-endian ELF file has a PT_INTERP program header (a dynamic loader).
fn has_interpreter(elf: &[u8]) -> bool {
    let u16_at = |at: usize| {
        elf.get(at..at + 2)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]))
    };
    let Some(phoff) = elf
        .get(32..40)
        .map(|b| u64::from_le_bytes(b.try_into().unwrap()))
    else {
        return false;
    };
    let (size, count) = (usize::from(u16_at(54)), usize::from(u16_at(56)));
    (0..count).any(|i| {
        let at = phoff as usize + i * size;
        elf.get(at..at + 4) == Some(&3u32.to_le_bytes()[..])
    })
}

fn calls_line(calls: &BTreeMap<String, u64>) -> (String, u64) {
    let shown: Vec<String> = calls
        .iter()
        .filter(|(name, _)| name.as_str() != "sts")
        .map(|(name, n)| format!("{name} {n}"))
        .collect();
    let total = calls
        .iter()
        .filter(|(name, _)| !name.starts_with("sts."))
        .map(|(_, n)| n)
        .sum();
    (shown.join(", "), total)
}

impl Report {
    pub fn new(smoke: bool) -> Report {
        let mut text = String::from("# Benchmarks\n\n");
        if smoke {
            text.push_str(
                "**Smoke run** (`scripts/bench --smoke`): a few iterations of every section so \
                 the benchmark cannot rot. These figures mean nothing.\n\n",
            );
        }
        text.push_str(
            "Written by `scripts/bench` (bench/src/): the release `p0` against the loopback \
             sandbox (P0, Okta, Firebase, Identity Center) and moto's STS, a static C floor \
             program the benchmark builds itself (bench/src/floor.c), `/bin/true` and \
             aws-sso-util. Every timing table is one interleaved run (the variants take turns, \
             the order rotated each round), so ratios are taken in the same run. Times are \
             wall-clock from spawn to exit, in milliseconds; RSS is the process's peak \
             (across exec), faults are minor page faults.\n\n",
        );
        Report {
            smoke,
            text,
            targets: Vec::new(),
            load_at_start: load_average(),
        }
    }

    fn section(&mut self, title: &str) {
        let _ = write!(self.text, "## {title}\n\n");
    }

    fn target(&mut self, what: &str, met: bool, figure: String) {
        self.targets.push(Target {
            what: what.to_string(),
            met,
            figure,
        });
    }

    pub fn note(&mut self, section: &str, text: &str) {
        self.section(section);
        let _ = write!(self.text, "{text}\n\n");
    }

    pub fn machine(&mut self, p0: &Path) {
        self.section("Machine");
        let cpu = read("/proc/cpuinfo")
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
            .unwrap_or_else(|| "?".into());
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        let memory = read("/proc/meminfo")
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .map(|l| l.trim().to_string())
            .unwrap_or_default();
        let kernel = read("/proc/sys/kernel/osrelease").trim().to_string();
        let os = read("/etc/os-release")
            .lines()
            .find_map(|l| l.strip_prefix("PRETTY_NAME="))
            .map(|l| l.trim_matches('"').to_string())
            .unwrap_or_default();
        let bytes = std::fs::read(p0).unwrap_or_default();
        // ELF e_type: 2 is a fixed-address executable, 3 a position-independent one; without
        // a PT_INTERP program header no loader runs (static).
        let kind = match (bytes.get(16), has_interpreter(&bytes)) {
            (Some(2), true) => "non-PIE executable, dynamically linked",
            (Some(2), false) => "non-PIE executable, static",
            (Some(3), true) => "position-independent executable (PIE), dynamically linked",
            (Some(3), false) => "static-pie (position-independent, no dynamic loader)",
            _ => "?",
        };
        let _ = write!(
            self.text,
            "- CPU: {cpu}, {cores} cores available; memory {memory}\n\
             - OS: {os}, Linux {kernel}\n\
             - load average at the start: {}\n\
             - p0 binary: {:.1} MiB, {kind}\n\n",
            self.load_at_start,
            bytes.len() as f64 / (1024.0 * 1024.0)
        );
    }

    /// Debian's `hardening-check` on the measured binary, as it printed it.
    pub fn hardening(&mut self, p0: &Path, output: &str) {
        self.section("Hardening (hardening-check)");
        let _ = write!(
            self.text,
            "`hardening-check {}` (devscripts), on the binary measured above:\n\n\
             | check | result |\n|---|---|\n",
            p0.file_name().map_or("p0".into(), |n| n.to_string_lossy())
        );
        for line in output.lines().skip(1) {
            if let Some((check, result)) = line.trim().split_once(": ") {
                let _ = writeln!(self.text, "| {check} | {result} |");
            }
        }
        self.text.push('\n');
    }

    pub fn versions(&mut self, versions: &[(String, String)]) {
        self.section("Versions");
        for (name, version) in versions {
            let _ = writeln!(self.text, "- {name}: `{version}`");
        }
        self.text.push('\n');
    }

    fn series_table(&mut self, series: &[Series], baseline: Option<&str>) {
        let base = baseline.map(|b| crate::by_name(series, b).ms().median);
        let _ = writeln!(
            self.text,
            "| command | median ms | min | max | {} | peak RSS MiB | minor faults |",
            baseline.map_or("ratio".to_string(), |b| format!("x {b}"))
        );
        self.text.push_str("|---|---:|---:|---:|---:|---:|---:|\n");
        for s in series {
            let ms = s.ms();
            let ratio = base.map_or("".to_string(), |b| format!("{:.2}", ms.median / b));
            let _ = writeln!(
                self.text,
                "| {} | {:.3} | {:.3} | {:.3} | {ratio} | {:.1} | {:.0} |",
                s.name,
                ms.median,
                ms.min,
                ms.max,
                s.rss_mib(),
                s.faults()
            );
        }
        self.text.push('\n');
    }

    pub fn warm(&mut self, runs: &[Vec<Series>], commands: &[String], rounds: usize) {
        self.section("Warm paths (no network call)");
        self.text.push_str("Commands:\n\n");
        for c in commands {
            let _ = writeln!(self.text, "- {c}");
        }
        let _ = write!(
            self.text,
            "\n{rounds} rounds per repetition, {} repetitions.\n\n",
            runs.len()
        );
        let mut run_as = Vec::new();
        let mut process = Vec::new();
        for (i, series) in runs.iter().enumerate() {
            let _ = write!(self.text, "### Repetition {}\n\n", i + 1);
            self.series_table(series, Some("/bin/true"));
            let median = |name: &str| crate::by_name(series, name).ms().median;
            let a = median("p0 run-as -- true") / median("floor exec true");
            let b = median("p0 aws credential-process") / median("floor print");
            run_as.push(a);
            process.push(b);
            let _ = write!(
                self.text,
                "Same-run ratios: `p0 run-as -- true` / floor = **{a:.2}x**; \
                 `p0 aws credential-process` / floor print = **{b:.2}x**."
            );
            if let Some(pie) = series.iter().find(|s| s.name == crate::PIE_RUN_AS) {
                let pie_ms = pie.ms().median;
                let _ = write!(
                    self.text,
                    " The PIE build: {pie_ms:.3} ms, {:.2}x the non-PIE run-as, {:.2}x the floor \
                     ({:.0} minor faults against {:.0}).",
                    pie_ms / median("p0 run-as -- true"),
                    pie_ms / median("floor exec true"),
                    pie.faults(),
                    crate::by_name(series, "p0 run-as -- true").faults()
                );
            }
            self.text.push_str("\n\n");
        }
        let list = |v: &[f64]| {
            v.iter()
                .map(|r| format!("{r:.2}x"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let worst = |v: &[f64]| v.iter().cloned().fold(0.0, f64::max);
        self.target(
            "warm `run-as -- true` within 1.5x the floor program",
            worst(&run_as) <= 1.5,
            format!("{} (per repetition)", list(&run_as)),
        );
        self.target(
            "warm `credential-process` within 1.5x the floor program",
            worst(&process) <= 1.5,
            format!("{} (per repetition)", list(&process)),
        );
    }

    /// Where the warm path's time goes beyond the floor's (`Bench::gap`).
    pub fn gap(
        &mut self,
        rows: &[Gap],
        fault_us: f64,
        measured_faults: f64,
        relocations: Option<&crate::elf::Relocations>,
    ) {
        self.section("Where the warm path's time goes");
        let _ = write!(
            self.text,
            "A minor page fault costs **{fault_us:.2} µs** here: a static C program that writes \
             one byte to each of {measured_faults:.0} pages of its data, against the same program \
             writing none, interleaved, from the fastest run of each (bench/src/pages.c; the \
             first write to each page is a copy-on-write fault, as a relocation's write or a \
             fresh heap page is).\n\n\
             | p0 command | ms over its floor (medians) | ms over its floor (fastest runs) | \
             ratio of the fastest runs | minor faults over its floor | those faults at \
             {fault_us:.2} µs |\n\
             |---|---:|---:|---:|---:|---:|\n"
        );
        for row in rows {
            let _ = writeln!(
                self.text,
                "| {} (over {}) | {:.3} | {:.3} | {:.2}x | {:.0} | {:.3} ms |",
                row.name,
                row.floor,
                row.extra_ms,
                row.extra_min_ms,
                row.min_ratio,
                row.extra_faults,
                row.extra_faults * fault_us / 1000.0,
            );
        }
        self.text
            .push_str("\n(Each figure: the median over the repetitions above.)\n\n");
        match relocations {
            Some(r) if r.count > 0 => {
                let sections = r
                    .pages_by_section
                    .iter()
                    .map(|(name, pages)| format!("{pages} in `{name}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let _ =
                    write!(
                    self.text,
                    "Before `main`, the start-up code of this position-independent binary applies \
                     **{} relative relocations** ({}), writing **{} pages** ({sections}): \
                     each is one of the faults above, about {:.3} ms at this machine's price.\n\n",
                    r.count,
                    if r.packed { "packed: RELR" } else { "RELA entries" },
                    r.pages,
                    r.pages as f64 * fault_us / 1000.0
                );
            }
            Some(_) => self
                .text
                .push_str("The binary has no relative relocations to apply at start-up.\n\n"),
            None => self
                .text
                .push_str("(The binary's relocations were not read: not a 64-bit ELF file.)\n\n"),
        }
    }

    pub fn syscalls(&mut self, sections: &[Syscalls]) {
        self.section("What the warm path asks of the kernel (strace)");
        for s in sections {
            let _ = write!(
                self.text,
                "### {}\n\n`{}` (the summary includes the exec'd command's own calls).\n\n\
                 Before its exec (or exit), p0 made {} system calls: **{} network calls, {} \
                 threads or processes started, {} event loops set up** (epoll, eventfd). \
                 Files it opened:\n\n",
                s.name, s.command, s.own_calls, s.network, s.threads, s.event_loops
            );
            for path in &s.opened {
                let _ = writeln!(self.text, "- `{path}`");
            }
            let _ = write!(self.text, "\n```\n{}```\n\n", s.summary.trim_start());
            self.target(
                &format!("warm {}: no network, no runtime", s.name),
                s.network == 0 && s.threads == 0 && s.event_loops == 0,
                format!(
                    "{} network calls, {} threads, {} event loops",
                    s.network, s.threads, s.event_loops
                ),
            );
        }
    }

    pub fn instructions(&mut self, rows: &[(String, Option<u64>)]) {
        self.section("Instructions (callgrind, whole process: loader, relocation, main, exit)");
        self.text
            .push_str("| program | instructions |\n|---|---:|\n");
        for (name, n) in rows {
            match n {
                Some(n) => {
                    let _ = writeln!(self.text, "| {name} | {n} |");
                }
                None => {
                    let _ = writeln!(
                        self.text,
                        "| {name} | not counted: it execs (the release's front end hands a run it cannot finish to the whole program, and callgrind counts nothing for a process that execs) |"
                    );
                }
            }
        }
        self.text.push('\n');
    }

    pub fn peers(
        &mut self,
        series: &[Series],
        commands: &[String],
        calls: &BTreeMap<String, u64>,
        runs: usize,
    ) {
        self.section("aws-sso-util side by side (the same Identity Center)");
        self.text.push_str("Commands:\n\n");
        for c in commands {
            let _ = writeln!(self.text, "- `{c}`");
        }
        self.text.push('\n');
        self.series_table(series, Some("p0 direct Identity Center, warm"));
        let median = |name: &str| crate::by_name(series, name).ms().median;
        let peer = median("aws-sso-util run-as");
        let warm = peer / median("p0 direct Identity Center, warm");
        let same = peer / median("p0 direct Identity Center, one GetRoleCredentials");
        let (line, _) = calls_line(calls);
        let _ = write!(
            self.text,
            "aws-sso-util run-as / p0 warm = **{warm:.0}x**; aws-sso-util / p0 doing the same \
             work (one GetRoleCredentials per run) = **{same:.1}x**. The sandbox counted, over \
             {runs} runs of each: {line}.\n\n"
        );
    }

    pub fn eks(
        &mut self,
        series: &[Series],
        commands: &[String],
        calls: &BTreeMap<String, u64>,
        runs: usize,
    ) {
        self.section("EKS tokens: p0 aws eks get-token beside aws eks get-token");
        self.text.push_str("Commands:\n\n");
        for c in commands {
            let _ = writeln!(self.text, "- `{c}`");
        }
        self.text.push('\n');
        self.series_table(series, Some(crate::EKS_P0));
        let median = |name: &str| crate::by_name(series, name).ms().median;
        let cli = median(crate::EKS_AWS_CLI) / median(crate::EKS_P0);
        let process = median(crate::EKS_P0) / median("p0 aws credential-process");
        let (line, total) = calls_line(calls);
        let line = if total == 0 {
            "no call".to_string()
        } else {
            line
        };
        let _ = write!(
            self.text,
            "aws eks get-token / warm p0 aws eks get-token = **{cli:.0}x**; warm get-token / \
             warm credential-process = **{process:.2}x** (the token's signing is the \
             difference). The sandbox counted, over {runs} runs of each: {line}.\n\n"
        );
        self.target(
            "warm `eks get-token` within 1.5x warm `credential-process`",
            process <= 1.5,
            format!("{process:.2}x"),
        );
    }

    pub fn endpoint(&mut self, f: &EndpointFigures) {
        self.section("The --refresh credential endpoint");
        let _ = write!(
            self.text,
            "`{}`; a Rust load generator (bench/src/load.rs) on loopback, {:.1} s per \
             measurement, requests sent one after another on each connection.\n\n\
             | load | requests/s | p50 µs | p99 µs | max µs |\n|---|---:|---:|---:|---:|\n",
            f.command,
            f.duration.as_secs_f64()
        );
        for (name, load) in [
            ("one kept-alive connection", &f.one),
            ("two kept-alive connections", &f.two),
            ("a new connection per request", &f.fresh),
        ] {
            let _ = writeln!(
                self.text,
                "| {name} | {:.0} | {:.1} | {:.1} | {:.1} |",
                load.per_second(),
                load.percentile_us(0.5),
                load.percentile_us(0.99),
                load.percentile_us(1.0)
            );
        }
        let _ = write!(
            self.text,
            "\nSupervisor memory after the load: VmRSS {}, peak VmHWM {}.\n\n",
            f.rss, f.hwm
        );
        let best = f.one.per_second().max(f.two.per_second());
        self.target(
            "credential endpoint over 40k requests/s kept alive",
            best > 40_000.0,
            format!(
                "{:.0}/s at one connection, {:.0}/s at two",
                f.one.per_second(),
                f.two.per_second()
            ),
        );
        let p99 = f.one.percentile_us(0.99);
        self.target(
            "credential endpoint p99 under 1 ms at one connection",
            p99 < 1000.0,
            format!("p99 {p99:.0} µs"),
        );
        let kib: f64 = f
            .hwm
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(f64::MAX);
        self.target(
            "supervisor RSS under 12 MiB",
            kib < 12.0 * 1024.0,
            format!("peak {:.1} MiB", kib / 1024.0),
        );
    }

    pub fn cold(&mut self, cases: &[Cold], latency_ms: u64) {
        self.section("Cold paths (no cached credentials; the sign-ins still valid)");
        let _ = write!(
            self.text,
            "Each run starts with the credentials removed from the cache. \"+{latency_ms} ms\": \
             every sandbox endpoint answers {latency_ms} ms late. Round trips on the critical \
             path = (median with latency - median without) / {latency_ms} ms; calls = what the \
             sandbox counted in one run.\n\n\
             | path | median ms | median ms +{latency_ms} ms | min..max +{latency_ms} | critical-path round trips | calls | the calls |\n\
             |---|---:|---:|---:|---:|---:|---|\n"
        );
        for c in cases {
            let plain = stats(&c.without_latency);
            let slow = stats(&c.with_latency);
            let trips = (slow.median - plain.median) / latency_ms as f64;
            let (line, total) = calls_line(&c.calls);
            let _ = writeln!(
                self.text,
                "| {} | {:.1} | {:.1} | {:.1}..{:.1} | {trips:.1} | {total} | {line} |",
                c.name, plain.median, slow.median, slow.min, slow.max
            );
        }
        self.text.push_str("\nCommands:\n\n");
        for c in cases {
            let _ = writeln!(self.text, "- {}: `{}`", c.name, c.command);
        }
        self.text.push('\n');
    }

    pub fn make(&mut self, m: &Make) {
        self.section(&format!("make -j{} cold", m.jobs));
        let single = stats(&m.single);
        let burst = stats(&m.burst);
        let ratio = burst.median / single.median;
        let (single_line, _) = calls_line(&m.single_calls);
        let (burst_line, _) = calls_line(&m.burst_calls);
        let _ = write!(
            self.text,
            "`{}`, every endpoint {} ms late; before each run the cached credentials and the \
             local copy of the account config are removed, so every process would fetch both.\n\n\
             | run | median ms | min | max |\n|---|---:|---:|---:|\n\
             | one cold run-as | {:.1} | {:.1} | {:.1} |\n\
             | make -j{} | {:.1} | {:.1} | {:.1} |\n\n\
             make / one run = **{ratio:.2}x**.\n\n\
             - sandbox counts, one run: {single_line}\n\
             - sandbox counts, make -j{}: {burst_line}\n\n",
            m.command,
            m.latency_ms,
            single.median,
            single.min,
            single.max,
            m.jobs,
            burst.median,
            burst.min,
            burst.max,
            m.jobs
        );
        let count = |name: &str| m.burst_calls.get(name).copied().unwrap_or(0);
        self.target(
            &format!("make -j{} cold under 1.1x one cold run", m.jobs),
            ratio < 1.1,
            format!("{ratio:.2}x"),
        );
        let (request, exchange, sts, config) = (
            count("p0.command"),
            count("okta.token_exchange"),
            count("sts"),
            count("p0.aws_config"),
        );
        self.target(
            &format!(
                "make -j{}: one request, one exchange, one STS call, at most one account-config fetch",
                m.jobs
            ),
            request == 1 && exchange == 1 && sts == 1 && config <= 1,
            format!(
                "{request} request, {exchange} exchange, {sts} STS, {config} account-config fetches"
            ),
        );
    }

    pub fn finish(&mut self, took: Duration) {
        self.section("Targets");
        self.text
            .push_str("| target | met | this run |\n|---|---|---|\n");
        let targets = std::mem::take(&mut self.targets);
        for t in &targets {
            let met = match (self.smoke, t.met) {
                (true, _) => "(smoke)",
                (false, true) => "yes",
                (false, false) => "**no**",
            };
            let _ = writeln!(self.text, "| {} | {met} | {} |", t.what, t.figure);
        }
        let at_end = load_average();
        let _ = write!(
            self.text,
            "\nThe benchmark took {:.0} s; load average at the start {}, at the end {}.\n",
            took.as_secs_f64(),
            self.load_at_start,
            at_end
        );
        let busy = |load: &str| {
            load.split_whitespace()
                .next()
                .and_then(|n| n.parse::<f64>().ok())
                .is_some_and(|one_minute| one_minute > 0.5)
        };
        if !self.smoke && (busy(&self.load_at_start) || busy(&at_end)) {
            self.text.push_str(
                "\nThe machine was not quiet during this run (a one-minute load above 0.5: \
                 other work shared its cores). Absolute times carry that noise; the ratios are \
                 taken between variants that took turns in the same run, so they share it, and \
                 the instruction counts (callgrind) do not depend on load at all: those are \
                 the figures to rely on.\n",
            );
        }
        // Decisions and findings written by hand (what was tried and measured outside this
        // run, and the reasons behind a target that is not met), kept beside the benchmark.
        let findings = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("findings.md");
        if let (false, Ok(text)) = (self.smoke, std::fs::read_to_string(&findings)) {
            self.text.push('\n');
            self.text.push_str(&text);
        }
    }

    pub fn write(&self, path: &Path) {
        std::fs::write(path, &self.text)
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}
