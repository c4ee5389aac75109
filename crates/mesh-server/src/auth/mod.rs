//! Authentication: who is calling, proven by an access token.
//!
//! [`Authenticator`] runs before every service but `grpc.health.v1`. With no
//! token verifier configured every caller is anonymous; with one, a call
//! must carry `authorization: Bearer <JWT>` and is refused otherwise.
//! Another way to prove identity (Kerberos) plugs in beside the JWT
//! verifier: anything that turns a credential into an [`Identity`].

mod identity;
mod jwt;

use std::sync::Arc;

pub use identity::Identity;
pub use jwt::{AuthError, TokenSettings, TokenVerifier};

use tonic::service::Interceptor;
use tonic::{Request, Status};

#[derive(Clone, Default)]
pub struct Authenticator {
    verifier: Option<Arc<TokenVerifier>>,
}

impl Authenticator {
    /// Every caller is anonymous.
    pub fn none() -> Authenticator {
        Authenticator { verifier: None }
    }

    pub fn with_tokens(verifier: TokenVerifier) -> Authenticator {
        Authenticator {
            verifier: Some(Arc::new(verifier)),
        }
    }

    fn authenticate(
        &self,
        verifier: &TokenVerifier,
        request: &Request<()>,
    ) -> Result<Identity, AuthError> {
        let header = request
            .metadata()
            .get("authorization")
            .ok_or(AuthError::Missing)?;
        let header = header.to_str().map_err(|_| AuthError::MalformedHeader)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .ok_or(AuthError::MalformedHeader)?;
        verifier.verify(token.trim())
    }
}

impl Interceptor for Authenticator {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let Some(verifier) = &self.verifier else {
            return Ok(request);
        };
        match self.authenticate(verifier, &request) {
            Ok(identity) => {
                request.extensions_mut().insert(Arc::new(identity));
                Ok(request)
            }
            Err(error) => {
                // The reason only: tokens are credentials and never logged.
                let peer = request.remote_addr();
                tracing::warn!(reason = %error, ?peer, "authentication failed");
                Err(Status::unauthenticated(error.to_string()))
            }
        }
    }
}
