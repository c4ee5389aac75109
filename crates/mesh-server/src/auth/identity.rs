//! Who is calling. Sessions belong to the identity that started them.

use std::sync::Arc;

/// A caller as the server knows it. The authentication interceptor puts one
/// into the request's extensions; without authentication every caller is
/// anonymous.
#[derive(Debug, Clone)]
pub struct Identity {
    /// For people to read; may change between tokens of the same user.
    pub display_name: String,
    /// Which identity provider vouched for the caller (a token's issuer).
    pub source: String,
    /// Unique within `source` (a token's subject).
    pub identifier: String,
}

/// Two identities are the same user when provider and identifier agree; a
/// renamed user keeps their sessions.
impl PartialEq for Identity {
    fn eq(&self, other: &Identity) -> bool {
        self.source == other.source && self.identifier == other.identifier
    }
}

impl Eq for Identity {}

impl Identity {
    /// The caller of a server with no authentication configured. Shared, so
    /// that 100,000 anonymous sessions do not carry 100,000 copies.
    pub fn anonymous() -> Arc<Identity> {
        static ANONYMOUS: std::sync::OnceLock<Arc<Identity>> = std::sync::OnceLock::new();
        ANONYMOUS
            .get_or_init(|| {
                Arc::new(Identity {
                    display_name: "anonymous".to_string(),
                    source: "none".to_string(),
                    identifier: "anonymous".to_string(),
                })
            })
            .clone()
    }

    /// The identity a request was authenticated as, or anonymous.
    pub fn of<T>(request: &tonic::Request<T>) -> Arc<Identity> {
        request
            .extensions()
            .get::<Arc<Identity>>()
            .cloned()
            .unwrap_or_else(Identity::anonymous)
    }
}
