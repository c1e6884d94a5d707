//! The browser step of a sign-in (Google, Entra at the sandbox's `idp`): as a browser does it,
//! link by link ([`follow`]), or by a real headless Chromium ([`Chromium`]).

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Where each step of [`follow`] went.
#[derive(Debug)]
pub struct Visit {
    /// The sign-in page's status.
    pub page_status: u16,
    /// The redirect the sign-in form answered with (`Location`), if any.
    pub redirect: Option<String>,
    /// The final answer (the redirect target's, `p0`'s listener): status and body; `None`
    /// when nothing answered there.
    pub landing: Option<(u16, String)>,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .timeout_global(Some(Duration::from_secs(20)))
        .build()
        .into()
}

/// Opens `authorize_url`, submits its sign-in form as a person's click would, and follows the
/// redirect to wherever it points (the client's loopback listener).
pub fn follow(authorize_url: &str) -> Visit {
    let agent = agent();
    let mut page = agent
        .get(authorize_url)
        .call()
        .expect("the sign-in page answers");
    let page_status = page.status().as_u16();
    let location = |response: &ureq::http::Response<ureq::Body>| {
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(String::from)
    };
    // Errors the IdP sends straight back to the client arrive as a redirect.
    let redirect = if page.status().is_redirection() {
        location(&page)
    } else {
        let html = page.body_mut().read_to_string().unwrap_or_default();
        match field(&html, "txn") {
            Some(txn) => {
                let base = url_base(authorize_url);
                let answer = agent
                    .post(format!("{base}/signin"))
                    .send_form([("txn", txn.as_str())])
                    .expect("the sign-in form answers");
                location(&answer)
            }
            None => None,
        }
    };
    let landing = redirect.as_deref().and_then(|target| {
        let mut response = agent.get(target).call().ok()?;
        let status = response.status().as_u16();
        Some((
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        ))
    });
    Visit {
        page_status,
        redirect,
        landing,
    }
}

/// `scheme://host:port` of a URL.
pub fn url_base(url: &str) -> String {
    let after_scheme = url.find("://").map(|i| i + 3).unwrap_or(0);
    let end = url[after_scheme..]
        .find('/')
        .map(|i| after_scheme + i)
        .unwrap_or(url.len());
    url[..end].to_string()
}

/// The value of a hidden input `name` in a page.
fn field(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// A query parameter of a URL, decoded.
pub fn query_param(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| decode(value))
    })
}

fn decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Debian's Chromium, headless, with a fresh profile, opening one URL; killed when dropped.
pub struct Chromium {
    child: Child,
    _profile: tempfile::TempDir,
}

impl Chromium {
    pub const PATH: &'static str = "/usr/bin/chromium";
    /// Headless, as root, and silent on this machine's closed network (no background
    /// connections, updates or sync).
    const FLAGS: [&'static str; 8] = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ];

    /// The page Chromium ends on after following `url` (redirects, cookies): its DOM, as
    /// `--dump-dom` prints it. Panics when it fails or outlives `deadline`.
    pub fn dump_dom(url: &str, deadline: Duration) -> String {
        let dir = tempfile::tempdir().expect("a temp dir");
        let dom_path = dir.path().join("dom.html");
        let mut child = Command::new(Chromium::PATH)
            .args(Chromium::FLAGS)
            .arg(format!(
                "--user-data-dir={}",
                dir.path().join("profile").display()
            ))
            .args(["--dump-dom", url])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&dom_path).expect("a DOM file"))
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", Chromium::PATH));
        let status = crate::wait_with_timeout(&mut child, deadline)
            .expect("chromium finished within its deadline");
        assert!(status.success(), "chromium: {status}");
        std::fs::read_to_string(dom_path).expect("the DOM chromium wrote")
    }

    pub fn open(url: &str) -> Chromium {
        let profile = tempfile::tempdir().expect("a profile dir");
        let child = Command::new(PathBuf::from(Chromium::PATH))
            .args(Chromium::FLAGS)
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg(url)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Its own process group: Chromium's helpers (zygote, renderers) go with it.
            .process_group(0)
            .spawn()
            .unwrap_or_else(|e| panic!("could not start {}: {e}", Chromium::PATH));
        Chromium {
            child,
            _profile: profile,
        }
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        let group = nix::unistd::Pid::from_raw(self.child.id() as i32);
        let _ = nix::sys::signal::killpg(group, nix::sys::signal::Signal::SIGKILL);
        let _ = self.child.wait();
    }
}
