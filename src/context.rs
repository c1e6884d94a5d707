//! What every command runs with, built once in `main`: the state directory, the one HTTP
//! client, the human (can we prompt, open a browser), the printer, and the tuning knobs read
//! from the environment. Nothing below `commands/` reads HOME, probes the terminal or builds
//! its own HTTP client; it is handed a `Context`.
//!
//! A context is cheap to clone and is shared with background renewals.

use crate::cache::Cache;
use crate::env;
use crate::error::Result;
use crate::human::Human;
use crate::output::Printer;
use crate::state::StateDir;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

#[derive(Clone)]
pub struct Context {
    pub state: StateDir,
    pub printer: Printer,
    pub settings: Settings,
    inner: Arc<Lazy>,
}

/// What is set up only when first needed: a warm run builds none of it.
#[derive(Default)]
struct Lazy {
    human: Human,
    /// Shared with the background context, so the process keeps one client.
    http: Arc<OnceLock<reqwest::Client>>,
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

/// Knobs read from the environment once.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `P0_RETRY_BASE_MS`: the first delay of P0 API retries (§3.1 schedule).
    pub retry_base: Duration,
    /// `P0_LOCK_TIMEOUT`: how long to wait for another `p0` fetching the same thing.
    pub lock_timeout: Duration,
    /// `P0_MIN_CREDENTIAL_LIFETIME`: cached credentials need at least this much left.
    pub min_credential_lifetime: Duration,
}

/// How long to wait for another `p0` fetching the same thing. It may be waiting for an
/// approval (up to 10 minutes) and then a device authorization.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Cached credentials are reused only while at least this much lifetime is left.
pub const DEFAULT_MIN_CREDENTIAL_LIFETIME: Duration = Duration::from_secs(5 * 60);
const DEFAULT_RETRY_BASE: Duration = Duration::from_secs(1);

impl Settings {
    pub fn from_env() -> Settings {
        let number = |name: &str| env::get(name).and_then(|v| v.trim().parse::<u64>().ok());
        Settings {
            retry_base: number(env::read::P0_RETRY_BASE_MS)
                .map(Duration::from_millis)
                .unwrap_or(DEFAULT_RETRY_BASE),
            lock_timeout: number(env::read::P0_LOCK_TIMEOUT)
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_LOCK_TIMEOUT),
            min_credential_lifetime: number(env::read::P0_MIN_CREDENTIAL_LIFETIME)
                .map(Duration::from_secs)
                .unwrap_or(DEFAULT_MIN_CREDENTIAL_LIFETIME),
        }
    }
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            retry_base: DEFAULT_RETRY_BASE,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            min_credential_lifetime: DEFAULT_MIN_CREDENTIAL_LIFETIME,
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
        })
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
    pub fn http(&self) -> &reqwest::Client {
        self.inner
            .http
            .get_or_init(|| match crate::http::configured_client() {
                Ok(client) => client,
                Err((client, problem)) => {
                    self.printer.warn(&format!(
                        "p0: warning: {problem} Going on with the system's trusted roots only."
                    ));
                    client
                }
            })
    }
}
