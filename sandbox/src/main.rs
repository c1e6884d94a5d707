//! `p0-sandbox`: a loopback P0, Okta, Firebase Auth and Identity Center, with moto as STS
//! behind a counting proxy (sandbox/README.md is the contract).

// Handlers bail out early with the service's error `Response`; boxing every one of those to
// shrink the `Err` variant would buy nothing in a test server.
#![allow(clippy::result_large_err)]
// The ready line on stdout and the request log on stderr are this server's interface (the
// workspace denies print macros for p0, whose output discipline they would break).
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod control;
mod faults;
mod firebase;
mod idc;
mod idp;
mod moto;
mod okta;
mod p0;
mod saml;
mod scenario;
mod server;
mod signin;
mod state;
mod sts;
mod tokens;

use clap::Parser;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use tokio::net::TcpListener;

#[derive(Parser)]
#[command(
    version,
    about = "Loopback P0, Okta, Firebase and Identity Center for p0's tests"
)]
struct Args {
    /// The scenario (JSON) the services follow.
    #[arg(long)]
    scenario: PathBuf,
    /// Python with moto[server] installed; moto is started as a child.
    #[arg(long, default_value = "python3", conflicts_with = "sts_upstream")]
    moto_python: String,
    /// An STS (or moto) already running; no moto is started.
    #[arg(long)]
    sts_upstream: Option<String>,
    /// Exit (stopping moto) when standard input closes.
    #[arg(long)]
    exit_on_stdin_eof: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let scenario = match load_scenario(&args.scenario) {
        Ok(scenario) => scenario,
        Err(e) => {
            eprintln!("p0-sandbox: {}: {e}", args.scenario.display());
            return ExitCode::from(2);
        }
    };
    // moto is started from the main thread, which lives as long as the process: its
    // parent-death signal fires when the thread that forked it ends.
    let (moto, moto_url) = match &args.sts_upstream {
        Some(url) => (None, url.trim_end_matches('/').to_string()),
        None => match moto::Moto::start(&args.moto_python) {
            Ok(moto) => {
                let url = moto.url.clone();
                (Some(moto), url)
            }
            Err(e) => {
                eprintln!("p0-sandbox: could not start moto: {e}");
                return ExitCode::from(1);
            }
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let code = runtime.block_on(run(scenario, moto_url, args.exit_on_stdin_eof));
    if let Some(moto) = moto {
        moto.stop();
    }
    // Connections still open would otherwise keep the runtime's shutdown waiting.
    runtime.shutdown_background();
    code
}

fn load_scenario(path: &PathBuf) -> Result<scenario::Scenario, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    let scenario: scenario::Scenario = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    scenario.validate()?;
    for fault in &scenario.faults {
        fault.validate()?;
    }
    Ok(scenario)
}

async fn bind() -> (TcpListener, String) {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port to listen on");
    let address = listener.local_addr().expect("a bound address").to_string();
    (listener, address)
}

async fn run(scenario: scenario::Scenario, moto_url: String, exit_on_stdin_eof: bool) -> ExitCode {
    let (p0_listener, p0_addr) = bind().await;
    let (firebase_listener, firebase_addr) = bind().await;
    let (okta_listener, okta_addr) = bind().await;
    let (idp_listener, idp_addr) = bind().await;
    let (oidc_listener, oidc_addr) = bind().await;
    let (sso_listener, sso_addr) = bind().await;
    let (sts_listener, sts_addr) = bind().await;
    let (signin_listener, signin_addr) = bind().await;
    let (control_listener, control_addr) = bind().await;
    let urls = state::Urls {
        p0: format!("http://{p0_addr}"),
        idp: format!("http://{idp_addr}"),
        firebase_host: firebase_addr,
        okta: format!("http://{okta_addr}"),
        sso_oidc: format!("http://{oidc_addr}"),
        sso: format!("http://{sso_addr}"),
        sts: format!("http://{sts_addr}"),
        signin: format!("http://{signin_addr}"),
        moto: moto_url,
        control: format!("http://{control_addr}"),
    };
    let http = reqwest::Client::builder()
        .connect_timeout(std::time::Duration::from_secs(5))
        .build()
        .expect("an HTTP client");
    let app = Arc::new(state::App::new(scenario, urls.clone(), http));
    let servers = [
        ("p0", p0_listener, p0::router(app.clone())),
        ("firebase", firebase_listener, firebase::router(app.clone())),
        ("okta", okta_listener, okta::router(app.clone())),
        ("idp", idp_listener, idp::router(app.clone())),
        ("sso_oidc", oidc_listener, idc::oidc_router(app.clone())),
        ("sso", sso_listener, idc::portal_router(app.clone())),
        ("sts", sts_listener, sts::router(app.clone())),
        ("signin", signin_listener, signin::router(app.clone())),
    ];
    for (name, listener, router) in servers {
        tokio::spawn(server::serve(listener, router, app.service_switch(name)));
    }
    // The control port is never stopped.
    let (_control_up, control_switch) = tokio::sync::watch::channel(true);
    tokio::spawn(server::serve(
        control_listener,
        control::router(app.clone()),
        control_switch,
    ));
    let ready = p0::Ordered(vec![
        ("p0".into(), urls.p0.clone().into()),
        (
            "firebase_emulator_host".into(),
            urls.firebase_host.clone().into(),
        ),
        ("okta".into(), urls.okta.clone().into()),
        ("idp".into(), urls.idp.clone().into()),
        ("sso_oidc".into(), urls.sso_oidc.clone().into()),
        ("sso".into(), urls.sso.clone().into()),
        ("sts".into(), urls.sts.clone().into()),
        ("signin".into(), urls.signin.clone().into()),
        ("moto".into(), urls.moto.clone().into()),
        ("control".into(), urls.control.clone().into()),
    ]);
    let line = serde_json::to_string(&ready).expect("the ready line serializes");
    {
        let mut stdout = std::io::stdout().lock();
        if writeln!(stdout, "{line}")
            .and_then(|_| stdout.flush())
            .is_err()
        {
            return ExitCode::from(1);
        }
    }
    eprintln!("p0-sandbox: ready for org {:?}: {line}", app.scenario.org);
    wait_for_exit(exit_on_stdin_eof).await;
    eprintln!("p0-sandbox: exiting");
    ExitCode::SUCCESS
}

/// Until SIGTERM, SIGINT or SIGHUP, or (when asked) the end of standard input.
async fn wait_for_exit(exit_on_stdin_eof: bool) {
    use tokio::io::AsyncReadExt;
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("a SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("a SIGINT handler");
    let mut hup = signal(SignalKind::hangup()).expect("a SIGHUP handler");
    let stdin_closed = async {
        if !exit_on_stdin_eof {
            return std::future::pending::<()>().await;
        }
        let mut stdin = tokio::io::stdin();
        let mut buffer = [0u8; 1024];
        while matches!(stdin.read(&mut buffer).await, Ok(n) if n > 0) {}
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
        _ = hup.recv() => {}
        _ = stdin_closed => {}
    }
}
