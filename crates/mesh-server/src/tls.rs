//! TLS for the server: certificate and key from PEM files, re-read on
//! demand (SIGHUP) without touching established connections.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use anyhow::{bail, Context};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio_rustls::TlsAcceptor;

#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// PEM: the server's certificate first, then any intermediates.
    pub cert: PathBuf,
    /// PEM: the private key (PKCS#8, PKCS#1 RSA or SEC1 EC).
    pub key: PathBuf,
}

/// The certificate new handshakes get. Reloading swaps it atomically; a
/// connection keeps the certificate it was established with.
#[derive(Debug)]
pub struct ReloadableCert {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ReloadableCert {
    pub fn load(files: TlsFiles) -> anyhow::Result<Arc<ReloadableCert>> {
        let current = RwLock::new(Arc::new(read_certified_key(&files)?));
        Ok(Arc::new(ReloadableCert { files, current }))
    }

    /// Re-reads the files. On any problem the old certificate stays in use.
    pub fn reload(&self) -> anyhow::Result<()> {
        let fresh = Arc::new(read_certified_key(&self.files)?);
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = fresh;
        Ok(())
    }
}

impl ResolvesServerCert for ReloadableCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .clone(),
        )
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn read_certified_key(files: &TlsFiles) -> anyhow::Result<CertifiedKey> {
    let chain = read_chain(&files.cert)?;
    let key = PrivateKeyDer::from_pem_file(&files.key).map_err(|error| {
        anyhow::anyhow!(
            "cannot read a private key from {}: {error}",
            files.key.display()
        )
    })?;
    let signing_key = provider()
        .key_provider
        .load_private_key(key)
        .with_context(|| format!("unusable private key in {}", files.key.display()))?;
    let certified = CertifiedKey::new(chain, signing_key);
    certified.keys_match().with_context(|| {
        format!(
            "the key in {} does not belong to the certificate in {}",
            files.key.display(),
            files.cert.display()
        )
    })?;
    Ok(certified)
}

fn read_chain(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let chain = CertificateDer::pem_file_iter(path)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| {
            anyhow::anyhow!("cannot read certificates from {}: {error}", path.display())
        })?;
    if chain.is_empty() {
        bail!("{} holds no PEM certificate", path.display());
    }
    Ok(chain)
}

/// The TLS side of the server's connections (see connections.rs, which
/// bounds the handshake with --handshake-timeout).
pub fn acceptor(cert: Arc<ReloadableCert>) -> anyhow::Result<TlsAcceptor> {
    let mut config = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .context("no TLS protocol version available")?
        .with_no_client_auth()
        .with_cert_resolver(cert);
    // gRPC runs over HTTP/2, which clients negotiate through ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(TlsAcceptor::from(Arc::new(config)))
}
