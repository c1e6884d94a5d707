//! A TLS front for a sandbox service, with a certificate authority of its own made at test time
//! (rcgen): what a TLS-inspecting proxy looks like to a client, a certificate no system trusts
//! unless told to. Loopback only (127.0.0.1, a port the OS chooses), bounded (at most
//! [`MAX_CONNECTIONS`] connections, each at most [`CONNECTION_LIFETIME`], the front itself at
//! most [`FRONT_LIFETIME`]), and gone when dropped.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;

pub const MAX_CONNECTIONS: usize = 512;
pub const CONNECTION_LIFETIME: Duration = Duration::from_secs(120);
pub const FRONT_LIFETIME: Duration = Duration::from_secs(600);

/// A test certificate authority.
pub struct TestCa {
    issuer: rcgen::CertifiedIssuer<'static, rcgen::KeyPair>,
}

impl Default for TestCa {
    fn default() -> Self {
        TestCa::new()
    }
}

impl TestCa {
    pub fn new() -> TestCa {
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "p0 test TLS-inspecting proxy CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let key = rcgen::KeyPair::generate().expect("a key");
        TestCa {
            issuer: rcgen::CertifiedIssuer::self_signed(params, key).expect("a CA certificate"),
        }
    }

    /// The CA's certificate, PEM: what `AWS_CA_BUNDLE` names.
    pub fn pem(&self) -> String {
        self.issuer.pem()
    }

    /// A TLS front on 127.0.0.1 forwarding every connection, decrypted, to `backend` (a
    /// `http://127.0.0.1:PORT` URL), with a certificate for 127.0.0.1 this CA signed.
    pub fn front(&self, backend: &str) -> TlsFront {
        let backend: SocketAddr = backend
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("a loopback backend address");
        let params =
            rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).expect("leaf params");
        let key = rcgen::KeyPair::generate().expect("a key");
        let leaf = params
            .signed_by(&key, &self.issuer)
            .expect("a leaf certificate");
        let chain = vec![leaf.der().clone(), self.issuer.der().clone()];
        let key =
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der()).expect("a PKCS#8 key");
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .expect("a server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let url = format!("https://{}", listener.local_addr().expect("an address"));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("a tokio listener");
                let serve = async {
                    for _ in 0..MAX_CONNECTIONS {
                        let Ok((client, _)) = listener.accept().await else {
                            continue;
                        };
                        let acceptor = acceptor.clone();
                        tokio::spawn(tokio::time::timeout(CONNECTION_LIFETIME, async move {
                            // A client that refuses the certificate ends here: nothing to do.
                            let Ok(mut client) = acceptor.accept(client).await else {
                                return;
                            };
                            let Ok(mut server) = TcpStream::connect(backend).await else {
                                return;
                            };
                            let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                        }));
                    }
                };
                tokio::select! {
                    _ = serve => {}
                    _ = stopped => {}
                    _ = tokio::time::sleep(FRONT_LIFETIME) => {}
                }
            });
        });
        TlsFront { url, _stop: stop }
    }
}

/// A running front; dropping it stops it.
pub struct TlsFront {
    /// `https://127.0.0.1:PORT`
    pub url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}
