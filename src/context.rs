//! What every command runs with, built once in `main`: the state directory, the one HTTP
//! client, the human (can we prompt, open a browser), the printer, and the tuning knobs read
//! from the environment. Nothing below `commands/` reads HOME, probes the terminal or builds
//! its own HTTP client; it is handed a `Context`.
//!
//! A context is cheap to clone and is shared with background renewals.

use crate::cache::Cache;
use crate::env;
use crate::error::Result;
use crate::http::Http;
use crate::human::Human;
use crate::output::Printer;
use crate::state::StateDir;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

#[derive(Clone)]
pub struct Context {
    pub state: StateDir,
    pub printer: Printer,
    pub settings: Settings,
    inner: Arc<Lazy>,
    /// The warm-path front end's state warnings, held until it answers
    /// ([`Context::holding_warnings`]).
    held_warnings: Option<Arc<Mutex<Vec<String>>>>,
}

/// What is set up only when first needed: a warm run builds none of it.
#[derive(Default)]
struct Lazy {
    human: Human,
    /// Shared with the background context, so the process keeps one client.
    http: Arc<OnceLock<Http>>,
}

/// How `main` wants the context made.
#[derive(Debug, Clone)]
pub struct Options {
    /// Drop status lines (`--quiet`).
    pub quiet: bool,
    /// Print sign-in links without opening a browser (`--no-browser`, or `P0_NO_BROWSER`).
    pub no_browser: bool,
    /// stdout and stderr belong to a program (credential_process): messages and prompts go to
    /// the terminal only.
    pub output_is_read_by_a_program: bool,
}

/// Knobs read from the environment once: the only place `p0` reads them. Whatever needs one is
/// handed it from here (the HTTP client and the AWS SDK clients built on it carry the call's
/// deadline; the P0 API's send policy carries the retry base and the deadline).
#[derive(Debug, Clone)]
pub struct Settings {
    /// `P0_RETRY_BASE_MS`: the first delay of P0 API retries (§3.1 schedule).
    pub retry_base: Duration,
    /// `P0_LOCK_TIMEOUT`: how long to wait for another `p0` fetching the same thing.
    pub lock_timeout: Duration,
    /// `P0_LOCK_TIMEOUT` too, for the login session's lock: how long to wait for another `p0`
    /// renewing the session. Shorter by default ([`DEFAULT_SESSION_LOCK_TIMEOUT`]).
    pub session_lock_timeout: Duration,
    /// `P0_MIN_CREDENTIAL_LIFETIME`: cached credentials need at least this much left.
    pub min_credential_lifetime: Duration,
    /// `P0_CALL_TIMEOUT`: how long one network call may take, answer included (at least 1 s).
    pub call_timeout: Duration,
    /// `P0_LOGIN_TIMEOUT`: how long a browser sign-in may take to come back.
    pub login_timeout: Duration,
}

/// How long to wait for another `p0` fetching the same thing. It may be waiting for an
/// approval (up to 10 minutes) and then a device authorization.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// How long to wait for another `p0` renewing the login session: it may be in a device flow,
/// which Okta lets last 10 minutes.
pub const DEFAULT_SESSION_LOCK_TIMEOUT: Duration = Duration::from_secs(10 * 60);
/// Cached credentials are reused only while at least this much lifetime is left.
pub const DEFAULT_MIN_CREDENTIAL_LIFETIME: Duration = Duration::from_secs(5 * 60);
const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(1);
/// How long a browser sign-in may take (`P0_LOGIN_TIMEOUT`).
pub const DEFAULT_LOGIN_TIMEOUT: Duration = Duration::from_secs(5 * 60);

impl Settings {
    pub fn from_env() -> Settings {
        Settings::from_vars(env::get)
    }

    /// The settings `get` (a variable's value) gives; unset or unreadable values take the
    /// defaults.
    fn from_vars(get: impl Fn(&str) -> Option<String>) -> Settings {
        let number = |name: &str| get(name).and_then(|v| v.trim().parse::<u64>().ok());
        let defaults = Settings::default();
        let lock_timeout = number(env::read::P0_LOCK_TIMEOUT).map(Duration::from_secs);
        Settings {
            retry_base: number(env::read::P0_RETRY_BASE_MS)
                .map(Duration::from_millis)
                .unwrap_or(defaults.retry_base),
            lock_timeout: lock_timeout.unwrap_or(defaults.lock_timeout),
            session_lock_timeout: lock_timeout.unwrap_or(defaults.session_lock_timeout),
            min_credential_lifetime: number(env::read::P0_MIN_CREDENTIAL_LIFETIME)
                .map(Duration::from_secs)
                .unwrap_or(defaults.min_credential_lifetime),
            call_timeout: number(env::read::P0_CALL_TIMEOUT)
                .map(|seconds| Duration::from_secs(seconds.max(1)))
                .unwrap_or(defaults.call_timeout),
            login_timeout: number(env::read::P0_LOGIN_TIMEOUT)
                .map(Duration::from_secs)
                .unwrap_or(defaults.login_timeout),
        }
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            retry_base: DEFAULT_RETRY_BASE,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            session_lock_timeout: DEFAULT_SESSION_LOCK_TIMEOUT,
            min_credential_lifetime: DEFAULT_MIN_CREDENTIAL_LIFETIME,
            call_timeout: crate::http::DEFAULT_CALL_TIMEOUT,
            login_timeout: DEFAULT_LOGIN_TIMEOUT,
        }
    }
}

impl Context {
    /// The context for this process's environment.
    pub fn new(options: &Options) -> Result<Context> {
        let printer = if options.output_is_read_by_a_program {
            Printer::terminal_only(options.quiet)
        } else {
            Printer::standard(options.quiet)
        };
        let no_browser = options.no_browser || env::flag(env::read::P0_NO_BROWSER);
        let warnings = printer.clone();
        Ok(Context {
            state: StateDir::from_env()?.warning_to(move |line| warnings.warn(line)),
            printer,
            settings: Settings::from_env(),
            inner: Arc::new(Lazy {
                human: Human::new(no_browser),
                http: Arc::default(),
            }),
            held_warnings: None,
        })
    }

    /// The warm-path front end's context (`crate::front`): the state directory's warnings
    /// (files others can read) are held, shown by [`Context::release_warnings`] when the front
    /// end answers, and dropped when it hands the run to the whole program, which shows them
    /// itself: once either way.
    pub fn holding_warnings(options: &Options) -> Result<Context> {
        let held: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = held.clone();
        let ctx = Context::new(options)?;
        Ok(Context {
            state: ctx.state.clone().warning_to(move |line| {
                sink.lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(line.to_string())
            }),
            held_warnings: Some(held),
            ..ctx
        })
    }

    /// Shows the warnings held so far (none unless [`Context::holding_warnings`]): a warm
    /// answer calls it just before it answers.
    pub fn release_warnings(&self) {
        let Some(held) = &self.held_warnings else {
            return;
        };
        let lines = std::mem::take(&mut *held.lock().unwrap_or_else(|p| p.into_inner()));
        for line in lines {
            self.printer.warn(&line);
        }
    }

    /// The same context for background work: status lines dropped, warnings kept.
    pub fn quieted(&self) -> Context {
        Context {
            printer: self.printer.quieted(),
            ..self.clone()
        }
    }

    /// The context for renewals beside a running child (`--refresh`, `--restart`): no status
    /// lines, and nobody to ask. The child owns the terminal, so a renewal that needs a sign-in
    /// fails (and the supervisor reports it once) instead of drawing a prompt over the child's
    /// output or opening a browser.
    pub fn for_background(&self) -> Context {
        Context {
            inner: Arc::new(Lazy {
                human: Human::absent(),
                http: self.inner.http.clone(),
            }),
            ..self.quieted()
        }
    }

    pub fn human(&self) -> &Human {
        &self.inner.human
    }

    /// The shared on-disk cache (credentials, Identity Center tokens, the account config).
    pub fn cache(&self) -> Cache {
        Cache::new(&self.state, self.settings.lock_timeout)
    }

    /// The process's one HTTP client (one connection pool, one root store load), built on
    /// first use. An unusable CA bundle (`AWS_CA_BUNDLE`, `ca_bundle`) is said once, as a
    /// warning, and the calls go on with the system's roots: one behind the proxy it was meant
    /// for then fails on the certificate, and says so.
    pub fn http(&self) -> &Http {
        self.inner.http.get_or_init(|| {
            match crate::http::configured_client(self.settings.call_timeout) {
                Ok(client) => client,
                Err((client, problem)) => {
                    self.printer.warn(&format!(
                        "p0: warning: {problem} Going on with the system's trusted roots only."
                    ));
                    client
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(vars: &[(&str, &str)]) -> Settings {
        Settings::from_vars(|name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn every_knob_is_read_here() {
        let defaults = settings(&[]);
        assert_eq!(defaults.lock_timeout, Duration::from_secs(900));
        assert_eq!(defaults.session_lock_timeout, Duration::from_secs(600));
        assert_eq!(defaults.call_timeout, Duration::from_secs(60));
        assert_eq!(defaults.login_timeout, Duration::from_secs(300));
        assert_eq!(defaults.retry_base, Duration::from_secs(1));
        assert_eq!(defaults.min_credential_lifetime, Duration::from_secs(300));
        let set = settings(&[
            (env::read::P0_LOCK_TIMEOUT, "5"),
            (env::read::P0_CALL_TIMEOUT, "0"),
            (env::read::P0_LOGIN_TIMEOUT, " 7 "),
            (env::read::P0_RETRY_BASE_MS, "20"),
            (env::read::P0_MIN_CREDENTIAL_LIFETIME, "x"),
        ]);
        // The lock timeout a LockTimeout error tells the user to raise holds for both locks.
        assert_eq!(set.lock_timeout, Duration::from_secs(5));
        assert_eq!(set.session_lock_timeout, Duration::from_secs(5));
        assert_eq!(
            set.call_timeout,
            Duration::from_secs(1),
            "at least a second"
        );
        assert_eq!(set.login_timeout, Duration::from_secs(7));
        assert_eq!(set.retry_base, Duration::from_millis(20));
        assert_eq!(set.min_credential_lifetime, Duration::from_secs(300));
    }
}
