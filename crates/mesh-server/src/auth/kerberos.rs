//! Kerberos sign-in: GSSAPI contexts accepted with the service's key from
//! a keytab, each ending in an access token the server issues.

use std::path::Path;
use std::sync::Arc;

use mesh_gssapi::{AcceptContext, Accepted, AcceptorCredential};

use super::issued::{IssuedToken, IssuedTokens};
use super::Identity;

/// What `UserIdentity.source` says for a Kerberos user.
pub const SOURCE: &str = "Kerberos";

/// Rounds one exchange may take. Kerberos needs one, SPNEGO two or three;
/// a client that keeps going is not negotiating.
const MAX_LEGS: usize = 8;

/// Why a Kerberos exchange failed; the message is for the client.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KerberosError {
    /// The GSSAPI library refused the client's token (major and minor
    /// status messages).
    #[error("Kerberos authentication failed: {0}")]
    Refused(String),
    /// The client ended the exchange before it was complete.
    #[error("Kerberos authentication incomplete: the client sent no further token")]
    Incomplete,
    /// The client sent nothing for this long while the server waited.
    #[error("Kerberos authentication incomplete: no token from the client within {0:?}")]
    Silent(std::time::Duration),
    /// The first token is not a GSSAPI token at all.
    #[error(
        "Kerberos authentication failed: the first token is not a GSSAPI initial context token \
         (RFC 2743, section 3.1)"
    )]
    NotGssapi,
    /// The exchange went on past any real negotiation.
    #[error("Kerberos authentication failed: more than {MAX_LEGS} tokens exchanged")]
    TooManyLegs,
    /// The user was recognised, but the access token could not be kept.
    #[error("Kerberos sign-in succeeded, but no access token could be issued: {0}")]
    Unavailable(String),
}

/// The server's Kerberos sign-in: the service key and the token table.
pub struct KerberosSignIn {
    credential: Arc<AcceptorCredential>,
    tokens: Arc<IssuedTokens>,
}

impl KerberosSignIn {
    /// Accepts contexts for `principal` with its key from `keytab`; fails,
    /// naming the path and the reason, when the keytab cannot be read or
    /// holds no key for the principal, or when the GSSAPI library is missing.
    pub fn from_keytab(
        keytab: &Path,
        principal: &str,
        tokens: Arc<IssuedTokens>,
    ) -> anyhow::Result<KerberosSignIn> {
        let credential = AcceptorCredential::from_keytab(keytab, principal)?;
        Ok(KerberosSignIn {
            credential: Arc::new(credential),
            tokens,
        })
    }

    /// A new exchange with one client.
    pub fn exchange(&self) -> Exchange {
        Exchange {
            context: AcceptContext::new(self.credential.clone()),
            tokens: self.tokens.clone(),
            legs: 0,
        }
    }
}

/// What one step of an exchange gave.
#[derive(Debug)]
pub enum Leg {
    /// Send this token to the client and wait for its next one.
    Continue(Vec<u8>),
    /// Signed in: the last GSSAPI token (often empty), and the access token.
    SignedIn {
        /// For a client that asked to authenticate the server too.
        kerberos_token: Vec<u8>,
        /// The access token issued to the client.
        access: IssuedToken,
        /// Who signed in.
        identity: Identity,
    },
}

/// One client's exchange, step by step.
pub struct Exchange {
    context: AcceptContext,
    tokens: Arc<IssuedTokens>,
    legs: usize,
}

impl Exchange {
    /// Takes the client's next token. GSSAPI may read the replay cache on
    /// disk, so async callers run this on a blocking thread.
    pub fn step(&mut self, token: &[u8]) -> Result<Leg, KerberosError> {
        self.legs += 1;
        if self.legs > MAX_LEGS {
            return Err(KerberosError::TooManyLegs);
        }
        // Every mechanism's first token has the same framing (tag 0x60);
        // anything else would only earn the library's vaguest message.
        if self.legs == 1 && token.first() != Some(&0x60) {
            return Err(KerberosError::NotGssapi);
        }
        match self.context.step(token) {
            Ok(Accepted::Continue(token)) => Ok(Leg::Continue(token)),
            Ok(Accepted::Complete { token, client }) => {
                let identity = identity(&client);
                let access = self
                    .tokens
                    .issue(identity.clone())
                    .map_err(|error| KerberosError::Unavailable(error.to_string()))?;
                Ok(Leg::SignedIn {
                    kerberos_token: token,
                    access,
                    identity,
                })
            }
            Err(error) => Err(KerberosError::Refused(error.message().to_string())),
        }
    }
}

/// A Kerberos user as the server knows it: the full client principal
/// (`alice@EXAMPLE.COM`) is unique, so it is both the identifier and the
/// name shown.
fn identity(principal: &str) -> Identity {
    Identity {
        display_name: principal.to_string(),
        source: SOURCE.to_string(),
        identifier: principal.to_string(),
    }
}
