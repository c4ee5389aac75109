//! Authentication: who is calling, proven by an access token.
//!
//! [`Authenticator`] runs in front of every service (as a layer that sees
//! each call's method path). With no [`Verifier`] configured every caller is
//! anonymous; with some, a call must carry `authorization: Bearer <token>`
//! that one of them accepts, except the calls that must be reachable
//! without one (the health check, and the Kerberos exchange that hands out
//! tokens). Verifiers sit side by side: JWTs from an external identity
//! provider today, tokens the server issues itself next.

mod identity;
mod jwt;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

pub use identity::Identity;
pub use jwt::{AuthError, TokenSettings, TokenVerifier};

use tonic::codegen::http;
use tonic::Status;
use tower::{Layer, Service};

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

/// Checks every call's bearer token with the configured verifiers.
#[derive(Clone, Default)]
pub struct Authenticator {
    verifiers: Vec<Arc<dyn Verifier>>,
}

impl Authenticator {
    /// Every caller is anonymous.
    pub fn none() -> Authenticator {
        Authenticator::default()
    }

    /// Calls need a token that one of `verifiers` accepts.
    pub fn with(verifiers: Vec<Arc<dyn Verifier>>) -> Authenticator {
        Authenticator { verifiers }
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
