//! The accept loop. It is hyper's own rather than `axum::serve` because the `close` fault must
//! drop a connection without writing any answer, which only the connection's owner can do.
//! A service can also be stopped and started again on the same port (control port
//! `POST /services/stop`): stopped, its port refuses connections and the ones it had are
//! dropped, as when a server goes down mid-run.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::{Extension, Router};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};

/// Handle on the connection a request arrived on.
#[derive(Clone)]
pub struct ConnKill(Arc<Notify>);

impl ConnKill {
    /// Drops the connection without an answer. Never returns: the handler's future is dropped
    /// together with the connection, so no response can slip out first.
    pub async fn close_now(&self) -> ! {
        self.0.notify_one();
        std::future::pending::<()>().await;
        unreachable!("the connection task drops this future")
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ConnKill {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<ConnKill>()
            .cloned()
            .expect("every connection is served by `serve`"))
    }
}

/// Serves `router` on `listener` while `up` is true; when it turns false the listener is
/// closed (connecting is refused) and every open connection dropped; when it turns true again
/// the same address is bound again.
pub async fn serve(listener: TcpListener, router: Router, mut up: watch::Receiver<bool>) {
    let address = listener.local_addr().expect("a bound listener");
    let mut listener = Some(listener);
    loop {
        let Some(bound) = &listener else {
            if up.changed().await.is_err() {
                return;
            }
            if *up.borrow_and_update() {
                listener = rebind(address).await;
            }
            continue;
        };
        let stream = tokio::select! {
            accepted = bound.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    eprintln!("p0-sandbox: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            changed = up.changed() => {
                if changed.is_err() {
                    return;
                }
                if !*up.borrow_and_update() {
                    eprintln!("p0-sandbox: {address} stopped");
                    listener = None;
                }
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let kill = Arc::new(Notify::new());
        let app = router.clone().layer(Extension(ConnKill(kill.clone())));
        let mut running = up.clone();
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
            tokio::select! {
                _ = connection => {}
                _ = kill.notified() => {}
                _ = running.wait_for(|up| !*up) => {}
            }
        });
    }
}

/// The listener again on the address it had (SO_REUSEADDR, which tokio sets, lets connections
/// of the old one in TIME_WAIT be).
async fn rebind(address: std::net::SocketAddr) -> Option<TcpListener> {
    for _ in 0..50 {
        match TcpListener::bind(address).await {
            Ok(listener) => {
                eprintln!("p0-sandbox: {address} started again");
                return Some(listener);
            }
            Err(e) => {
                eprintln!("p0-sandbox: binding {address} again: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    None
}
