//! The one TLS setup for every connection: rustls with the aws-lc-rs provider and
//! the platform's certificate store.

use std::sync::Arc;

use rustls_platform_verifier::ConfigVerifierExt;
use tokio_rustls::rustls::ClientConfig;

/// Install aws-lc-rs as the process-wide crypto provider. Two providers linked
/// into one binary make rustls refuse to pick; call this once at start-up.
pub fn install_crypto_provider() {
    let _ = tokio_rustls::rustls::crypto::aws_lc_rs::default_provider().install_default();
}

pub fn client_config() -> Result<Arc<ClientConfig>, String> {
    install_crypto_provider();
    ClientConfig::with_platform_verifier().map(Arc::new).map_err(|e| format!("TLS setup failed: {e}"))
}
