//! Authentication: who is calling, proven by an access token.
//!
//! [`Authenticator`] runs in front of every service (as a layer that sees
//! each call's method path). With no [`Verifier`] configured every caller is
//! anonymous; with some, a call must carry `authorization: Bearer <token>`
//! that one of them accepts, except the calls that must be reachable
//! without one (the health check, and the Kerberos exchange that hands out
//! tokens). Verifiers sit side by side: JWTs from an external identity
//! provider, and the tokens the server issues itself after a Kerberos
//! sign-in ([`issued`], [`kerberos`]).

mod identity;
pub mod issued;
mod jwt;
pub mod kerberos;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub use identity::Identity;
pub use issued::{IssuedTokens, MemoryTokenStore, StoredTokenStore, TokenStore};
pub use jwt::{AuthError, TokenSettings, TokenVerifier};
pub use kerberos::KerberosSignIn;

use anyhow::Context as _;
use tonic::codegen::http;
use tonic::Status;
use tower::{Layer, Service};

use crate::config::ServerConfig;

/// Calls reachable without a token: by exact method path, or by service
/// (a path ending in `/`).
const EXEMPT: &[&str] = &[
    // Load balancers and orchestrators probe health without credentials.
    "/grpc.health.v1.Health/",
    // The exchange that gives a Kerberos user a token cannot require one.
    "/volue.mesh.grpc.auth.v1alpha.AuthenticationService/AuthenticateKerberos",
];

/// One way of proving who a caller is from a bearer token.
pub trait Verifier: Send + Sync + 'static {
    /// The caller the token proves, an error saying why the token is
    /// refused, or `Ok(None)` when the token is not of this verifier's kind
    /// (so another verifier may take it).
    fn verify(&self, token: &str) -> Result<Option<Identity>, AuthError>;

    /// Makes a token of this verifier's kind unusable from now on:
    /// `Ok(true)` when done, `Ok(false)` when the token is not of its kind,
    /// an error when such tokens cannot be revoked here.
    fn revoke(&self, token: &str) -> Result<bool, AuthError>;
}

/// Checks every call's bearer token with the configured verifiers, and
/// holds the Kerberos sign-in when the server offers one.
#[derive(Clone, Default)]
pub struct Authenticator {
    verifiers: Vec<Arc<dyn Verifier>>,
    kerberos: Option<Arc<KerberosSignIn>>,
}

impl Authenticator {
    /// Every caller is anonymous.
    pub fn none() -> Authenticator {
        Authenticator::default()
    }

    /// Calls need a token that one of `verifiers` accepts.
    pub fn with(verifiers: Vec<Arc<dyn Verifier>>) -> Authenticator {
        Authenticator {
            verifiers,
            kerberos: None,
        }
    }

    /// The authentication `config` asks for: JWTs from an external
    /// provider (`--auth-jwks`), Kerberos sign-in with tokens this server
    /// issues (`--kerberos-keytab`), both side by side, or none. Either
    /// needs TLS (`tls`) unless `--allow-insecure-auth`: tokens sent in the
    /// clear can be stolen.
    /// Issued tokens are kept in `store`'s token table.
    pub fn from_config(
        config: &ServerConfig,
        tls: bool,
        store: Arc<dyn mesh_storage::Store>,
    ) -> anyhow::Result<Authenticator> {
        let mut verifiers: Vec<Arc<dyn Verifier>> = Vec::new();
        let mut kerberos = None;
        let insecure = |what: &str| {
            anyhow::anyhow!(
                "{what} over a plain connection can be stolen: \
                 give --tls-cert and --tls-key, or --allow-insecure-auth for local testing"
            )
        };
        if let (Some(keytab), Some(principal)) =
            (&config.kerberos_keytab, &config.kerberos_service_principal)
        {
            if !tls && !config.allow_insecure_auth {
                return Err(insecure(
                    "Kerberos sign-in hands out access tokens; tokens sent",
                ));
            }
            let table = StoredTokenStore::load(store)
                .context("cannot read the table of issued access tokens")?;
            let tokens = Arc::new(IssuedTokens::new(
                Arc::new(table),
                config.access_token_lifetime,
            ));
            kerberos = Some(Arc::new(
                KerberosSignIn::from_keytab(keytab, principal, tokens.clone())
                    .with_context(|| format!("cannot accept Kerberos sign-ins as {principal}"))?,
            ));
            // First: it claims only its own tokens, by their form.
            verifiers.push(tokens);
        }
        match (
            &config.auth_jwks,
            &config.auth_issuer,
            &config.auth_audience,
        ) {
            (Some(jwks), Some(issuer), Some(audience)) => {
                if !tls && !config.allow_insecure_auth {
                    return Err(insecure("access tokens sent"));
                }
                verifiers.push(Arc::new(TokenVerifier::from_jwks_file(
                    jwks,
                    TokenSettings {
                        issuer: issuer.clone(),
                        audience: audience.clone(),
                        clock_skew: config.auth_clock_skew,
                    },
                )?));
            }
            (None, None, None) => {}
            _ => anyhow::bail!("--auth-jwks, --auth-issuer and --auth-audience go together"),
        }
        Ok(Authenticator {
            verifiers,
            kerberos,
        })
    }

    /// The Kerberos sign-in, when the server offers one.
    pub fn kerberos(&self) -> Option<&Arc<KerberosSignIn>> {
        self.kerberos.as_ref()
    }

    /// Whether calls need a token at all.
    pub fn is_enabled(&self) -> bool {
        !self.verifiers.is_empty()
    }

    /// Who sent `headers`, by their bearer token.
    fn identify(&self, headers: &http::HeaderMap) -> Result<Identity, AuthError> {
        let header = headers.get("authorization").ok_or(AuthError::Missing)?;
        let header = header.to_str().map_err(|_| AuthError::MalformedHeader)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::MalformedHeader)?
            .trim();
        for verifier in &self.verifiers {
            if let Some(identity) = verifier.verify(token)? {
                return Ok(identity);
            }
        }
        Err(AuthError::Unrecognized)
    }

    /// Makes `token` unusable, by whichever verifier knows its kind. A token
    /// no verifier knows is no access to revoke: that succeeds, as on the
    /// reference server.
    pub fn revoke(&self, token: &str) -> Result<(), AuthError> {
        for verifier in &self.verifiers {
            if verifier.revoke(token)? {
                return Ok(());
            }
        }
        Ok(())
    }

    /// The layer that puts this authenticator in front of a service.
    pub fn layer(&self) -> AuthLayer {
        AuthLayer {
            authenticator: self.clone(),
        }
    }
}

/// Puts an [`Authenticator`] in front of a service.
#[derive(Clone)]
pub struct AuthLayer {
    authenticator: Authenticator,
}

impl<S> Layer<S> for AuthLayer {
    type Service = Authenticated<S>;

    fn layer(&self, inner: S) -> Self::Service {
        Authenticated {
            inner,
            authenticator: self.authenticator.clone(),
        }
    }
}

/// A service whose calls are authenticated first: the caller's
/// [`Identity`] goes into the request's extensions, where handlers find it
/// ([`Identity::of`]); a refused call never reaches the service.
#[derive(Clone)]
pub struct Authenticated<S> {
    inner: S,
    authenticator: Authenticator,
}

impl<S, B, RB> Service<http::Request<B>> for Authenticated<S>
where
    S: Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    RB: Default + Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<B>) -> Self::Future {
        let path = request.uri().path();
        let exempt = EXEMPT.iter().any(|exempt| match exempt.strip_suffix('/') {
            Some(_) => path.starts_with(exempt),
            None => path == *exempt,
        });
        if self.authenticator.is_enabled() && !exempt {
            match self.authenticator.identify(request.headers()) {
                Ok(identity) => {
                    request.extensions_mut().insert(Arc::new(identity));
                }
                Err(error) => {
                    // The reason only: tokens are credentials and never logged.
                    tracing::warn!(reason = %error, call = path, "authentication failed");
                    let refused = Status::unauthenticated(error.to_string()).into_http::<RB>();
                    return Box::pin(async move { Ok(refused) });
                }
            }
        }
        Box::pin(self.inner.call(request))
    }
}
