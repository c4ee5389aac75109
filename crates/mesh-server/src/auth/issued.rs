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

use mesh_storage::{Store, StoreError, TokenRow};

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
    /// Adds a newly issued token; an error when it cannot be kept (then
    /// the token must not be handed out).
    fn insert(&self, digest: TokenDigest, record: TokenRecord) -> Result<(), AuthError>;
    /// The row of a token, if there is one.
    fn get(&self, digest: &TokenDigest) -> Option<TokenRecord>;
    /// Marks a token revoked; `false` when the table has no such token.
    fn revoke(&self, digest: &TokenDigest) -> Result<bool, AuthError>;
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
    fn insert(&self, digest: TokenDigest, record: TokenRecord) -> Result<(), AuthError> {
        self.rows().insert(digest, record);
        Ok(())
    }

    fn get(&self, digest: &TokenDigest) -> Option<TokenRecord> {
        self.rows().get(digest).cloned()
    }

    fn revoke(&self, digest: &TokenDigest) -> Result<bool, AuthError> {
        Ok(match self.rows().get_mut(digest) {
            Some(record) => {
                record.revoked = true;
                true
            }
            None => false,
        })
    }

    fn remove_expired(&self, before: SystemTime) {
        self.rows().retain(|_, record| record.expires_at >= before);
    }
}

/// The token table in the server's store (the store contract's token
/// calls), with the rows also in memory so that checking a token on every
/// call reads no disk. Tokens survive a restart: clients stay signed in.
/// Changes are written to the store first, and only then take effect.
pub struct StoredTokenStore {
    store: Arc<dyn Store>,
    memory: MemoryTokenStore,
}

impl StoredTokenStore {
    /// The table of `store`, read whole (rows that cannot be read are
    /// skipped: they could verify no token).
    pub fn load(store: Arc<dyn Store>) -> anyhow::Result<StoredTokenStore> {
        let memory = MemoryTokenStore::default();
        for (digest, row) in store.tokens()? {
            if let Some(record) = record_of(&row) {
                memory.rows().insert(digest, record);
            }
        }
        Ok(StoredTokenStore { store, memory })
    }
}

fn unavailable(error: StoreError) -> AuthError {
    AuthError::Unavailable(error.to_string())
}

impl TokenStore for StoredTokenStore {
    fn insert(&self, digest: TokenDigest, record: TokenRecord) -> Result<(), AuthError> {
        self.store
            .put_token(&digest, &row_of(&record))
            .map_err(unavailable)?;
        self.memory.insert(digest, record)
    }

    fn get(&self, digest: &TokenDigest) -> Option<TokenRecord> {
        self.memory.get(digest)
    }

    fn revoke(&self, digest: &TokenDigest) -> Result<bool, AuthError> {
        let found = self.store.revoke_token(digest).map_err(unavailable)?;
        self.memory.revoke(digest)?;
        Ok(found)
    }

    fn remove_expired(&self, before: SystemTime) {
        // Old rows only take room: a failure here is retried next time.
        if let Err(error) = self.store.remove_expired_tokens(millis(before)) {
            tracing::warn!(%error, "cannot drop expired access tokens");
        }
        self.memory.remove_expired(before);
    }
}

fn millis(time: SystemTime) -> i64 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_millis()).unwrap_or(i64::MAX),
        Err(before) => -i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

fn row_of(record: &TokenRecord) -> TokenRow {
    TokenRow {
        expires_at_ms: millis(record.expires_at),
        revoked: record.revoked,
        identity: serde_json::json!({
            "display_name": record.identity.display_name,
            "source": record.identity.source,
            "identifier": record.identity.identifier,
        })
        .to_string()
        .into_bytes(),
    }
}

fn record_of(row: &TokenRow) -> Option<TokenRecord> {
    let identity: serde_json::Value = serde_json::from_slice(&row.identity).ok()?;
    let field = |name: &str| identity.get(name)?.as_str().map(str::to_string);
    let expires_at = if row.expires_at_ms >= 0 {
        SystemTime::UNIX_EPOCH.checked_add(Duration::from_millis(row.expires_at_ms.unsigned_abs()))
    } else {
        SystemTime::UNIX_EPOCH.checked_sub(Duration::from_millis(row.expires_at_ms.unsigned_abs()))
    }?;
    Some(TokenRecord {
        identity: Identity {
            display_name: field("display_name")?,
            source: field("source")?,
            identifier: field("identifier")?,
        },
        expires_at,
        revoked: row.revoked,
    })
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

    /// A new token for `identity`; an error when the table cannot keep it.
    pub fn issue(&self, identity: Identity) -> Result<IssuedToken, AuthError> {
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
        )?;
        Ok(IssuedToken {
            token,
            lifetime: self.lifetime,
        })
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
        self.store.revoke(&digest(token))?;
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
        let issued = tokens.issue(alice()).unwrap();
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
        assert_ne!(
            tokens.issue(alice()).unwrap().token,
            tokens.issue(alice()).unwrap().token
        );
        assert_eq!(tokens.verify("eyJhbGciOi.x.y"), Ok(None));
        assert_eq!(tokens.revoke("eyJhbGciOi.x.y"), Ok(false));
        assert_eq!(tokens.verify("mesh_forged"), Err(AuthError::UnknownIssued));
    }

    #[test]
    fn an_expired_token_says_so() {
        let tokens = tokens(Duration::ZERO);
        let issued = tokens.issue(alice()).unwrap();
        assert_eq!(tokens.verify(&issued.token), Err(AuthError::Expired));
    }

    #[test]
    fn the_table_keeps_digests_not_tokens() {
        let store = Arc::new(MemoryTokenStore::default());
        let tokens = IssuedTokens::new(store.clone(), Duration::from_secs(60));
        let issued = tokens.issue(alice()).unwrap();
        let rows = store.rows();
        assert_eq!(rows.len(), 1);
        assert!(rows.contains_key(&digest(&issued.token)));
    }

    #[test]
    fn rows_long_expired_are_dropped_at_the_next_issue() {
        let store = Arc::new(MemoryTokenStore::default());
        store
            .insert(
                [7; 32],
                TokenRecord {
                    identity: alice(),
                    expires_at: SystemTime::now() - KEPT_AFTER_EXPIRY - Duration::from_secs(1),
                    revoked: false,
                },
            )
            .unwrap();
        IssuedTokens::new(store.clone(), Duration::from_secs(60))
            .issue(alice())
            .unwrap();
        assert_eq!(store.rows().len(), 1);
        assert!(store.get(&[7; 32]).is_none());
    }
}
