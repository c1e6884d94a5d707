//! `p0 status [--json] [--check]`: who is logged in to which org and until when, the Identity
//! Center sign-ins, every cached credential with its time left, and which locks another `p0`
//! holds right now.
//!
//! From local files only (no runtime, no HTTP client) unless `--check`, which makes the one
//! authenticated call `p0 login` makes to check access. Never a secret: no token, no key, not
//! even an access key id (harmless alone, but it names the session in CloudTrail, and nothing
//! here needs it). The report goes to stdout: it is what the command is for.

use super::block_on;
use crate::accounts::{self, KnownAccount};
use crate::backend::Backend;
use crate::cache::CacheKey;
use crate::cli::StatusArgs;
use crate::context::Context;
use crate::credentials;
use crate::error::{Error, Result};
use crate::output;
use crate::p0::{self, P0Client, SessionSummary};
use crate::providers::identity_center::{self, SignIn};
use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

/// An Okta session with this little left (seconds) cannot be used: commands sign in again.
const SESSION_MARGIN_SECS: f64 = 60.0;

pub fn run(ctx: &Context, args: StatusArgs) -> Result<u8> {
    // First, so a session the check renewed is the one reported.
    let check = args.check.then(|| check(ctx));
    let report = Report::gather(ctx, check.as_ref());
    if args.json {
        let json = serde_json::to_string_pretty(&report).expect("the report serializes");
        output::stdout(&format!("{json}\n"))?;
    } else {
        output::stdout(&report.text())?;
    }
    match check {
        Some(Err(e)) => Err(e),
        _ => Ok(0),
    }
}

/// The cheapest authenticated call: the access check of `p0 login` (§2.1 step 5). A session
/// over by the clock is reported as such without a call, so `status` never starts a sign-in.
fn check(ctx: &Context) -> Result<()> {
    let session = p0::stored_session(&ctx.state).ok_or(Error::NotLoggedIn)?;
    if !session.renews && session.ends_at - now() <= SESSION_MARGIN_SECS {
        return Err(Error::CredentialsExpired);
    }
    block_on(async {
        let client = P0Client::connect(ctx).await?;
        client.get_json::<Value>("account").await.map(|_| ())
    })
}

#[derive(Serialize)]
struct Report {
    logged_in: bool,
    org: Option<String>,
    user: Option<String>,
    /// How the org signs in: `okta`, `google`, `entra`, `ping` or `password`.
    #[serde(skip_serializing_if = "Option::is_none")]
    login: Option<&'static str>,
    #[serde(skip)]
    login_name: Option<&'static str>,
    session: Option<Session>,
    #[serde(skip_serializing_if = "Option::is_none")]
    check: Option<Check>,
    identity_center: Vec<IdentityCenter>,
    credentials: Vec<Credential>,
    locks_held: Vec<Lock>,
}

#[derive(Serialize)]
struct Session {
    ends_at: String,
    seconds_left: i64,
    /// The session renews itself then, with no sign-in (Entra's refresh token, a password
    /// login); otherwise a new sign-in is needed.
    renews: bool,
}

#[derive(Serialize)]
struct Check {
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct IdentityCenter {
    start_url: String,
    region: String,
    expires_at: String,
    seconds_left: i64,
    /// Renews with its refresh token, without a human.
    renewable: bool,
}

#[derive(Serialize)]
struct Credential {
    account_id: String,
    account_label: Option<String>,
    role: String,
    /// `Okta SAML`, `AWS IAM Identity Center`, or `null` for an entry of another kind.
    source: Option<String>,
    expires_at: String,
    seconds_left: i64,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Lock {
    /// Another `p0` is signing in to P0 or renewing the session.
    Session,
    /// Another `p0` is fetching these credentials.
    Credentials {
        account_id: String,
        role: String,
    },
    /// Another `p0` is signing in to this Identity Center instance.
    IdentityCenter {
        start_url: String,
    },
    Other {
        entry: String,
    },
}

impl Report {
    fn gather(ctx: &Context, check: Option<&Result<()>>) -> Report {
        let cache = ctx.cache();
        let session = p0::stored_session(&ctx.state);
        let accounts = session
            .as_ref()
            .map(|s| accounts::known_accounts(&cache, &s.org))
            .unwrap_or_default();
        let label = |id: &str| {
            accounts
                .iter()
                .find(|a: &&KnownAccount| a.id == id)
                .and_then(|a| a.label.clone())
        };
        let mut credentials: Vec<Credential> = credentials::list(&cache)
            .into_iter()
            .map(|c| Credential {
                account_label: label(&c.account_id),
                source: c.key_parts.as_ref().and_then(|p| source_of(p)),
                expires_at: rfc3339(c.expiration),
                seconds_left: seconds_until(c.expiration),
                account_id: c.account_id,
                role: c.role,
            })
            .collect();
        credentials.sort_by(|a, b| (&a.account_id, &a.role).cmp(&(&b.account_id, &b.role)));
        let identity_center = identity_center::cached_sign_ins(&cache)
            .into_iter()
            .map(|sign_in: SignIn| {
                let expires = OffsetDateTime::from_unix_timestamp(sign_in.expires_at)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                IdentityCenter {
                    start_url: sign_in.start_url,
                    region: sign_in.region,
                    expires_at: rfc3339(expires),
                    seconds_left: seconds_until(expires),
                    renewable: sign_in.renewable,
                }
            })
            .collect();
        let mut locks_held = Vec::new();
        if session.as_ref().is_some_and(|s| s.lock_held) {
            locks_held.push(Lock::Session);
        }
        locks_held.extend(cache.held_locks().iter().map(lock_of));
        Report {
            logged_in: session.is_some(),
            org: session.as_ref().map(|s| s.org.clone()),
            user: session.as_ref().and_then(|s| s.email.clone()),
            login: session.as_ref().and_then(|s| s.kind.map(|(id, _)| id)),
            login_name: session.as_ref().and_then(|s| s.kind.map(|(_, name)| name)),
            session: session.as_ref().map(|s: &SessionSummary| {
                let ends = OffsetDateTime::from_unix_timestamp(s.ends_at as i64)
                    .unwrap_or(OffsetDateTime::UNIX_EPOCH);
                Session {
                    ends_at: rfc3339(ends),
                    seconds_left: seconds_until(ends),
                    renews: s.renews,
                }
            }),
            check: check.map(|result| Check {
                ok: result.is_ok(),
                error: result.as_ref().err().map(ToString::to_string),
            }),
            identity_center,
            credentials,
            locks_held,
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let mut line = |text: String| {
            out.push_str(&text);
            out.push('\n');
        };
        match (&self.org, &self.session) {
            (Some(org), Some(session)) => {
                line(format!("Organization:  {org}"));
                line(format!(
                    "User:          {}",
                    self.user.as_deref().unwrap_or("(not in the stored tokens)")
                ));
                if let Some(kind) = self.login_name {
                    line(format!("Login:         {kind}"));
                }
                line(format!(
                    "P0 session:    {} {} ({}){}",
                    match (session.renews, session.seconds_left > 0) {
                        (true, true) => "renews",
                        (true, false) => "renews at next use; due",
                        (false, true) => "ends",
                        (false, false) => "ended",
                    },
                    shown_time(&session.ends_at),
                    relative(session.seconds_left),
                    if session.renews {
                        ", without a sign-in"
                    } else {
                        ""
                    }
                ));
            }
            _ => line("Not logged in: run `p0 login <organization>`.".into()),
        }
        if let Some(check) = &self.check {
            line(match &check.error {
                None => "Check:         P0 accepted the session".into(),
                Some(_) => "Check:         failed (see below)".into(),
            });
        }
        line(String::new());
        if self.identity_center.is_empty() {
            line("Identity Center sign-ins: none".into());
        } else {
            line("Identity Center sign-ins:".into());
            for idc in &self.identity_center {
                line(format!("  {} ({})", idc.start_url, idc.region));
                line(format!(
                    "    {} {} ({}){}",
                    if idc.seconds_left > 0 {
                        "expires"
                    } else {
                        "expired"
                    },
                    shown_time(&idc.expires_at),
                    relative(idc.seconds_left),
                    if idc.renewable {
                        "; renews without a sign-in"
                    } else {
                        ""
                    }
                ));
            }
        }
        line(String::new());
        if self.credentials.is_empty() {
            line("Cached credentials: none".into());
        } else {
            line("Cached credentials:".into());
            let accounts: Vec<String> = self
                .credentials
                .iter()
                .map(|c| match &c.account_label {
                    Some(label) => format!("{label} ({})", c.account_id),
                    None => c.account_id.clone(),
                })
                .collect();
            let account_width = accounts
                .iter()
                .map(|a| a.chars().count())
                .max()
                .unwrap_or(0);
            let role_width = self
                .credentials
                .iter()
                .map(|c| c.role.chars().count())
                .max()
                .unwrap_or(0);
            for (c, account) in self.credentials.iter().zip(&accounts) {
                let left = if c.seconds_left > 0 {
                    format!("{} left", short_duration(c.seconds_left))
                } else {
                    "expired".into()
                };
                line(format!(
                    "  {account:account_width$}  {:role_width$}  {left:>9}  {}",
                    c.role,
                    c.source.as_deref().unwrap_or("other"),
                ));
            }
        }
        line(String::new());
        if self.locks_held.is_empty() {
            line("Locks held now: none".into());
        } else {
            line("Locks held now (another p0 is at work):".into());
            for lock in &self.locks_held {
                line(format!(
                    "  {}",
                    match lock {
                        Lock::Session => "the P0 session (signing in or renewing)".into(),
                        Lock::Credentials { account_id, role } =>
                            format!("credentials for {account_id}/{role}"),
                        Lock::IdentityCenter { start_url } =>
                            format!("the Identity Center sign-in at {start_url}"),
                        Lock::Other { entry } => format!("cache entry {entry}"),
                    }
                ));
            }
        }
        out
    }
}

/// Where a credential entry came from, by its key's backend word.
fn source_of(parts: &[String]) -> Option<String> {
    let [kind, word, ..] = parts else {
        return None;
    };
    if kind != "aws" {
        return None;
    }
    Backend::ALL
        .into_iter()
        .find(|b| b.cache_key() == word)
        .map(|b| b.to_string())
}

/// What a held lock is for, from its entry's key (`cache.rs` names locks after entries).
fn lock_of(key: &CacheKey) -> Lock {
    let other = || Lock::Other {
        entry: key.file_stem().to_string(),
    };
    let Some(parts) = key.parts() else {
        return other();
    };
    match parts.as_slice() {
        [aws, okta, _org, account, role]
            if aws == "aws" && okta == Backend::OktaSaml.cache_key() =>
        {
            Lock::Credentials {
                account_id: account.clone(),
                role: role.clone(),
            }
        }
        [aws, idc, _region, _url, account, role]
            if aws == "aws" && idc == Backend::IdentityCenter.cache_key() =>
        {
            Lock::Credentials {
                account_id: account.clone(),
                role: role.clone(),
            }
        }
        [kind, _region, start_url] if kind == "aws-idc-token" => Lock::IdentityCenter {
            start_url: start_url.clone(),
        },
        _ => other(),
    }
}

fn now() -> f64 {
    OffsetDateTime::now_utc().unix_timestamp() as f64
}

fn seconds_until(at: OffsetDateTime) -> i64 {
    (at - OffsetDateTime::now_utc()).whole_seconds()
}

fn rfc3339(at: OffsetDateTime) -> String {
    let at = at
        .to_offset(time::UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// `2026-03-01T13:00:00Z` as `2026-03-01 13:00:00 UTC`.
fn shown_time(rfc3339: &str) -> String {
    match rfc3339.strip_suffix('Z') {
        Some(utc) => format!("{} UTC", utc.replacen('T', " ", 1)),
        None => rfc3339.to_string(),
    }
}

/// `in 59m`, `12m ago`.
fn relative(seconds: i64) -> String {
    if seconds >= 0 {
        format!("in {}", short_duration(seconds))
    } else {
        format!("{} ago", short_duration(-seconds))
    }
}

/// `45s`, `59m`, `7h59m`, `2d3h`.
fn short_duration(seconds: i64) -> String {
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3600,
        seconds % 3600 / 60,
    );
    match (d, h, m) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h{m:02}m"),
        (d, h, _) => format!("{d}d{h}h"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_short() {
        assert_eq!(short_duration(45), "45s");
        assert_eq!(short_duration(59 * 60 + 5), "59m");
        assert_eq!(short_duration(7 * 3600 + 59 * 60), "7h59m");
        assert_eq!(short_duration(3600 + 60), "1h01m");
        assert_eq!(short_duration(2 * 86_400 + 3 * 3600), "2d3h");
        assert_eq!(relative(-120), "2m ago");
        assert_eq!(
            shown_time("2026-03-01T13:00:00Z"),
            "2026-03-01 13:00:00 UTC"
        );
    }

    #[test]
    fn held_locks_say_what_they_are_for() {
        let okta = CacheKey::new(&["aws", "okta", "acme", "123456789012", "p0-grants/Ro"]);
        assert!(matches!(
            lock_of(&okta),
            Lock::Credentials { ref account_id, ref role }
                if account_id == "123456789012" && role == "p0-grants/Ro"
        ));
        let idc = CacheKey::new(&[
            "aws-idc-token",
            "us-west-2",
            "https://d-1.awsapps.com/start",
        ]);
        assert!(matches!(lock_of(&idc), Lock::IdentityCenter { .. }));
        assert!(matches!(
            lock_of(&CacheKey::new(&["aws-config", "acme"])),
            Lock::Other { .. }
        ));
        assert_eq!(
            source_of(&["aws".into(), "idc".into()]).as_deref(),
            Some("AWS IAM Identity Center")
        );
        assert_eq!(source_of(&["aws-config".into(), "acme".into()]), None);
    }
}
