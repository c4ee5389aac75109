//! Access tokens the server issues itself (after a Kerberos sign-in):
//! random, kept in a token table, revocable, with a lifetime.
//!
//! A token is `mesh_` followed by 32 random bytes in base64url: unguessable,
//! and told apart from a JWT (which begins `eyJ`) by its form alone. The
//! table keeps only each token's SHA-256 digest, so whoever reads the table
//! (a shared database, later) cannot use what it finds there.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{AuthError, Identity, Verifier};

/// What every token this server issues begins with.
pub const TOKEN_PREFIX: &str = "mesh_";

/// How long a revoked or expired token is still recognised as such (and
/// answered "revoked" or "expired" rather than "unknown") before its row is
/// dropped from the table.
const KEPT_AFTER_EXPIRY: Duration = Duration::from_secs(24 * 3600);

/// The key of a token in the table: the SHA-256 digest of the whole token.
pub type TokenDigest = [u8; 32];

/// One row of the token table.
#[derive(Debug, Clone)]
pub struct TokenRecord {
    /// Who the token was issued to.
    pub identity: Identity,
    /// Wall-clock end of its validity, comparable between servers.
    pub expires_at: SystemTime,
    /// Set once by a revocation; a revoked token never works again.
    pub revoked: bool,
}

/// Where issued tokens are kept: the store contract. Each operation is
/// atomic on its own; none needs more, so a shared table (one row per
/// digest, `UPDATE … SET revoked = true` for a revocation, a `DELETE` of old
/// rows) lets several servers verify and revoke each other's tokens.
pub trait TokenStore: Send + Sync + 'static {
    /// Adds a newly issued token.
    fn insert(&self, digest: TokenDigest, record: TokenRecord);
    /// The row of a token, if there is one.
    fn get(&self, digest: &TokenDigest) -> Option<TokenRecord>;
    /// Marks a token revoked; `false` when the table has no such token.
    fn revoke(&self, digest: &TokenDigest) -> bool;
    /// Drops the rows of tokens that expired before `before`.
    fn remove_expired(&self, before: SystemTime);
}

/// The token table in this server's memory: tokens end with a restart
/// (clients sign in again), and are not shared with other servers.
#[derive(Default)]
pub struct MemoryTokenStore {
    rows: Mutex<HashMap<TokenDigest, TokenRecord>>,
}

impl MemoryTokenStore {
    fn rows(&self) -> std::sync::MutexGuard<'_, HashMap<TokenDigest, TokenRecord>> {
        // A panic elsewhere while holding the lock leaves the map whole.
        self.rows
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl TokenStore for MemoryTokenStore {
    fn insert(&self, digest: TokenDigest, record: TokenRecord) {
        self.rows().insert(digest, record);
    }

    fn get(&self, digest: &TokenDigest) -> Option<TokenRecord> {
        self.rows().get(digest).cloned()
    }

    fn revoke(&self, digest: &TokenDigest) -> bool {
        match self.rows().get_mut(digest) {
            Some(record) => {
                record.revoked = true;
                true
            }
            None => false,
        }
    }

    fn remove_expired(&self, before: SystemTime) {
        self.rows().retain(|_, record| record.expires_at >= before);
    }
}

/// A token just issued, for the client.
#[derive(Debug, Clone)]
pub struct IssuedToken {
    /// The bearer token.
    pub token: String,
    /// How long it stays valid from now.
    pub lifetime: Duration,
}

/// Issues, verifies and revokes the server's own access tokens.
pub struct IssuedTokens {
    store: Arc<dyn TokenStore>,
    lifetime: Duration,
}

impl IssuedTokens {
    /// Tokens living `lifetime`, kept in `store`.
    pub fn new(store: Arc<dyn TokenStore>, lifetime: Duration) -> IssuedTokens {
        IssuedTokens { store, lifetime }
    }

    /// A new token for `identity`.
    pub fn issue(&self, identity: Identity) -> IssuedToken {
        let mut secret = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let token = format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(secret));
        let now = SystemTime::now();
        // Issuing is rare (once per sign-in and lifetime), so it is when
        // the table sheds rows long past their use.
        if let Some(before) = now.checked_sub(KEPT_AFTER_EXPIRY) {
            self.store.remove_expired(before);
        }
        self.store.insert(
            digest(&token),
            TokenRecord {
                identity,
                expires_at: now + self.lifetime,
                revoked: false,
            },
        );
        IssuedToken {
            token,
            lifetime: self.lifetime,
        }
    }
}

fn digest(token: &str) -> TokenDigest {
    Sha256::digest(token.as_bytes()).into()
}

impl Verifier for IssuedTokens {
    fn verify(&self, token: &str) -> Result<Option<Identity>, AuthError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(None);
        }
        let record = self
            .store
            .get(&digest(token))
            .ok_or(AuthError::UnknownIssued)?;
        if record.revoked {
            return Err(AuthError::Revoked);
        }
        if SystemTime::now() >= record.expires_at {
            return Err(AuthError::Expired);
        }
        Ok(Some(record.identity))
    }

    /// Revoking twice, or a token of ours the table no longer holds, is
    /// no error: either way the token does not work.
    fn revoke(&self, token: &str) -> Result<bool, AuthError> {
        if !token.starts_with(TOKEN_PREFIX) {
            return Ok(false);
        }
        self.store.revoke(&digest(token));
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alice() -> Identity {
        Identity {
            display_name: "alice@MESH.TEST".to_string(),
            source: "Kerberos".to_string(),
            identifier: "alice@MESH.TEST".to_string(),
        }
    }

    fn tokens(lifetime: Duration) -> IssuedTokens {
        IssuedTokens::new(Arc::new(MemoryTokenStore::default()), lifetime)
    }

    #[test]
    fn an_issued_token_identifies_until_revoked() {
        let tokens = tokens(Duration::from_secs(3600));
        let issued = tokens.issue(alice());
        assert!(issued.token.starts_with(TOKEN_PREFIX));
        assert_eq!(issued.token.len(), TOKEN_PREFIX.len() + 43);
        assert_eq!(tokens.verify(&issued.token).unwrap(), Some(alice()));
        assert_eq!(tokens.revoke(&issued.token), Ok(true));
        assert_eq!(tokens.verify(&issued.token), Err(AuthError::Revoked));
        // Again: still fine, still revoked.
        assert_eq!(tokens.revoke(&issued.token), Ok(true));
        assert_eq!(tokens.verify(&issued.token), Err(AuthError::Revoked));
    }

    #[test]
    fn tokens_differ_and_others_are_not_ours() {
        let tokens = tokens(Duration::from_secs(3600));
        assert_ne!(tokens.issue(alice()).token, tokens.issue(alice()).token);
        assert_eq!(tokens.verify("eyJhbGciOi.x.y"), Ok(None));
        assert_eq!(tokens.revoke("eyJhbGciOi.x.y"), Ok(false));
        assert_eq!(tokens.verify("mesh_forged"), Err(AuthError::UnknownIssued));
    }

    #[test]
    fn an_expired_token_says_so() {
        let tokens = tokens(Duration::ZERO);
        let issued = tokens.issue(alice());
        assert_eq!(tokens.verify(&issued.token), Err(AuthError::Expired));
    }

    #[test]
    fn the_table_keeps_digests_not_tokens() {
        let store = Arc::new(MemoryTokenStore::default());
        let tokens = IssuedTokens::new(store.clone(), Duration::from_secs(60));
        let issued = tokens.issue(alice());
        let rows = store.rows();
        assert_eq!(rows.len(), 1);
        assert!(rows.contains_key(&digest(&issued.token)));
    }

    #[test]
    fn rows_long_expired_are_dropped_at_the_next_issue() {
        let store = Arc::new(MemoryTokenStore::default());
        store.insert(
            [7; 32],
            TokenRecord {
                identity: alice(),
                expires_at: SystemTime::now() - KEPT_AFTER_EXPIRY - Duration::from_secs(1),
                revoked: false,
            },
        );
        IssuedTokens::new(store.clone(), Duration::from_secs(60)).issue(alice());
        assert_eq!(store.rows().len(), 1);
        assert!(store.get(&[7; 32]).is_none());
    }
}
