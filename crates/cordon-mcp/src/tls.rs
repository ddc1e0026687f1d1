//! TLS on the listening side of Streamable HTTP mode: rustls with the `ring`
//! provider, one certificate chain and key from PEM files.
//!
//! ```no_run
//! let cfg = cordon_mcp::tls::server_config("cert.pem".as_ref(), "key.pem".as_ref()).unwrap();
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

/// A server configuration from a PEM certificate chain and a PEM private key
/// (PKCS#8, PKCS#1 or SEC1); errors name the file and what is wrong.
pub fn server_config(cert: &Path, key_file: &Path) -> Result<Arc<ServerConfig>, String> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
        .and_then(|it| it.collect::<Result<_, _>>())
        .map_err(|e| format!("{}: not a PEM certificate chain ({e})", cert.display()))?;
    if chain.is_empty() {
        return Err(format!("{}: no certificate in it", cert.display()));
    }
    let key = PrivateKeyDer::from_pem_file(key_file)
        .map_err(|e| format!("{}: not a PEM private key ({e})", key_file.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(|e| {
            format!(
                "{} and {} do not make a usable certificate: {e}",
                cert.display(),
                key_file.display()
            )
        })?;
    Ok(Arc::new(cfg))
}
