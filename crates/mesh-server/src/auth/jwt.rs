//! Verifying JSON Web Tokens against a JSON Web Key Set.

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use anyhow::{bail, Context};
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use super::Identity;

/// Why a call was refused. Each says which check failed, never the token.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AuthError {
    #[error("missing access token: send the metadata 'authorization: Bearer <token>'")]
    Missing,
    #[error("malformed authorization metadata: expected 'Bearer <token>'")]
    MalformedHeader,
    #[error("malformed access token: {0}")]
    Malformed(String),
    #[error("unsigned access tokens (alg 'none') are not accepted")]
    Unsigned,
    #[error("access token algorithm {0} is not accepted by this server")]
    UnsupportedAlgorithm(String),
    #[error("access token signed with an unknown key{}", .0.as_ref().map(|kid| format!(" (kid {kid:?})")).unwrap_or_default())]
    UnknownKey(Option<String>),
    #[error("access token signature is not valid")]
    BadSignature,
    #[error("access token has expired")]
    Expired,
    #[error("access token has been revoked")]
    Revoked,
    #[error(
        "access token is not one this server issued, or no longer known to it \
         (servers forget their tokens when they restart): sign in again"
    )]
    UnknownIssued,
    /// RFC 7515 §4.1.11: a token whose header marks extensions critical
    /// must be refused by a recipient that does not understand them, and
    /// this server understands none.
    #[error(
        "access token header lists critical extensions (crit) this server does not \
         understand: {0}"
    )]
    UnknownCritical(String),
    #[error("access token is not valid yet (nbf is in the future)")]
    NotYetValid,
    #[error("access token was issued by another issuer than this server trusts")]
    WrongIssuer,
    #[error("access token is meant for another audience than this server")]
    WrongAudience,
    #[error("access token lacks the required claim {0:?}")]
    MissingClaim(String),
    #[error("access token is of no kind this server accepts")]
    Unrecognized,
    /// The table of issued tokens could not be written (the store failed).
    #[error("the table of access tokens is unavailable: {0}")]
    Unavailable(String),
    #[error(
        "this access token was issued by an external identity provider, and only it can revoke the token; \
         mesh-server can revoke only tokens it issued itself"
    )]
    NotRevocable,
}

#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    /// Tolerated difference between our clock and the issuer's.
    pub clock_skew: Duration,
}

struct VerifyingKey {
    kid: Option<String>,
    algorithm: Algorithm,
    key: DecodingKey,
}

pub struct TokenVerifier {
    keys: Vec<VerifyingKey>,
    settings: TokenSettings,
}

/// The claims we read; the signature and standard claims are checked by
/// `jsonwebtoken` before these are looked at.
#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    name: Option<String>,
    preferred_username: Option<String>,
}

impl TokenVerifier {
    pub fn from_jwks_file(path: &Path, settings: TokenSettings) -> anyhow::Result<TokenVerifier> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the key set {}", path.display()))?;
        let set: JwkSet = serde_json::from_str(&text)
            .with_context(|| format!("{} is not a JSON Web Key Set", path.display()))?;
        TokenVerifier::from_jwks(&set, settings)
            .with_context(|| format!("unusable key set {}", path.display()))
    }

    pub fn from_jwks(set: &JwkSet, settings: TokenSettings) -> anyhow::Result<TokenVerifier> {
        let mut keys = Vec::new();
        for (index, jwk) in set.keys.iter().enumerate() {
            let algorithm = match jwk.common.key_algorithm {
                Some(declared) => declared.to_string().parse::<Algorithm>().with_context(|| {
                    format!("key {index}: algorithm {declared} cannot verify signatures")
                })?,
                None => implied_algorithm(&jwk.algorithm).with_context(|| {
                    format!("key {index}: no algorithm given and none implied by its type")
                })?,
            };
            if matches!(
                algorithm,
                Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
            ) {
                bail!(
                    "key {index}: shared-secret (HMAC) keys are not accepted; publish public keys"
                );
            }
            let key =
                DecodingKey::from_jwk(jwk).with_context(|| format!("key {index} is invalid"))?;
            keys.push(VerifyingKey {
                kid: jwk.common.key_id.clone(),
                algorithm,
                key,
            });
        }
        if keys.is_empty() {
            bail!("the key set holds no keys");
        }
        Ok(TokenVerifier { keys, settings })
    }

    pub fn verify(&self, token: &str) -> Result<Identity, AuthError> {
        let algorithm = declared_algorithm(token)?;
        let header = jsonwebtoken::decode_header(token)
            .map_err(|error| AuthError::Malformed(error.to_string()))?;
        // Before any key is tried: the token is not one to verify at all.
        if let Some(critical) = &header.crit {
            return Err(AuthError::UnknownCritical(
                mesh_timeseries::echo(&critical.join(", ")).into_owned(),
            ));
        }
        let candidates: Vec<&VerifyingKey> = self
            .keys
            .iter()
            .filter(|key| header.kid.is_none() || key.kid == header.kid)
            .filter(|key| key.algorithm == algorithm)
            .collect();
        if candidates.is_empty() {
            return Err(match header.kid {
                Some(kid) => AuthError::UnknownKey(Some(kid)),
                None if self.keys.iter().any(|key| key.algorithm == algorithm) => {
                    AuthError::UnknownKey(None)
                }
                None => AuthError::UnsupportedAlgorithm(format!("{algorithm:?}")),
            });
        }

        let validation = self.validation(algorithm);
        let mut outcome = Err(AuthError::BadSignature);
        for key in candidates {
            outcome = jsonwebtoken::decode::<Claims>(token, &key.key, &validation)
                .map(|data| data.claims)
                .map_err(|error| match error.kind() {
                    ErrorKind::InvalidSignature => AuthError::BadSignature,
                    ErrorKind::ExpiredSignature => AuthError::Expired,
                    ErrorKind::ImmatureSignature => AuthError::NotYetValid,
                    ErrorKind::InvalidIssuer => AuthError::WrongIssuer,
                    ErrorKind::InvalidAudience => AuthError::WrongAudience,
                    ErrorKind::MissingRequiredClaim(claim) => {
                        AuthError::MissingClaim(claim.clone())
                    }
                    ErrorKind::InvalidAlgorithm => {
                        AuthError::UnsupportedAlgorithm(format!("{algorithm:?}"))
                    }
                    _ => AuthError::Malformed(error.to_string()),
                });
            // Only a signature mismatch is worth trying the next key for.
            if !matches!(outcome, Err(AuthError::BadSignature)) {
                break;
            }
        }
        let claims = outcome?;
        let display_name = claims
            .name
            .or(claims.preferred_username)
            .unwrap_or_else(|| claims.sub.clone());
        Ok(Identity {
            display_name,
            source: claims.iss,
            identifier: claims.sub,
        })
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.settings.issuer]);
        validation.set_audience(&[&self.settings.audience]);
        validation.leeway = self.settings.clock_skew.as_secs();
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.required_spec_claims = ["exp", "iss", "aud", "sub"]
            .into_iter()
            .map(String::from)
            .collect::<HashSet<_>>();
        validation
    }
}

/// Reads `alg` from the token's header ourselves, so that `none` gets its
/// own clear refusal rather than a parse error.
fn declared_algorithm(token: &str) -> Result<Algorithm, AuthError> {
    let header = token
        .split('.')
        .next()
        .filter(|part| !part.is_empty())
        .ok_or_else(|| AuthError::Malformed("not a JSON Web Token".to_string()))?;
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(header.trim_end_matches('='))
        .map_err(|_| AuthError::Malformed("the header is not base64url".to_string()))?;
    #[derive(Deserialize)]
    struct Header {
        alg: String,
    }
    let header: Header = serde_json::from_slice(&header)
        .map_err(|_| AuthError::Malformed("the header is not JSON with an alg".to_string()))?;
    if header.alg.eq_ignore_ascii_case("none") {
        return Err(AuthError::Unsigned);
    }
    header
        .alg
        .parse::<Algorithm>()
        .map_err(|_| AuthError::UnsupportedAlgorithm(header.alg))
}

fn implied_algorithm(parameters: &AlgorithmParameters) -> Option<Algorithm> {
    match parameters {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) => match ec.curve {
            EllipticCurve::P256 => Some(Algorithm::ES256),
            EllipticCurve::P384 => Some(Algorithm::ES384),
            _ => None,
        },
        AlgorithmParameters::OctetKeyPair(_) => Some(Algorithm::EdDSA),
        _ => None,
    }
}

/// JWTs claim every token not claimed before: the server's own tokens are
/// told apart by their form, and their verifier comes first.
impl super::Verifier for TokenVerifier {
    fn verify(&self, token: &str) -> Result<Option<Identity>, AuthError> {
        TokenVerifier::verify(self, token).map(Some)
    }

    /// A JWT this server accepts was issued by an external provider, which
    /// alone can end it; saying it was revoked while it still works would
    /// mislead. Anything else is not a token of ours.
    fn revoke(&self, token: &str) -> Result<bool, AuthError> {
        match TokenVerifier::verify(self, token) {
            Ok(_) => Err(AuthError::NotRevocable),
            Err(_) => Ok(false),
        }
    }
}
