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
use crate::cache::key::{self, Decoded, Entry, Kind, Source};
use crate::cache::CacheKey;
use crate::cli::StatusArgs;
use crate::context::Context;
use crate::credentials;
use crate::error::{Error, Result};
use crate::output;
use crate::p0::{self, P0Client, SessionSummary};
use crate::providers::assume_role::RoleArn;
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
    /// The cache's other entries: the account config, known roles, Identity Center client
    /// registrations, and names `p0` does not know.
    other_entries: Vec<OtherEntry>,
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
    /// `Okta SAML`, `AWS IAM Identity Center`, `web identity`, `chained role`, or `null` for an
    /// entry whose name `p0` does not know.
    source: Option<String>,
    /// The same for scripts: `okta_saml`, `identity_center`, `web_identity`, `chain`, or `null`.
    source_id: Option<&'static str>,
    /// The role ARN assumed (web identity, chained role).
    #[serde(skip_serializing_if = "Option::is_none")]
    role_arn: Option<String>,
    /// The STS session name (web identity, chained role).
    #[serde(skip_serializing_if = "Option::is_none")]
    session_name: Option<String>,
    /// A chained role: the credentials it assumed the role with.
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<Via>,
    expires_at: String,
    seconds_left: i64,
}

/// The source credentials of a chained role.
#[derive(Serialize)]
struct Via {
    source: String,
    source_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    account_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum OtherEntry {
    /// The local copy of the org's account config.
    AccountConfig { org: String },
    /// The roles seen offered per account (for completion).
    KnownRoles { org: String },
    /// An Identity Center client registration (renews the sign-in's token).
    IdentityCenterRegistration { start_url: String, region: String },
    /// A name `p0` does not write (or a key shortened with a hash).
    Unknown { entry: String },
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
        /// As in `credentials`.
        source: String,
        source_id: &'static str,
    },
    /// Another `p0` is signing in to this Identity Center instance.
    IdentityCenter {
        start_url: String,
        region: String,
    },
    /// Another `p0` is registering a client with this Identity Center instance.
    IdentityCenterRegistration {
        start_url: String,
        region: String,
    },
    /// Another `p0` is fetching the org's account config from P0.
    AccountConfig {
        org: String,
    },
    /// Another `p0` is updating the roles seen offered.
    KnownRoles {
        org: String,
    },
    /// Another `p0` is rewriting this AWS file (`~/.aws/config`, `~/.aws/credentials`).
    AwsFile {
        path: String,
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
        let listed = credentials::list(&cache);
        let mut credentials: Vec<Credential> = listed
            .iter()
            .map(|c| {
                let named = Named::of(&c.key);
                Credential {
                    account_label: label(&c.account_id),
                    source: named.source.map(Source::name),
                    source_id: named.source.map(Source::id),
                    role_arn: named.role_arn,
                    session_name: named.session_name,
                    via: named.via.map(|via| {
                        let of = Named::of(&via);
                        Via {
                            source: of.source.map_or_else(|| "other".into(), Source::name),
                            source_id: of.source.map_or("other", Source::id),
                            account_id: of.account_role.as_ref().map(|(a, _)| a.clone()),
                            role: of.account_role.map(|(_, r)| r),
                        }
                    }),
                    expires_at: rfc3339(c.expiration),
                    seconds_left: seconds_until(c.expiration),
                    account_id: c.account_id.clone(),
                    role: c.role.clone(),
                }
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
        locks_held.extend(cache.held_locks().iter().map(|key| lock_of(key, &listed)));
        let other_entries = cache
            .entries()
            .iter()
            .filter_map(|key| other_entry(key, &listed))
            .collect();
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
            other_entries,
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
                let via = c.via.as_ref().map_or(String::new(), |via| {
                    let from = match (&via.account_id, &via.role) {
                        (Some(account), Some(role)) => format!(" ({account}/{role})"),
                        _ => String::new(),
                    };
                    format!(" via {}{from}", via.source)
                });
                line(format!(
                    "  {account:account_width$}  {:role_width$}  {left:>9}  {}{via}",
                    c.role,
                    c.source.as_deref().unwrap_or("other"),
                ));
            }
        }
        if !self.other_entries.is_empty() {
            line(String::new());
            line("Other cache entries:".into());
            for entry in &self.other_entries {
                line(format!(
                    "  {}",
                    match entry {
                        OtherEntry::AccountConfig { org } => format!("the account config of {org}"),
                        OtherEntry::KnownRoles { org } =>
                            format!("the roles seen offered in {org}"),
                        OtherEntry::IdentityCenterRegistration { start_url, region } =>
                            format!("the Identity Center registration at {start_url} ({region})"),
                        OtherEntry::Unknown { entry } => format!("unknown: {entry}"),
                    }
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
                        Lock::Credentials {
                            account_id,
                            role,
                            source,
                            ..
                        } => format!("credentials for {account_id}/{role} ({source})"),
                        Lock::IdentityCenter { start_url, .. } =>
                            format!("the Identity Center sign-in at {start_url}"),
                        Lock::IdentityCenterRegistration { start_url, .. } =>
                            format!("the Identity Center registration at {start_url}"),
                        Lock::AccountConfig { org } =>
                            format!("the account config of {org} (fetching it from P0)"),
                        Lock::KnownRoles { org } => format!("the roles seen offered in {org}"),
                        Lock::AwsFile { path } => format!("the AWS file {path} (rewriting it)"),
                        Lock::Other { entry } => format!("cache entry {entry}"),
                    }
                ));
            }
        }
        out
    }
}

/// What a credentials entry's name says: its source, and what it names of the credentials.
#[derive(Default)]
struct Named {
    source: Option<Source>,
    account_role: Option<(String, String)>,
    role_arn: Option<String>,
    session_name: Option<String>,
    /// A chained role's source entry.
    via: Option<CacheKey>,
}

impl Named {
    fn of(key: &CacheKey) -> Named {
        match Entry::decode(key) {
            Decoded::Whole(Entry::Credentials(c)) => {
                let source = Some(c.source());
                let role_arn = c.role_arn().map(String::from);
                let account_role = c
                    .account_and_role()
                    .map(|(a, r)| (a.to_string(), r.to_string()))
                    .or_else(|| {
                        let target = RoleArn::parse(role_arn.as_deref()?, "").ok()?.target();
                        Some((target.account_id, target.role))
                    });
                let (session_name, via) = match c {
                    key::Credentials::WebIdentity { session_name, .. } => {
                        (Some(session_name), None)
                    }
                    key::Credentials::Chain {
                        session_name,
                        source,
                        ..
                    } => (Some(session_name), Some(source)),
                    _ => (None, None),
                };
                Named {
                    source,
                    account_role,
                    role_arn,
                    session_name,
                    via,
                }
            }
            Decoded::Shortened(Kind::Credentials(source)) => Named {
                source: Some(source),
                ..Named::default()
            },
            _ => Named::default(),
        }
    }
}

/// What a held lock is for, from its entry's key (`cache` names locks after entries); the
/// account and role of a credentials key shortened with a hash come from its entry, if any.
fn lock_of(key: &CacheKey, listed: &[credentials::Listed]) -> Lock {
    let other = || Lock::Other {
        entry: key.file_stem().to_string(),
    };
    match Entry::decode(key) {
        Decoded::Whole(Entry::IdcToken(idc)) => Lock::IdentityCenter {
            start_url: idc.start_url,
            region: idc.region,
        },
        Decoded::Whole(Entry::IdcRegistration(idc)) => Lock::IdentityCenterRegistration {
            start_url: idc.start_url,
            region: idc.region,
        },
        Decoded::Whole(Entry::AccountConfig { org }) => Lock::AccountConfig { org },
        Decoded::Whole(Entry::KnownRoles { org }) => Lock::KnownRoles { org },
        Decoded::Whole(Entry::AwsFile { path }) => Lock::AwsFile { path },
        Decoded::Whole(Entry::Credentials(_)) | Decoded::Shortened(Kind::Credentials(_)) => {
            let named = Named::of(key);
            let account_role = named.account_role.or_else(|| {
                let entry = listed.iter().find(|c| &c.key == key)?;
                Some((entry.account_id.clone(), entry.role.clone()))
            });
            match (named.source, account_role) {
                (Some(source), Some((account_id, role))) => Lock::Credentials {
                    account_id,
                    role,
                    source: source.name(),
                    source_id: source.id(),
                },
                _ => other(),
            }
        }
        Decoded::Shortened(_) | Decoded::Unknown => other(),
    }
}

/// An entry for `other_entries`: `None` for credentials and Identity Center tokens (listed
/// in their own sections) and for the temporary names of a write in progress.
fn other_entry(key: &CacheKey, listed: &[credentials::Listed]) -> Option<OtherEntry> {
    let unknown = || {
        Some(OtherEntry::Unknown {
            entry: key.file_stem().to_string(),
        })
    };
    match Entry::decode(key) {
        Decoded::Whole(Entry::AccountConfig { org }) => Some(OtherEntry::AccountConfig { org }),
        Decoded::Whole(Entry::KnownRoles { org }) => Some(OtherEntry::KnownRoles { org }),
        Decoded::Whole(Entry::IdcRegistration(idc)) => {
            Some(OtherEntry::IdentityCenterRegistration {
                start_url: idc.start_url,
                region: idc.region,
            })
        }
        Decoded::Whole(Entry::IdcToken(_)) | Decoded::Shortened(Kind::IdcToken) => None,
        // Listed unless unreadable: then it is named here rather than nowhere.
        Decoded::Whole(Entry::Credentials(_)) | Decoded::Shortened(Kind::Credentials(_)) => {
            if listed.iter().any(|c| &c.key == key) {
                None
            } else {
                unknown()
            }
        }
        _ => unknown(),
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
            lock_of(&okta, &[]),
            Lock::Credentials { ref account_id, ref role, source_id: "okta_saml", .. }
                if account_id == "123456789012" && role == "p0-grants/Ro"
        ));
        let chain = key::Credentials::Chain {
            role_arn: "arn:aws:iam::210987654321:role/team/X".into(),
            session_name: "p0".into(),
            external_id: None,
            source: okta.clone(),
        }
        .key();
        assert!(matches!(
            lock_of(&chain, &[]),
            Lock::Credentials { ref account_id, ref role, source_id: "chain", .. }
                if account_id == "210987654321" && role == "team/X"
        ));
        let idc = CacheKey::new(&[
            "aws-idc-token",
            "us-west-2",
            "https://d-1.awsapps.com/start",
        ]);
        assert!(matches!(lock_of(&idc, &[]), Lock::IdentityCenter { .. }));
        assert!(matches!(
            lock_of(&CacheKey::new(&["aws-config", "acme"]), &[]),
            Lock::AccountConfig { ref org } if org == "acme"
        ));
        assert!(matches!(
            lock_of(&CacheKey::new(&["aws-file", "/h/.aws/config"]), &[]),
            Lock::AwsFile { ref path } if path == "/h/.aws/config"
        ));
        assert!(matches!(
            lock_of(&CacheKey::new(&["saml2aws", "x"]), &[]),
            Lock::Other { .. }
        ));
    }

    #[test]
    fn a_shortened_chain_lock_takes_its_target_from_its_entry() {
        let long = key::Credentials::Chain {
            role_arn: format!("arn:aws:iam::210987654321:role/{}", "p/".repeat(100)),
            session_name: "p0".into(),
            external_id: None,
            source: CacheKey::new(&["aws", "okta", "acme", "1", "Admin"]),
        }
        .key();
        assert!(matches!(lock_of(&long, &[]), Lock::Other { .. }));
        let listed = credentials::Listed {
            key: long.clone(),
            account_id: "210987654321".into(),
            role: "p/p".into(),
            expiration: OffsetDateTime::now_utc(),
        };
        assert!(matches!(
            lock_of(&long, &[listed]),
            Lock::Credentials { source_id: "chain", ref role, .. } if role == "p/p"
        ));
    }

    #[test]
    fn other_entries_are_named() {
        let named = |parts: &[&str]| other_entry(&CacheKey::new(parts), &[]);
        assert!(matches!(
            named(&["aws-roles", "acme"]),
            Some(OtherEntry::KnownRoles { ref org }) if org == "acme"
        ));
        assert!(matches!(
            named(&["aws-idc-client", "us-west-2", "https://x"]),
            Some(OtherEntry::IdentityCenterRegistration { .. })
        ));
        assert!(named(&["aws-idc-token", "us-west-2", "https://x"]).is_none());
        assert!(matches!(
            named(&["aws", "okta", "acme", "1", "Admin"]),
            Some(OtherEntry::Unknown { .. })
        ));
    }
}
