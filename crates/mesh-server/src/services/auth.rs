//! `volue.mesh.grpc.auth.v1alpha.AuthenticationService`.
//!
//! `GetUserIdentity` and `RevokeAccessToken` are served; the Kerberos
//! exchange answers UNIMPLEMENTED until Kerberos authentication is built.

use mesh_proto::auth::authentication_service_server::AuthenticationService;
use mesh_proto::auth::{RevokeAccessTokenResponse, UserIdentity};
use tonic::{Request, Response, Status};

use crate::auth::{Authenticator, Identity};

/// The authentication service, over the server's authenticator (its
/// verifiers, and the tokens they know).
pub struct AuthApi {
    authenticator: Authenticator,
}

impl AuthApi {
    /// The service for `authenticator`.
    pub fn new(authenticator: Authenticator) -> AuthApi {
        AuthApi { authenticator }
    }
}

#[tonic::async_trait]
impl AuthenticationService for AuthApi {
    async fn get_user_identity(
        &self,
        request: Request<()>,
    ) -> Result<Response<UserIdentity>, Status> {
        let identity = Identity::of(&request);
        Ok(Response::new(UserIdentity {
            display_name: identity.display_name.clone(),
            source: identity.source.clone(),
            identifier: identity.identifier.clone(),
        }))
    }

    async fn revoke_access_token(
        &self,
        request: Request<String>,
    ) -> Result<Response<RevokeAccessTokenResponse>, Status> {
        self.authenticator
            .revoke(request.get_ref().trim())
            .map_err(|error| Status::failed_precondition(error.to_string()))?;
        Ok(Response::new(RevokeAccessTokenResponse {}))
    }
}
