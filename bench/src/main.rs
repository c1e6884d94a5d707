//! p0's benchmark, run by `scripts/bench` (see the README): the release `p0` against the
//! sandbox and moto, a floor program it builds itself, `/bin/true` and aws-sso-util, every
//! figure taken interleaved so a noisy machine slows every variant alike. It writes a
//! Markdown report (BENCHMARKS.md).
//!
//!     p0-bench --p0 PATH --sandbox PATH --out FILE [--smoke] [--warm-only] [--aws-sso-util PATH]
//!              [--pie PATH]
//!
//! `--smoke`: a few iterations of every section (seconds), for CI; no figure is asserted.
//! `--warm-only`: the warm paths, where their time goes and the hardening check only (a quick
//! look at a build).
//! `--pie PATH`: a position-independent build of the same p0, timed beside it.

// A command-line program: its progress goes to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod elf;
mod load;
mod measure;
mod report;

use measure::{interleaved, Series, Variant};
use p0_testkit::scenario::{self, ADMIN, DEV, DEVELOPER, IDC_REGION, IDC_START_URL, PROD};
use p0_testkit::Sandbox;
use report::Report;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Latency added to every answer of every sandbox endpoint in the cold sections.
const LATENCY_MS: u64 = 50;
/// The warm run-as of a position-independent build (`--pie`).
const PIE_RUN_AS: &str = "p0 run-as -- true, PIE build";
/// The processes of the `make -j` section.
const MAKE_JOBS: usize = 16;

struct Options {
    p0: PathBuf,
    sandbox: PathBuf,
    out: PathBuf,
    smoke: bool,
    warm_only: bool,
    aws_sso_util: Option<PathBuf>,
    pie: Option<PathBuf>,
}

impl Options {
    fn parse() -> Options {
        let mut args = std::env::args_os().skip(1);
        let mut p0 = None;
        let mut sandbox = None;
        let mut out = None;
        let mut smoke = false;
        let mut warm_only = false;
        let mut aws_sso_util = None;
        let mut pie = None;
        while let Some(arg) = args.next() {
            let mut value = || PathBuf::from(args.next().expect("a value after the flag"));
            match arg.to_str() {
                Some("--p0") => p0 = Some(value()),
                Some("--sandbox") => sandbox = Some(value()),
                Some("--out") => out = Some(value()),
                Some("--aws-sso-util") => aws_sso_util = Some(value()),
                Some("--pie") => pie = Some(value()),
                Some("--smoke") => smoke = true,
                Some("--warm-only") => warm_only = true,
                _ => panic!("unknown argument {arg:?}; see the top of bench/src/main.rs"),
            }
        }
        // Absolute: the commands run in a scratch directory.
        let absolute = |path: PathBuf| {
            std::fs::canonicalize(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        };
        Options {
            p0: absolute(p0.expect("--p0 PATH")),
            sandbox: absolute(sandbox.expect("--sandbox PATH")),
            out: out.expect("--out FILE"),
            smoke,
            warm_only,
            aws_sso_util: aws_sso_util.map(absolute),
            pie: pie.map(absolute),
        }
    }

    /// Rounds of an interleaved run of fast commands (a few milliseconds each).
    fn rounds(&self) -> usize {
        if self.smoke {
            3
        } else {
            300
        }
    }

    /// How many times the headline figures are taken.
    fn repeats(&self) -> usize {
        if self.smoke {
            1
        } else {
            3
        }
    }

    /// Runs of slow things (a peer's Python start, a cold path with latency).
    fn slow_rounds(&self) -> usize {
        if self.smoke {
            1
        } else {
            15
        }
    }

    fn load_duration(&self) -> Duration {
        if self.smoke {
            Duration::from_millis(200)
        } else {
            Duration::from_secs(3)
        }
    }
}

struct Bench {
    options: Options,
    sb: Sandbox,
    /// Scratch files: the floor program, the Makefile, the endpoint's address.
    work: tempfile::TempDir,
    floor: PathBuf,
    /// bench/src/pages.c: what a page fault costs here.
    pages: PathBuf,
    true_path: PathBuf,
}

fn main() {
    let options = Options::parse();
    let started = Instant::now();
    let mut report = Report::new(options.smoke);
    report.machine(&options.p0);
    let bench = Bench::start(options);
    report.versions(&bench.versions());
    let warm = bench.warm(&mut report);
    bench.gap(&mut report, &warm);
    bench.hardening(&mut report);
    if !bench.options.warm_only {
        bench.syscalls(&mut report);
        bench.instructions(&mut report);
        bench.peers(&mut report);
        bench.eks(&mut report);
        bench.endpoint(&mut report);
        bench.cold(&mut report);
        bench.make(&mut report);
    }
    report.finish(started.elapsed());
    report.write(&bench.options.out);
    eprintln!("== wrote {}", bench.options.out.display());
}

impl Bench {
    fn start(options: Options) -> Bench {
        let work = tempfile::Builder::new()
            .prefix("p0-bench-")
            .tempdir()
            .expect("a temp dir");
        eprintln!("== building the floor program");
        let floor = work.path().join("floor");
        let source = work.path().join("floor.c");
        std::fs::write(&source, include_str!("floor.c")).expect("floor.c written");
        let built = Command::new("gcc")
            .args(["-O2", "-static", "-o"])
            .arg(&floor)
            .arg(&source)
            .status()
            .expect("gcc runs");
        assert!(built.success(), "gcc could not build the floor program");
        let pages = work.path().join("pages");
        let source = work.path().join("pages.c");
        std::fs::write(&source, include_str!("pages.c")).expect("pages.c written");
        let built = Command::new("gcc")
            .args(["-O2", "-static", "-o"])
            .arg(&pages)
            .arg(&source)
            .status()
            .expect("gcc runs");
        assert!(
            built.success(),
            "gcc could not build the page-fault program"
        );
        let true_path = ["/usr/bin/true", "/bin/true"]
            .iter()
            .map(PathBuf::from)
            .find(|p| p.exists())
            .expect("/bin/true");

        eprintln!("== starting the sandbox and moto");
        let sb = Sandbox::start(&options.sandbox, bench_scenario());
        let bench = Bench {
            options,
            sb,
            work,
            floor,
            pages,
            true_path,
        };
        eprintln!("== logging in and warming the caches");
        bench.ok(bench.p0(&["login", scenario::ORG]));
        // Okta SAML through P0, then Identity Center through P0 and directly: the first
        // Identity Center sign-in is a device flow, which needs a terminal.
        bench.ok(bench.p0_args(&run_as_okta(&["true"])));
        let signed_in = bench.sb.in_terminal(
            &bench.options.p0,
            &refs(&run_as_idc_direct(&[], &["true"])),
            "",
        );
        assert!(
            signed_in.status.success(),
            "the Identity Center sign-in failed:\n{}",
            String::from_utf8_lossy(&signed_in.stdout)
        );
        bench.ok(bench.p0_args(&run_as_idc_p0(&["true"])));
        bench
    }

    fn home(&self) -> &Path {
        self.sb.home()
    }

    fn state(&self) -> PathBuf {
        self.home().join(".p0")
    }

    fn cache(&self) -> PathBuf {
        self.state().join("cache")
    }

    /// The cache entries whose name starts with `prefix`.
    fn cache_entries(&self, prefix: &str) -> Vec<PathBuf> {
        let Ok(dir) = std::fs::read_dir(self.cache()) else {
            return Vec::new();
        };
        dir.filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(prefix) && n.ends_with(".json"))
            })
            .collect()
    }

    fn remove_entries(&self, prefix: &str) {
        for path in self.cache_entries(prefix) {
            std::fs::remove_file(&path).expect("a cache entry removed");
        }
    }

    /// The three files a warm `p0 run-as --account prod --role Admin` reads.
    fn warm_files(&self) -> [PathBuf; 3] {
        let credentials = self
            .cache_entries("aws~okta~")
            .into_iter()
            .next()
            .expect("cached Okta credentials");
        [
            self.state().join("identity.json"),
            self.cache().join("aws-config~acme.json"),
            credentials,
        ]
    }

    /// `program ARGS` with the sandbox's environment (and nothing else of ours), no stdin,
    /// output discarded, in a session of its own (no controlling terminal), in the work dir.
    fn command(&self, program: impl AsRef<std::ffi::OsStr>, args: &[&str]) -> Command {
        let mut command = Command::new(program);
        command.env_clear();
        for (key, value) in self.sb.env_vars() {
            command.env(key, value);
        }
        command.env("AWS_DEFAULT_REGION", "us-east-1");
        command
            .args(args)
            .current_dir(self.work.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        // SAFETY: setsid is async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                nix::unistd::setsid()
                    .map(|_| ())
                    .map_err(std::io::Error::from)
            });
        }
        command
    }

    fn p0(&self, args: &[&str]) -> Command {
        self.command(&self.options.p0, args)
    }

    fn p0_args(&self, args: &[String]) -> Command {
        self.p0(&refs(args))
    }

    /// Runs `command` to its end, output captured; panics with it unless it succeeds.
    fn ok(&self, mut command: Command) -> Output {
        let output = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("{command:?} could not start: {e}"));
        assert!(
            output.status.success(),
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    fn versions(&self) -> Vec<(String, String)> {
        let mut versions = vec![
            (
                "p0".to_string(),
                first_line(Command::new(&self.options.p0).arg("--version")),
            ),
            (
                "rustc".to_string(),
                first_line(Command::new("rustc").arg("--version")),
            ),
            (
                "gcc".to_string(),
                first_line(Command::new("gcc").arg("--version")),
            ),
            (
                "moto".to_string(),
                first_line(
                    Command::new(p0_testkit::python())
                        .args(["-c", "import moto; print(moto.__version__)"]),
                ),
            ),
        ];
        if let Some(peer) = &self.options.aws_sso_util {
            versions.push((
                "aws-sso-util".to_string(),
                first_line(Command::new(peer).arg("--version")),
            ));
        }
        for tool in ["strace", "valgrind"] {
            if let Some(path) = which(tool) {
                versions.push((
                    tool.to_string(),
                    first_line(Command::new(path).arg("--version")),
                ));
            }
        }
        versions
    }

    /// The headline: warm `run-as -- true` and warm `credential-process` against `/bin/true`
    /// and the floor program, interleaved, repeated.
    fn warm(&self, report: &mut Report) -> Vec<Vec<Series>> {
        eprintln!("== warm paths");
        let [identity, config, credentials] = self.warm_files();
        let files = [identity, config, credentials].map(|p| p.to_string_lossy().into_owned());
        let true_path = self.true_path.to_string_lossy().into_owned();
        let floor_exec: Vec<String> = ["exec"]
            .iter()
            .map(|s| s.to_string())
            .chain(files.iter().cloned())
            .chain([true_path.clone()])
            .collect();
        let floor_print: Vec<String> = ["print"]
            .iter()
            .map(|s| s.to_string())
            .chain(files.iter().cloned())
            .collect();
        let run_as = run_as_okta(&["true"]);
        let credential_process = credential_process_args();
        let variants = [
            Variant {
                name: "/bin/true".into(),
                make: Box::new(|| self.command(&self.true_path, &[])),
            },
            Variant {
                name: "floor exec true".into(),
                make: Box::new(|| self.command(&self.floor, &refs(&floor_exec))),
            },
            Variant {
                name: "p0 run-as -- true".into(),
                make: Box::new(|| self.p0_args(&run_as)),
            },
            Variant {
                name: "floor print".into(),
                make: Box::new(|| self.command(&self.floor, &refs(&floor_print))),
            },
            Variant {
                name: "p0 aws credential-process".into(),
                make: Box::new(|| self.p0_args(&credential_process)),
            },
        ];
        let mut variants = Vec::from(variants);
        if let Some(pie) = self.options.pie.as_deref() {
            let run_as = &run_as;
            variants.push(Variant {
                name: PIE_RUN_AS.into(),
                make: Box::new(move || self.command(pie, &refs(run_as))),
            });
        }
        let mut commands = vec![
            format!("/bin/true: {}", self.true_path.display()),
            format!(
                "floor exec true: floor exec IDENTITY CONFIG CREDENTIALS {}",
                self.true_path.display()
            ),
            format!("p0 run-as -- true: p0 {}", run_as.join(" ")),
            "floor print: floor print IDENTITY CONFIG CREDENTIALS".to_string(),
            format!(
                "p0 aws credential-process: p0 {}",
                credential_process.join(" ")
            ),
        ];
        if self.options.pie.is_some() {
            commands.push(format!(
                "{PIE_RUN_AS}: the same p0 built with P0_LINK_PIE=1, {}",
                run_as.join(" ")
            ));
        }
        let mut runs = Vec::new();
        for repeat in 0..self.options.repeats() {
            eprintln!("   repetition {}", repeat + 1);
            runs.push(interleaved(&variants, self.options.rounds()));
        }
        report.warm(&runs, &commands, self.options.rounds());
        runs
    }

    /// Where the warm path's time goes beyond the floor's: its extra minor faults, what one
    /// costs on this machine (the page-fault program, interleaved), and how many of them the
    /// start-up relocation of a position-independent binary causes (read from the binary).
    fn gap(&self, report: &mut Report, warm: &[Vec<Series>]) {
        eprintln!("== the cost of a page fault");
        const TOUCHED: usize = 256;
        let touched = TOUCHED.to_string();
        let variants = [
            Variant {
                name: "pages 0".into(),
                make: Box::new(|| self.command(&self.pages, &["0"])),
            },
            Variant {
                name: format!("pages {TOUCHED}"),
                make: Box::new(|| self.command(&self.pages, &[touched.as_str()])),
            },
        ];
        let series = interleaved(&variants, self.options.rounds());
        let (none, some) = (&series[0], &series[1]);
        let extra_faults = (some.faults() - none.faults()).max(1.0);
        // From the fastest runs: on a busy machine a median carries other processes' time,
        // the minimum much less of it.
        let fault_us = (some.ms().min - none.ms().min) * 1000.0 / extra_faults;
        // The medians over the repetitions of the warm table.
        let median_of = |name: &str, f: &dyn Fn(&Series) -> f64| {
            let mut v: Vec<f64> = warm.iter().map(|run| f(by_name(run, name))).collect();
            v.sort_by(|a, b| a.total_cmp(b));
            v[v.len() / 2]
        };
        let pairs = [
            ("p0 run-as -- true", "floor exec true"),
            ("p0 aws credential-process", "floor print"),
        ];
        let rows: Vec<report::Gap> = pairs
            .iter()
            .map(|(p0, floor)| report::Gap {
                name: p0.to_string(),
                floor: floor.to_string(),
                extra_ms: median_of(p0, &|s| s.ms().median) - median_of(floor, &|s| s.ms().median),
                extra_min_ms: median_of(p0, &|s| s.ms().min) - median_of(floor, &|s| s.ms().min),
                min_ratio: median_of(p0, &|s| s.ms().min) / median_of(floor, &|s| s.ms().min),
                extra_faults: median_of(p0, &|s| s.faults()) - median_of(floor, &|s| s.faults()),
            })
            .collect();
        let binary = std::fs::read(&self.options.p0).expect("the p0 binary");
        report.gap(
            &rows,
            fault_us,
            extra_faults,
            elf::relocations(&binary).as_ref(),
        );
    }

    /// Debian's hardening-check on the measured binary (skipped where devscripts is missing).
    fn hardening(&self, report: &mut Report) {
        let Some(tool) = which("hardening-check") else {
            report.note(
                "Hardening (hardening-check)",
                "hardening-check is not installed: `apt-get install devscripts` for this section",
            );
            return;
        };
        // It exits non-zero when a check fails; the table says which.
        let output = Command::new(tool)
            .arg(&self.options.p0)
            .output()
            .expect("hardening-check runs");
        report.hardening(&self.options.p0, &String::from_utf8_lossy(&output.stdout));
    }

    /// What the warm path asks of the kernel: `strace -f -c`, the files it opens, and that it
    /// makes no network call and starts no thread.
    fn syscalls(&self, report: &mut Report) {
        let Some(strace) = which("strace") else {
            report.note(
                "strace",
                "strace is not installed: `apt-get install strace` for this section",
            );
            return;
        };
        eprintln!("== strace of the warm paths");
        let mut sections = Vec::new();
        for (name, args) in [
            ("p0 run-as -- true", run_as_okta(&["true"])),
            ("p0 aws credential-process", credential_process_args()),
        ] {
            let summary = self.work.path().join("strace-summary");
            let trace = self.work.path().join("strace-trace");
            let mut strace_args = vec![
                "-f".to_string(),
                "-c".to_string(),
                "-o".to_string(),
                summary.to_string_lossy().into_owned(),
                self.options.p0.to_string_lossy().into_owned(),
            ];
            strace_args.extend(args.iter().cloned());
            self.ok(self.command(&strace, &refs(&strace_args)));
            let mut trace_args = vec![
                "-f".to_string(),
                "-o".to_string(),
                trace.to_string_lossy().into_owned(),
                self.options.p0.to_string_lossy().into_owned(),
            ];
            trace_args.extend(args.iter().cloned());
            self.ok(self.command(&strace, &refs(&trace_args)));
            let trace_text = std::fs::read_to_string(&trace).expect("the trace");
            // p0's own part: everything before it execs the command.
            let own: Vec<&str> = trace_text
                .lines()
                .skip(1)
                .take_while(|l| !l.contains("execve("))
                .collect();
            let count = |names: &[&str]| {
                own.iter()
                    .filter(|l| {
                        names.iter().any(|n| {
                            l.split_whitespace()
                                .nth(1)
                                .is_some_and(|call| call.starts_with(&format!("{n}(")))
                        })
                    })
                    .count()
            };
            let network = count(&[
                "socket", "connect", "sendto", "sendmsg", "recvfrom", "recvmsg", "bind",
            ]);
            let threads = count(&["clone", "clone3", "fork", "vfork"]);
            let epoll = count(&[
                "epoll_create1",
                "epoll_create",
                "eventfd2",
                "io_uring_setup",
            ]);
            let opened: Vec<String> = own
                .iter()
                // glibc opens with openat, musl (the release artifact) with open.
                .filter(|l| {
                    let call = l.split_whitespace().nth(1).unwrap_or("");
                    (call.starts_with("openat(") || call.starts_with("open("))
                        && !l.contains("ENOENT")
                })
                .filter_map(|l| l.split('"').nth(1))
                .map(|path| {
                    path.strip_prefix(&*self.home().to_string_lossy())
                        .map(|rest| format!("$HOME{rest}"))
                        .unwrap_or_else(|| path.to_string())
                })
                .collect();
            sections.push(report::Syscalls {
                name: name.to_string(),
                command: format!("strace -f -c p0 {}", args.join(" ")),
                summary: std::fs::read_to_string(&summary).expect("the summary"),
                own_calls: own.len(),
                network,
                threads,
                event_loops: epoll,
                opened,
            });
        }
        report.syscalls(&sections);
    }

    /// Instruction counts (valgrind's callgrind): deterministic, whatever the machine's load.
    fn instructions(&self, report: &mut Report) {
        let Some(valgrind) = which("valgrind") else {
            report.note(
                "instructions",
                "valgrind is not installed: `apt-get install valgrind` for this section",
            );
            return;
        };
        eprintln!("== instruction counts (callgrind)");
        let [identity, config, credentials] = self.warm_files();
        let files = [identity, config, credentials].map(|p| p.to_string_lossy().into_owned());
        // callgrind loses a process that execs, so run-as execs a program that does not
        // exist: the same work up to exec, then an error message and exit 127.
        let missing = self.work.path().join("no-such-program");
        let missing = missing.to_string_lossy().into_owned();
        let mut floor_print = vec![self.floor.to_string_lossy().into_owned(), "print".into()];
        floor_print.extend(files.iter().cloned());
        let mut p0_run_as = vec![self.options.p0.to_string_lossy().into_owned()];
        p0_run_as.extend(run_as_okta(&[&missing]));
        let mut p0_process = vec![self.options.p0.to_string_lossy().into_owned()];
        p0_process.extend(credential_process_args());
        let mut cases = vec![
            (
                "/bin/true",
                vec![self.true_path.to_string_lossy().into_owned()],
                0,
            ),
            ("floor print", floor_print, 0),
            ("p0 aws credential-process", p0_process, 0),
            (
                "p0 run-as -- (missing program: exit 127)",
                p0_run_as.clone(),
                127,
            ),
        ];
        if let Some(pie) = &self.options.pie {
            let mut argv = p0_run_as.clone();
            argv[0] = pie.to_string_lossy().into_owned();
            cases.push(("p0 run-as -- (missing program), PIE build", argv, 127));
        }
        let mut rows = Vec::new();
        for (name, argv, expect_code) in cases {
            let out = self.work.path().join("callgrind.out");
            let mut args = vec![
                "--tool=callgrind".to_string(),
                format!("--callgrind-out-file={}", out.display()),
            ];
            args.extend(argv);
            let mut command = self.command(&valgrind, &refs(&args));
            let output = command
                .stderr(Stdio::piped())
                .output()
                .expect("valgrind runs");
            assert_eq!(
                output.status.code(),
                Some(expect_code),
                "{name} under valgrind: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            // No count when the process execs: the release's front end hands the missing
            // program's run to the whole program (src/front.rs), and callgrind reports nothing
            // for a process that execs.
            let text = String::from_utf8_lossy(&output.stderr);
            let collected = text
                .lines()
                .find_map(|l| l.split("Collected :").nth(1))
                .and_then(|n| n.trim().parse::<u64>().ok());
            rows.push((name.to_string(), collected));
        }
        report.instructions(&rows);
    }

    /// aws-sso-util side by side, against the same Identity Center.
    fn peers(&self, report: &mut Report) {
        let Some(peer) = &self.options.aws_sso_util else {
            report.note(
                "aws-sso-util",
                "not run (`scripts/bench --no-peers`, or the smoke run)",
            );
            return;
        };
        eprintln!("== aws-sso-util side by side");
        let peer_command = |args: &[&str]| {
            let mut command = self.command(peer, args);
            command.env("AWS_SSO_DISABLE_BROWSER", "1");
            command
        };
        self.ok(peer_command(&[
            "login",
            IDC_START_URL,
            IDC_REGION,
            "--headless",
        ]));
        let peer_run_as = [
            "run-as",
            "--sso-start-url",
            IDC_START_URL,
            "--sso-region",
            IDC_REGION,
            "--account-id",
            DEV,
            "--role-name",
            DEVELOPER,
            "--",
            "true",
        ];
        self.ok(peer_command(&peer_run_as));
        let direct = run_as_idc_direct(&[], &["true"]);
        let same_work = run_as_idc_direct(&["--refresh-credentials"], &["true"]);
        let variants = [
            Variant {
                name: "/bin/true".into(),
                make: Box::new(|| self.command(&self.true_path, &[])),
            },
            Variant {
                name: "p0 direct Identity Center, warm".into(),
                make: Box::new(|| self.p0_args(&direct)),
            },
            Variant {
                name: "p0 direct Identity Center, one GetRoleCredentials".into(),
                make: Box::new(|| self.p0_args(&same_work)),
            },
            Variant {
                name: "aws-sso-util run-as".into(),
                make: Box::new(|| peer_command(&peer_run_as)),
            },
        ];
        self.sb.reset_calls();
        let rounds = if self.options.smoke { 2 } else { 20 };
        let series = interleaved(&variants, rounds);
        let calls = self.sb.calls();
        let commands = vec![
            format!("p0 {}", direct.join(" ")),
            format!("p0 {}", same_work.join(" ")),
            format!(
                "AWS_SSO_DISABLE_BROWSER=1 aws-sso-util login {IDC_START_URL} {IDC_REGION} --headless (once), then aws-sso-util {}",
                peer_run_as.join(" ")
            ),
        ];
        // Every variant ran rounds + 1 times (one warm-up).
        report.peers(&series, &commands, &calls, rounds + 1);
    }

    /// Warm `p0 aws eks get-token` against the AWS CLI's `aws eks get-token` (what a
    /// kubeconfig runs otherwise), interleaved, with warm `credential-process` beside them.
    /// The AWS CLI gets the same role's credentials as static keys in its environment: its
    /// cheapest case, with no credential fetch of its own.
    fn eks(&self, report: &mut Report) {
        eprintln!("== p0 aws eks get-token beside aws eks get-token");
        let process = self.ok(self.p0_args(&credential_process_args()));
        let keys: Value = serde_json::from_slice(&process.stdout).expect("the process JSON");
        let key = |name: &str| keys[name].as_str().expect("a string").to_string();
        let get_token = eks_get_token_args();
        self.ok(self.p0_args(&get_token));
        let aws = p0_testkit::aws_cli_path();
        let aws_args = ["eks", "get-token", "--cluster-name", EKS_CLUSTER];
        let aws_cli = || {
            let mut command = self.command(&aws, &aws_args);
            command
                .env("AWS_ACCESS_KEY_ID", key("AccessKeyId"))
                .env("AWS_SECRET_ACCESS_KEY", key("SecretAccessKey"))
                .env("AWS_SESSION_TOKEN", key("SessionToken"));
            command
        };
        self.ok(aws_cli());
        let credential_process = credential_process_args();
        let variants = [
            Variant {
                name: "/bin/true".into(),
                make: Box::new(|| self.command(&self.true_path, &[])),
            },
            Variant {
                name: "p0 aws credential-process".into(),
                make: Box::new(|| self.p0_args(&credential_process)),
            },
            Variant {
                name: EKS_P0.into(),
                make: Box::new(|| self.p0_args(&get_token)),
            },
            Variant {
                name: EKS_AWS_CLI.into(),
                make: Box::new(aws_cli),
            },
        ];
        self.sb.reset_calls();
        let rounds = if self.options.smoke { 2 } else { 20 };
        let series = interleaved(&variants, rounds);
        let calls = self.sb.calls();
        let commands = vec![
            format!("{EKS_P0}: p0 {}", get_token.join(" ")),
            format!(
                "{EKS_AWS_CLI}: aws {} (awscli v1, the role's keys in its environment)",
                aws_args.join(" ")
            ),
        ];
        report.eks(&series, &commands, &calls, rounds + 1);
    }

    /// The `--refresh` credential endpoint under load.
    fn endpoint(&self, report: &mut Report) {
        eprintln!("== the --refresh credential endpoint");
        let address_file = self.work.path().join("endpoint");
        let script = format!(
            "printf '%s\\n%s\\n' \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" \"$AWS_CONTAINER_AUTHORIZATION_TOKEN\" > {0}.tmp && mv {0}.tmp {0} && exec sleep 120",
            address_file.display()
        );
        let mut args = vec!["run-as".to_string(), "--refresh".to_string()];
        args.extend(run_as_okta(&["sh", "-c", &script]).into_iter().skip(1));
        let mut supervisor = self
            .p0_args(&args)
            .spawn()
            .expect("p0 run-as --refresh starts");
        let deadline = Instant::now() + Duration::from_secs(30);
        let text = loop {
            if let Ok(text) = std::fs::read_to_string(&address_file) {
                break text;
            }
            assert!(Instant::now() < deadline, "the endpoint never came up");
            std::thread::sleep(Duration::from_millis(20));
        };
        let mut lines = text.lines();
        let endpoint = load::Endpoint::parse(
            lines.next().expect("the URI"),
            lines.next().expect("the token"),
        );
        let duration = self.options.load_duration();
        let one = load::keep_alive(&endpoint, 1, duration);
        let two = load::keep_alive(&endpoint, 2, duration);
        let fresh = load::new_connection_each(&endpoint, duration);
        let status = std::fs::read_to_string(format!("/proc/{}/status", supervisor.id()))
            .unwrap_or_default();
        let memory = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .map(|v| v.trim().to_string())
                .unwrap_or_else(|| "?".into())
        };
        let rss = memory("VmRSS:");
        let hwm = memory("VmHWM:");
        // SIGTERM goes to the child; the supervisor ends with it.
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(supervisor.id() as i32),
            nix::sys::signal::Signal::SIGTERM,
        )
        .expect("SIGTERM sent");
        let _ =
            p0_testkit::wait_with_timeout(&mut supervisor, Duration::from_secs(10)).or_else(|| {
                let _ = supervisor.kill();
                supervisor.wait().ok()
            });
        report.endpoint(&report::EndpointFigures {
            command: format!(
                "p0 {} (the child writes the endpoint's address, then sleeps)",
                {
                    let mut shown = args.clone();
                    shown.truncate(shown.len() - 3);
                    shown.push("sh -c ...".into());
                    shown.join(" ")
                }
            ),
            duration,
            one,
            two,
            fresh,
            rss,
            hwm,
        });
    }

    /// The cold paths: no cached credentials (sign-ins still valid), without and with latency
    /// added to every answer. The difference, divided by the latency, is the number of round
    /// trips on the critical path.
    fn cold(&self, report: &mut Report) {
        eprintln!("== cold paths");
        let cases: Vec<(&str, &str, Vec<String>)> = vec![
            ("Okta SAML via P0", "aws~okta~", run_as_okta(&["true"])),
            (
                "Identity Center via P0",
                "aws~idc~",
                run_as_idc_p0(&["true"]),
            ),
            (
                "Identity Center direct",
                "aws~idc~",
                run_as_idc_direct(&[], &["true"]),
            ),
        ];
        let runs = self.options.slow_rounds();
        let mut measured: Vec<report::Cold> = cases
            .iter()
            .map(|(name, _, args)| report::Cold {
                name: name.to_string(),
                command: format!("p0 {}", args.join(" ")),
                without_latency: Vec::new(),
                with_latency: Vec::new(),
                calls: BTreeMap::new(),
            })
            .collect();
        for latency in [false, true] {
            if latency {
                self.add_latency();
            }
            for _ in 0..runs {
                for (i, (_, prefix, args)) in cases.iter().enumerate() {
                    self.remove_entries(prefix);
                    self.sb.reset_calls();
                    let sample = measure::run(&mut self.p0_args(args));
                    let ms = sample.wall.as_secs_f64() * 1000.0;
                    if latency {
                        measured[i].with_latency.push(ms);
                        measured[i].calls = self.sb.calls();
                    } else {
                        measured[i].without_latency.push(ms);
                    }
                }
            }
        }
        report.cold(&measured, LATENCY_MS);
    }

    /// Every endpoint answers `LATENCY_MS` late from now on.
    fn add_latency(&self) {
        let endpoints = self.sb.control_get("/endpoints");
        let faults: Vec<Value> = endpoints
            .as_array()
            .expect("the sandbox's /endpoints is an array")
            .iter()
            .map(|e| json!({"endpoint": e, "latency_ms": LATENCY_MS, "times": 0}))
            .collect();
        self.sb.fault(Value::Array(faults));
    }

    /// `make -j16` of sixteen cold `run-as` against one cold run, with no local copy of the
    /// account config either (so every process would fetch it).
    fn make(&self, report: &mut Report) {
        eprintln!("== make -j{MAKE_JOBS}");
        let run_as = run_as_okta(&["true"]);
        let makefile = self.work.path().join("Makefile");
        let targets: Vec<String> = (1..=MAKE_JOBS).map(|i| format!("t{i}")).collect();
        let quoted: Vec<String> = std::iter::once(self.options.p0.to_string_lossy().into_owned())
            .chain(run_as.iter().cloned())
            .collect();
        let mut text = format!(".PHONY: all {0}\nall: {0}\n", targets.join(" "));
        for target in &targets {
            text.push_str(&format!("{target}:\n\t@{}\n", quoted.join(" ")));
        }
        std::fs::write(&makefile, text).expect("the Makefile");
        let jobs = format!("-j{MAKE_JOBS}");
        let make_args = ["-s", &jobs, "-f", &makefile.to_string_lossy()].map(String::from);
        let cold = || {
            self.remove_entries("aws~okta~");
            self.remove_entries("aws-config~");
            self.sb.reset_calls();
        };
        let mut single = Vec::new();
        let mut burst = Vec::new();
        let mut single_calls = BTreeMap::new();
        let mut burst_calls = BTreeMap::new();
        for _ in 0..self.options.slow_rounds() {
            cold();
            single.push(measure::run(&mut self.p0_args(&run_as)).wall.as_secs_f64() * 1000.0);
            single_calls = self.sb.calls();
            cold();
            burst.push(
                measure::run(&mut self.command("make", &refs(&make_args)))
                    .wall
                    .as_secs_f64()
                    * 1000.0,
            );
            burst_calls = self.sb.calls();
        }
        report.make(&report::Make {
            jobs: MAKE_JOBS,
            command: format!(
                "make {} (each target: p0 {})",
                make_args[..2].join(" "),
                run_as.join(" ")
            ),
            single,
            burst,
            single_calls,
            burst_calls,
            latency_ms: LATENCY_MS,
        });
    }
}

/// The default accounts, with the Identity Center permission set already assigned (so direct
/// Identity Center and aws-sso-util get credentials without a P0 request).
fn bench_scenario() -> Value {
    scenario::with_accounts(json!([
        scenario::okta_account(
            PROD,
            scenario::PROD_LABEL,
            json!({ADMIN: {"policy": {"outcome": "approve"}}})
        ),
        scenario::idc_account(
            DEV,
            scenario::DEV_LABEL,
            json!({DEVELOPER: {"assigned": true, "policy": {"outcome": "approve"}}})
        ),
    ]))
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|s| s.to_string()).collect()
}

fn refs(args: &[String]) -> Vec<&str> {
    args.iter().map(String::as_str).collect()
}

/// `run-as --account prod --role Admin -- COMMAND` (Okta SAML through P0).
fn run_as_okta(command: &[&str]) -> Vec<String> {
    let mut args = strings(&["run-as", "--account", "prod", "--role", ADMIN, "--"]);
    args.extend(strings(command));
    args
}

/// `run-as --account dev --role Developer -- COMMAND` (Identity Center through P0).
fn run_as_idc_p0(command: &[&str]) -> Vec<String> {
    let mut args = strings(&["run-as", "--account", "dev", "--role", DEVELOPER, "--"]);
    args.extend(strings(command));
    args
}

/// `run-as --sso-start-url URL --sso-region R --account ID --role Developer [FLAGS] -- COMMAND`.
fn run_as_idc_direct(flags: &[&str], command: &[&str]) -> Vec<String> {
    let mut args = strings(&[
        "run-as",
        "--sso-start-url",
        IDC_START_URL,
        "--sso-region",
        IDC_REGION,
        "--account",
        DEV,
        "--role",
        DEVELOPER,
    ]);
    args.extend(strings(flags));
    args.push("--".into());
    args.extend(strings(command));
    args
}

/// The warm-path series names of [`Bench::eks`] (the report reads them back).
pub const EKS_P0: &str = "p0 aws eks get-token";
pub const EKS_AWS_CLI: &str = "aws eks get-token";
const EKS_CLUSTER: &str = "demo";

fn eks_get_token_args() -> Vec<String> {
    strings(&[
        "aws",
        "--account",
        "prod",
        "eks",
        "get-token",
        "--cluster-name",
        EKS_CLUSTER,
        "--role",
        ADMIN,
    ])
}

fn credential_process_args() -> Vec<String> {
    strings(&[
        "aws",
        "--account",
        "prod",
        "credential-process",
        "--role",
        ADMIN,
    ])
}

fn which(tool: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .unwrap_or_else(|| OsString::from("/usr/bin:/bin"))
        .to_string_lossy()
        .split(':')
        .map(|dir| Path::new(dir).join(tool))
        .find(|p| p.is_file())
}

fn first_line(command: &mut Command) -> String {
    command
        .output()
        .ok()
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .next()
                .unwrap_or("")
                .trim()
                .to_string()
        })
        .unwrap_or_else(|| "?".into())
}

/// Figures about the series the report needs beyond their own statistics.
pub fn by_name<'a>(series: &'a [Series], name: &str) -> &'a Series {
    series
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("no series {name}"))
}
