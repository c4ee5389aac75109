//! `volue.mesh.grpc.auth.v1alpha.AuthenticationService`.
//!
//! Only `GetUserIdentity` is served; Kerberos and token revocation answer
//! UNIMPLEMENTED until Kerberos authentication is built.

use mesh_proto::auth::authentication_service_server::AuthenticationService;
use mesh_proto::auth::UserIdentity;
use tonic::{Request, Response, Status};

use crate::auth::Identity;

pub struct AuthApi;

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
}
