//! The accept loop. It is hyper's own rather than `axum::serve` because the `close` fault must
//! drop a connection without writing any answer, which only the connection's owner can do.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::{Extension, Router};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Notify;

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

pub async fn serve(listener: TcpListener, router: Router) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                eprintln!("p0-sandbox: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let kill = Arc::new(Notify::new());
        let app = router.clone().layer(Extension(ConnKill(kill.clone())));
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), TowerToHyperService::new(app));
            tokio::select! {
                _ = connection => {}
                _ = kill.notified() => {}
            }
        });
    }
}
