//! HTTPS on the runner (`--tls-cert`, `--tls-key`): rustls with HTTP/2 and HTTP/1.1 offered by
//! ALPN, and a plain-HTTP request to the TLS port answered with a 400 that says so instead of
//! a handshake error the client cannot read.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// The first byte of every TLS connection: a handshake record.
const TLS_HANDSHAKE: u8 = 0x16;

/// The acceptor for the PEM certificate chain and private key at these paths. Errors name
/// the file and what is wrong with it, before the server binds its port.
pub fn acceptor(cert: &Path, key: &Path) -> Result<TlsAcceptor> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .with_context(|| format!("--tls-cert {}: not a readable PEM file", cert.display()))?;
    if chain.is_empty() {
        bail!("--tls-cert {}: no certificate in it", cert.display());
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .with_context(|| format!("--tls-key {}: no readable PEM private key", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS protocol versions")?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .context("--tls-cert and --tls-key do not make a usable pair")?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Why a connection to the TLS port is not served.
#[derive(Debug)]
pub enum Refused {
    /// It spoke plain HTTP; it was told so.
    PlainHttp,
    /// The handshake failed, or took longer than the header timeout.
    Handshake,
}

/// Completes the handshake within `deadline` of the connection's start (the whole of it, not
/// each step). A client that starts with anything but a TLS record gets a plain 400 naming
/// the scheme to use, then the connection closes.
pub async fn accept(
    acceptor: &TlsAcceptor,
    stream: TcpStream,
    deadline: Duration,
) -> Result<TlsStream<TcpStream>, Refused> {
    let until = tokio::time::Instant::now() + deadline;
    let mut first = [0u8; 1];
    match tokio::time::timeout_at(until, stream.peek(&mut first)).await {
        Ok(Ok(1)) if first[0] == TLS_HANDSHAKE => {}
        Ok(Ok(1)) => {
            let mut stream = stream;
            let body = r#"{"detail":"This port serves HTTPS: use https://"}"#;
            let answer = format!(
                "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = tokio::time::timeout_at(until, stream.write_all(answer.as_bytes())).await;
            let _ = stream.shutdown().await;
            return Err(Refused::PlainHttp);
        }
        // Closed, failed or silent before the handshake.
        _ => return Err(Refused::Handshake),
    }
    match tokio::time::timeout_at(until, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => Ok(tls),
        _ => Err(Refused::Handshake),
    }
}

/// Whether the client and we agreed on HTTP/2.
pub fn is_h2(stream: &TlsStream<TcpStream>) -> bool {
    stream.get_ref().1.alpn_protocol() == Some(b"h2")
}
