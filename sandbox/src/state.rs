//! Everything the services share: issued tokens, device authorizations, access requests, role
//! assignments, call counts and pending faults. One mutex; no lock is held across an await.

use crate::faults::{Fault, Shape};
use crate::scenario::{Approval, DeviceSettings, GrantKind, Policy, Scenario};
use crate::server::ConnKill;
use crate::tokens;
use axum::response::Response;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// Base URLs of every service, as printed on the ready line.
#[derive(Debug, Clone)]
pub struct Urls {
    pub p0: String,
    pub idp: String,
    pub firebase_host: String,
    pub okta: String,
    pub sso_oidc: String,
    pub sso: String,
    pub sts: String,
    pub signin: String,
    pub moto: String,
    pub control: String,
}

pub type Shared = Arc<App>;

pub struct App {
    pub scenario: Scenario,
    pub urls: Urls,
    pub http: reqwest::Client,
    /// The Firebase web API key (`config.fs.apiKey`) every Google call must carry.
    pub firebase_api_key: String,
    pub firebase_project: String,
    /// The Okta user id (`uid`/`sub` of Okta tokens) and the Firebase uid of the one user.
    pub okta_user_id: String,
    pub firebase_uid: String,
    /// Whether each service's port is up (`POST /services/stop|start`), by its ready-line name.
    services: BTreeMap<&'static str, tokio::sync::watch::Sender<bool>>,
    inner: Mutex<Inner>,
    /// Google's, Entra's and Ping's sign-ins in progress (`idp.rs`).
    pub idp: Mutex<crate::idp::IdpState>,
}

/// The services that can be stopped and started again, by their ready-line names.
pub const SERVICES: &[&str] = &[
    "p0", "firebase", "okta", "idp", "sso_oidc", "sso", "sts", "signin",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    OktaAccess,
    OktaId,
    WebSso,
    FirebaseId,
    FirebaseRefresh,
    IdcAccess,
    IdcRefresh,
    /// Google's, Entra's or Ping's tokens.
    IdpAccess,
    IdpId,
    IdpRefresh,
}

impl TokenKind {
    /// The kinds `POST /expire {"what": ...}` names.
    pub fn group(what: &str) -> Option<&'static [TokenKind]> {
        use TokenKind::*;
        Some(match what {
            "okta" => &[OktaAccess, OktaId, WebSso],
            "okta_web_sso" => &[WebSso],
            "firebase" => &[FirebaseId],
            "firebase_refresh" => &[FirebaseRefresh],
            "idc" => &[IdcAccess, IdcRefresh],
            "idp" => &[IdpAccess, IdpId],
            "idp_refresh" => &[IdpRefresh],
            "all" => &[
                IdpAccess,
                IdpId,
                IdpRefresh,
                OktaAccess,
                OktaId,
                WebSso,
                FirebaseId,
                FirebaseRefresh,
                IdcAccess,
                IdcRefresh,
            ],
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct TokenInfo {
    pub kind: TokenKind,
    serial: u64,
    /// Epoch seconds.
    pub expires_at: u64,
    /// For web SSO tokens: the Okta app they were exchanged for. For IDC tokens: the identity
    /// store of the start URL.
    pub audience: Option<String>,
    pub used: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceKind {
    Okta,
    Idc,
    Ping,
}

impl DeviceKind {
    pub fn name(self) -> &'static str {
        match self {
            DeviceKind::Okta => "okta",
            DeviceKind::Idc => "idc",
            DeviceKind::Ping => "ping",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Device {
    pub kind: DeviceKind,
    pub user_code: String,
    pub client_id: String,
    /// Okta: the granted scope. IDC: the identity store of the start URL.
    pub detail: String,
    created: Instant,
    settings: DeviceSettings,
    polls: u32,
    approved: bool,
    redeemed: bool,
}

impl Device {
    fn expired(&self) -> bool {
        self.created.elapsed() >= Duration::from_secs(self.settings.expires_in)
    }
    fn awaiting_human(&self) -> bool {
        !self.redeemed
            && !self.approved
            && !self.expired()
            && self.settings.approval != Approval::Deny
    }
}

/// What a device-code poll answers.
#[derive(Debug, Clone)]
pub enum DevicePoll {
    Pending,
    SlowDown,
    Denied,
    Expired,
    /// Unknown, already redeemed, or issued to another client.
    Invalid,
    Granted(Device),
}

#[derive(Debug, Clone)]
pub struct IdcClient {
    pub secret: String,
    pub expires_at: u64,
}

#[derive(Debug, Clone)]
pub struct AccessRequest {
    pub account_id: String,
    pub kind: GrantKind,
    pub name: String,
    /// When the outcome is known; `None` for the `never` outcome.
    pub resolves_at: Option<Instant>,
    pub status: &'static str,
    pub message: Option<String>,
    /// A database request's `type`, `permission` and `delegation`, over the AWS ones.
    pub db: Option<serde_json::Value>,
}

struct Inner {
    counts: BTreeMap<String, u64>,
    commands: Vec<Vec<String>>,
    faults: Vec<Fault>,
    /// Every secret value handed out, in order (control port `GET /secrets`).
    secrets: Vec<String>,
    tokens: HashMap<String, TokenInfo>,
    next_serial: u64,
    /// Tokens of a kind with a serial at or below this were expired by `POST /expire`.
    expired_upto: HashMap<TokenKind, u64>,
    devices: HashMap<String, Device>,
    idc_clients: HashMap<String, IdcClient>,
    requests: HashMap<String, AccessRequest>,
    /// (account, kind, name) -> when the assignment takes effect (Okta lags behind P0).
    assignments: HashMap<Grant, Instant>,
    /// Revoked through the control port: not held, whatever the scenario says, until granted
    /// again.
    revoked: HashSet<Grant>,
    /// Policies that replace the scenario's for later requests (`POST /revoke` `then`).
    policies: HashMap<Grant, Policy>,
    /// The `WebIdentityToken` of every AssumeRoleWithWebIdentity through the STS proxy.
    web_identity_tokens: Vec<String>,
    /// Every role session STS issued (through the proxy, or for the portal), by access key id:
    /// what the sign-in federation endpoint accepts.
    sessions: HashMap<String, IssuedSession>,
    /// Sign-in tokens handed out by `getSigninToken`, by token.
    signin_tokens: HashMap<String, SigninToken>,
    /// Console sessions opened by `Action=login`, by their cookie.
    console_sessions: HashMap<String, ConsoleSession>,
    /// Okta AWS apps reinstalled through the control port: account id -> its new app id.
    app_ids: HashMap<String, String>,
}

/// A role session STS issued: its keys, when it ends, whose it is.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub secret_access_key: String,
    pub session_token: String,
    /// Epoch seconds.
    pub expires_at: u64,
    /// `arn:aws:sts::{account}:assumed-role/{role}/{session}`.
    pub arn: String,
    /// Made by AssumeRole with another role session's credentials (role chaining).
    pub chained: bool,
}

impl IssuedSession {
    /// (account, role name, session name) from the assumed-role ARN.
    pub fn principal(&self) -> (String, String, String) {
        let mut fields = self.arn.splitn(6, ':');
        let account = fields.nth(4).unwrap_or_default().to_string();
        let resource = fields.next().unwrap_or_default();
        let mut parts = resource.splitn(3, '/');
        let _kind = parts.next();
        let role = parts.next().unwrap_or_default().to_string();
        let session = parts.next().unwrap_or_default().to_string();
        (account, role, session)
    }
}

#[derive(Debug, Clone)]
pub struct SigninToken {
    pub session: IssuedSession,
    /// Epoch seconds.
    pub issued_at: u64,
    /// `SessionDuration` when given.
    pub duration: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct ConsoleSession {
    pub session: IssuedSession,
    pub destination: String,
    /// Epoch seconds.
    pub ends_at: u64,
}

/// A role or permission set of an account: (account id, kind, name).
type Grant = (String, GrantKind, String);

impl App {
    pub fn new(scenario: Scenario, urls: Urls, http: reqwest::Client) -> App {
        let faults = scenario.faults.clone();
        App {
            firebase_api_key: format!("AIzaSy{}", tokens::random_alnum(33)),
            firebase_project: format!("p0-sandbox-{}", scenario.org),
            okta_user_id: format!("00u{}", tokens::random_alnum(17)),
            firebase_uid: tokens::random_alnum(28),
            scenario,
            urls,
            http,
            services: SERVICES
                .iter()
                .map(|name| (*name, tokio::sync::watch::channel(true).0))
                .collect(),
            inner: Mutex::new(Inner {
                counts: BTreeMap::new(),
                commands: Vec::new(),
                faults,
                secrets: Vec::new(),
                tokens: HashMap::new(),
                next_serial: 0,
                expired_upto: HashMap::new(),
                devices: HashMap::new(),
                idc_clients: HashMap::new(),
                requests: HashMap::new(),
                assignments: HashMap::new(),
                revoked: HashSet::new(),
                policies: HashMap::new(),
                web_identity_tokens: Vec::new(),
                sessions: HashMap::new(),
                signin_tokens: HashMap::new(),
                console_sessions: HashMap::new(),
                app_ids: HashMap::new(),
            }),
            idp: Mutex::new(crate::idp::IdpState::default()),
        }
    }

    /// The Firebase provider the org's IdP tokens sign in as (P0's `findProviderId`).
    pub fn firebase_provider_id(&self) -> String {
        use crate::scenario::LoginKind;
        let sc = &self.scenario;
        match sc.login.kind {
            LoginKind::Okta => sc.okta.provider_id.clone(),
            LoginKind::Google => "google.com".into(),
            LoginKind::GoogleOidc => "oidc.google-oidc".into(),
            LoginKind::Entra | LoginKind::Ping => sc.login.provider_id.clone(),
            LoginKind::Password => "password".into(),
        }
    }

    /// The kinds of token a P0 bearer of a `useProviderToken` org is, and Firebase's
    /// `signInWithIdp` takes as the id token.
    pub fn provider_token_kinds(&self) -> (TokenKind, TokenKind) {
        match self.scenario.login.kind {
            crate::scenario::LoginKind::Okta => (TokenKind::OktaAccess, TokenKind::OktaId),
            _ => (TokenKind::IdpAccess, TokenKind::IdpId),
        }
    }

    /// What a service's accept loop watches: true while it is up.
    pub fn service_switch(&self, name: &str) -> tokio::sync::watch::Receiver<bool> {
        self.services[name].subscribe()
    }

    /// Stops (`up` false) or starts a service; false for an unknown name.
    pub fn set_service(&self, name: &str, up: bool) -> bool {
        match self.services.get(name) {
            Some(switch) => {
                switch.send_replace(up);
                true
            }
            None => false,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic elsewhere must not take every later call down with it.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    // ---- calls and faults ----

    /// Counts a call to `endpoint` and applies the first pending fault for it: latency first,
    /// then a status or a dropped connection. Other fault kinds (`saml`, `invalid_grant`, a
    /// `close` on the poll stream) are returned for the handler to act on.
    pub async fn enter(
        &self,
        endpoint: &str,
        shape: Shape,
        kill: &ConnKill,
    ) -> Result<Option<Fault>, Response> {
        self.count(endpoint);
        let Some(fault) = self.take_fault(&[endpoint]) else {
            return Ok(None);
        };
        apply_fault(fault, shape, kill, endpoint == "p0.poll").await
    }

    pub fn count(&self, name: &str) {
        *self.lock().counts.entry(name.to_string()).or_default() += 1;
    }

    pub fn take_fault(&self, endpoints: &[&str]) -> Option<Fault> {
        let mut inner = self.lock();
        let index = inner
            .faults
            .iter()
            .position(|f| endpoints.contains(&f.endpoint.as_str()))?;
        let fault = inner.faults[index].clone();
        match fault.times {
            0 => {}
            1 => {
                inner.faults.remove(index);
            }
            n => inner.faults[index].times = n - 1,
        }
        Some(fault)
    }

    pub fn add_faults(&self, faults: Vec<Fault>) {
        self.lock().faults.extend(faults);
    }

    /// Removes every pending fault (an outage ends); returns how many there were.
    pub fn clear_faults(&self) -> usize {
        std::mem::take(&mut self.lock().faults).len()
    }

    pub fn record_command(&self, argv: Vec<String>) {
        self.lock().commands.push(argv);
    }

    pub fn calls(&self) -> (BTreeMap<String, u64>, Vec<Vec<String>>) {
        let inner = self.lock();
        (inner.counts.clone(), inner.commands.clone())
    }

    pub fn reset_calls(&self) {
        let mut inner = self.lock();
        inner.counts.clear();
        inner.commands.clear();
        inner.web_identity_tokens.clear();
    }

    pub fn record_web_identity_token(&self, token: String) {
        self.lock().web_identity_tokens.push(token);
    }

    pub fn web_identity_tokens(&self) -> Vec<String> {
        self.lock().web_identity_tokens.clone()
    }

    // ---- role sessions and the sign-in federation endpoint ----

    pub fn record_session(&self, access_key_id: &str, session: IssuedSession) {
        self.lock()
            .sessions
            .insert(access_key_id.to_string(), session);
    }

    pub fn session(&self, access_key_id: &str) -> Option<IssuedSession> {
        self.lock().sessions.get(access_key_id).cloned()
    }

    pub fn add_signin_token(&self, token: &str, signin: SigninToken) {
        self.lock().signin_tokens.insert(token.to_string(), signin);
    }

    pub fn signin_token(&self, token: &str) -> Option<SigninToken> {
        self.lock().signin_tokens.get(token).cloned()
    }

    pub fn add_console_session(&self, cookie: &str, console: ConsoleSession) {
        self.lock()
            .console_sessions
            .insert(cookie.to_string(), console);
    }

    pub fn console_session(&self, cookie: &str) -> Option<ConsoleSession> {
        self.lock().console_sessions.get(cookie).cloned()
    }

    // ---- secrets ----

    /// Records a secret value this sandbox handed out (a token, a device code, a client
    /// secret, a SAML assertion, AWS keys), so a test can check that none reaches output.
    pub fn record_secret(&self, value: &str) {
        if !value.is_empty() {
            self.lock().secrets.push(value.to_string());
        }
    }

    pub fn secrets(&self) -> Vec<String> {
        self.lock().secrets.clone()
    }

    // ---- tokens ----

    pub fn register_token(
        &self,
        token: &str,
        kind: TokenKind,
        lifetime_secs: u64,
        audience: Option<String>,
    ) {
        let mut inner = self.lock();
        inner.secrets.push(token.to_string());
        inner.next_serial += 1;
        let info = TokenInfo {
            kind,
            serial: inner.next_serial,
            expires_at: tokens::now_secs() + lifetime_secs,
            audience,
            used: false,
        };
        inner.tokens.insert(token.to_string(), info);
    }

    /// A token of one of `kinds` that was issued here and has neither expired nor been
    /// expired through the control port.
    pub fn valid_token(&self, token: &str, kinds: &[TokenKind]) -> Result<TokenInfo, TokenError> {
        let inner = self.lock();
        let info = inner.tokens.get(token).ok_or(TokenError::Unknown)?;
        if !kinds.contains(&info.kind) {
            return Err(TokenError::Unknown);
        }
        let revoked = inner
            .expired_upto
            .get(&info.kind)
            .is_some_and(|&upto| info.serial <= upto);
        if revoked || tokens::now_secs() >= info.expires_at {
            return Err(TokenError::Expired);
        }
        Ok(info.clone())
    }

    /// Marks a single-use token as used; false if it already was.
    pub fn use_once(&self, token: &str) -> bool {
        let mut inner = self.lock();
        match inner.tokens.get_mut(token) {
            Some(info) if !info.used => {
                info.used = true;
                true
            }
            _ => false,
        }
    }

    pub fn expire(&self, kinds: &[TokenKind]) {
        let mut inner = self.lock();
        let upto = inner.next_serial;
        for kind in kinds {
            inner.expired_upto.insert(*kind, upto);
        }
    }

    // ---- device authorizations (Okta and Identity Center) ----

    pub fn new_device(
        &self,
        kind: DeviceKind,
        client_id: &str,
        detail: String,
        settings: &DeviceSettings,
    ) -> (String, String) {
        let device_code = match kind {
            DeviceKind::Okta | DeviceKind::Ping => tokens::uuid(),
            DeviceKind::Idc => tokens::random_b64url(96),
        };
        let user_code = match kind {
            DeviceKind::Okta | DeviceKind::Ping => tokens::user_code(2).replace('-', ""),
            DeviceKind::Idc => tokens::user_code(2),
        };
        let device = Device {
            kind,
            user_code: user_code.clone(),
            client_id: client_id.to_string(),
            detail,
            created: Instant::now(),
            settings: settings.clone(),
            polls: 0,
            approved: false,
            redeemed: false,
        };
        let mut inner = self.lock();
        inner.secrets.push(device_code.clone());
        inner.devices.insert(device_code.clone(), device);
        (device_code, user_code)
    }

    pub fn poll_device(&self, kind: DeviceKind, device_code: &str, client_id: &str) -> DevicePoll {
        let mut inner = self.lock();
        let Some(device) = inner.devices.get_mut(device_code) else {
            return DevicePoll::Invalid;
        };
        if device.kind != kind || device.redeemed || device.client_id != client_id {
            return DevicePoll::Invalid;
        }
        if device.expired() {
            return DevicePoll::Expired;
        }
        device.polls += 1;
        let settings = &device.settings;
        if device.polls <= settings.pending_polls {
            return DevicePoll::Pending;
        }
        if device.polls <= settings.pending_polls + settings.slow_down_polls {
            return DevicePoll::SlowDown;
        }
        let granted = match settings.approval {
            Approval::Deny => return DevicePoll::Denied,
            Approval::Auto => true,
            Approval::Manual => device.approved,
        };
        if !granted {
            return DevicePoll::Pending;
        }
        device.redeemed = true;
        DevicePoll::Granted(device.clone())
    }

    pub fn pending_devices(&self) -> Vec<(DeviceKind, String)> {
        let inner = self.lock();
        let mut pending: Vec<_> = inner
            .devices
            .values()
            .filter(|d| d.awaiting_human())
            .map(|d| (d.created, d.kind, d.user_code.clone()))
            .collect();
        pending.sort_by_key(|(created, _, _)| *created);
        pending
            .into_iter()
            .map(|(_, kind, code)| (kind, code))
            .collect()
    }

    /// Approves the device with this user code, or every one awaiting a human; returns how
    /// many were approved.
    pub fn approve_devices(&self, user_code: Option<&str>) -> usize {
        let mut inner = self.lock();
        let mut approved = 0;
        for device in inner.devices.values_mut() {
            let matches = user_code.is_none_or(|code| {
                device
                    .user_code
                    .eq_ignore_ascii_case(&code.replace('-', ""))
                    || device.user_code.eq_ignore_ascii_case(code)
            });
            if matches && device.awaiting_human() {
                device.approved = true;
                approved += 1;
            }
        }
        approved
    }

    // ---- Identity Center clients ----

    pub fn register_idc_client(&self, client_id: &str, client: IdcClient) {
        self.lock()
            .idc_clients
            .insert(client_id.to_string(), client);
    }

    /// The Okta AWS app id of an okta-saml account now: the scenario's, unless an admin
    /// reinstalled the app (`POST /accounts/reinstall`).
    pub fn app_id_of(&self, account: &crate::scenario::Account) -> Option<String> {
        self.lock()
            .app_ids
            .get(&account.id)
            .cloned()
            .or_else(|| account.app_id.clone())
    }

    /// An admin reinstalled the account's Okta AWS app: P0's config and Okta know it by
    /// `app_id` from now on, and Okta no longer knows the old id.
    pub fn reinstall_app(&self, account_id: &str, app_id: &str) {
        self.lock()
            .app_ids
            .insert(account_id.to_string(), app_id.to_string());
    }

    /// The Identity Center instance was deleted and created again: no registration made
    /// before is known to it any more.
    pub fn forget_idc_clients(&self) {
        self.lock().idc_clients.clear();
    }

    pub fn idc_client_ok(&self, client_id: &str, secret: &str) -> bool {
        self.lock()
            .idc_clients
            .get(client_id)
            .is_some_and(|c| c.secret == secret && c.expires_at > tokens::now_secs())
    }

    // ---- access requests and assignments ----

    pub fn add_request(&self, id: &str, request: AccessRequest) {
        self.lock().requests.insert(id.to_string(), request);
    }

    pub fn request(&self, id: &str) -> Option<AccessRequest> {
        self.lock().requests.get(id).cloned()
    }

    pub fn assign(&self, account_id: &str, kind: GrantKind, name: &str, effective: Instant) {
        let key = (account_id.to_string(), kind, name.to_string());
        let mut inner = self.lock();
        inner.revoked.remove(&key);
        let entry = inner.assignments.entry(key).or_insert(effective);
        *entry = (*entry).min(effective);
    }

    /// Takes the role or permission set away (an admin revoking it in P0, or its grant
    /// ending); with `then`, later requests for it follow that policy.
    pub fn revoke(&self, account_id: &str, kind: GrantKind, name: &str, then: Option<Policy>) {
        let key = (account_id.to_string(), kind, name.to_string());
        let mut inner = self.lock();
        inner.assignments.remove(&key);
        if let Some(policy) = then {
            inner.policies.insert(key.clone(), policy);
        }
        inner.revoked.insert(key);
    }

    /// The policy a new request for it follows: the scenario's, unless `POST /revoke` set one.
    pub fn policy(&self, account_id: &str, kind: GrantKind, name: &str) -> Policy {
        let key = (account_id.to_string(), kind, name.to_string());
        if let Some(policy) = self.lock().policies.get(&key) {
            return policy.clone();
        }
        self.scenario
            .account(account_id)
            .and_then(|a| a.grantables(kind).get(name))
            .map(|g| g.policy.clone())
            .unwrap_or_default()
    }

    /// Whether the user holds this role or permission set right now.
    pub fn is_assigned(&self, account_id: &str, kind: GrantKind, name: &str) -> bool {
        let in_scenario = self
            .scenario
            .account(account_id)
            .and_then(|a| a.grantables(kind).get(name))
            .is_some_and(|g| g.assigned);
        let key = (account_id.to_string(), kind, name.to_string());
        let inner = self.lock();
        if in_scenario && !inner.revoked.contains(&key) {
            return true;
        }
        inner
            .assignments
            .get(&key)
            .is_some_and(|&at| Instant::now() >= at)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenError {
    Unknown,
    Expired,
}

pub async fn apply_fault(
    fault: Fault,
    shape: Shape,
    kill: &ConnKill,
    handler_closes: bool,
) -> Result<Option<Fault>, Response> {
    if let Some(ms) = fault.latency_ms {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    if fault.close && !handler_closes {
        kill.close_now().await;
    }

    if let (Shape::Okta, Some(429)) = (shape, fault.status) {
        return Err(crate::faults::okta_rate_limited(
            fault.rate_limit_reset_secs.unwrap_or(60),
        ));
    }
    if let Some(status) = fault.status {
        return Err(crate::faults::status_response(shape, status));
    }
    if fault.malformed && !handler_closes {
        return Err(crate::faults::malformed_response(shape));
    }
    Ok(Some(fault))
}
