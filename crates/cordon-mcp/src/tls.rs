//! TLS on the listening side of Streamable HTTP mode: rustls with the `ring`
//! provider, one certificate chain and key from PEM files.
//!
//! ```no_run
//! let cfg = cordon_mcp::tls::server_config("cert.pem".as_ref(), "key.pem".as_ref(), None).unwrap();
//! let listener = std::net::TcpListener::bind("0.0.0.0:8931").unwrap();
//! let (tcp, _) = listener.accept().unwrap();
//! let conn = rustls::ServerConnection::new(cfg).unwrap();
//! let _stream = rustls::StreamOwned::new(conn, tcp); // Read + Write, handshake on first use
//! ```

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use std::path::Path;
use std::sync::Arc;

pub use rustls::{ServerConfig, ServerConnection, StreamOwned};

/// The certificates of a PEM file (at least one).
fn certificates(file: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(file)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| format!("{}: not PEM certificates ({e})", file.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in it", file.display()));
    }
    Ok(certs)
}

/// A server configuration from a PEM certificate chain and a PEM private key
/// (PKCS#8, PKCS#1 or SEC1). With `client_ca`, every client must present a
/// certificate issued by one of the CA certificates in that PEM file (mutual
/// TLS). Errors name the file and what is wrong.
pub fn server_config(
    cert: &Path,
    key_file: &Path,
    client_ca: Option<&Path>,
) -> Result<Arc<ServerConfig>, String> {
    let chain = certificates(cert)?;
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("{}: not a PEM private key ({e})", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?;
    let builder = match client_ca {
        None => builder.with_no_client_auth(),
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in certificates(ca)? {
                roots
                    .add(c)
                    .map_err(|e| format!("{}: not a usable CA certificate ({e})", ca.display()))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .build()
            .map_err(|e| format!("{}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let cfg = builder.with_single_cert(chain, key).map_err(|e| {
        format!(
            "{} and {} do not make a usable certificate: {e}",
            cert.display(),
            key_file.display()
        )
    })?;
    Ok(Arc::new(cfg))
}
