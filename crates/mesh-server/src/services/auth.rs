//! `volue.mesh.grpc.auth.v1alpha.AuthenticationService`.
//!
//! `AuthenticateKerberos` relays tokens between the client and the
//! server's Kerberos sign-in (`auth::kerberos`), which decides; the other
//! calls ask the authenticator.

use std::time::Duration;

use mesh_proto::auth::authentication_service_server::AuthenticationService;
use mesh_proto::auth::{AuthenticateKerberosResponse, RevokeAccessTokenResponse, UserIdentity};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;
use tonic::{Request, Response, Status, Streaming};

use crate::auth::kerberos::{Exchange, KerberosError, Leg};
use crate::auth::{AuthError, Authenticator, Identity};

/// The authentication service, over the server's authenticator (its
/// verifiers, the tokens they know, and the Kerberos sign-in).
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
    /// Each client token goes to the exchange; each answer back carries the
    /// next server token, and the last one the access token and how long
    /// it lives. The client sends first, as GSSAPI initiators do.
    async fn authenticate_kerberos(
        &self,
        request: Request<Streaming<Vec<u8>>>,
    ) -> Result<Response<BoxStream<AuthenticateKerberosResponse>>, Status> {
        let Some(kerberos) = self.authenticator.kerberos() else {
            return Err(Status::unimplemented(
                "mesh-server does not serve AuthenticateKerberos here: Kerberos is not configured \
                 (start the server with --kerberos-keytab and --kerberos-service-principal)",
            ));
        };
        let exchange = kerberos.exchange();
        let incoming = request.into_inner();
        // One answer in flight at a time: the client waits for each.
        let (answers, stream) = mpsc::channel(1);
        tokio::spawn(async move {
            if let Err(status) = relay(exchange, incoming, &answers).await {
                // Never the tokens: they are credentials.
                if status.code() == tonic::Code::Cancelled {
                    tracing::info!(reason = status.message(), "Kerberos sign-in abandoned");
                } else {
                    tracing::warn!(reason = status.message(), "Kerberos sign-in refused");
                }
                let _ = answers.send(Err(status)).await;
            }
        });
        Ok(Response::new(Box::pin(ReceiverStream::new(stream))))
    }

    async fn revoke_access_token(
        &self,
        request: Request<String>,
    ) -> Result<Response<RevokeAccessTokenResponse>, Status> {
        // Revoking writes the token table: off the async threads.
        let authenticator = self.authenticator.clone();
        let token = request.get_ref().trim().to_string();
        tokio::task::spawn_blocking(move || authenticator.revoke(&token))
            .await
            .map_err(|error| Status::internal(format!("the revocation failed: {error}")))?
            .map_err(|error| match error {
                AuthError::Unavailable(_) => Status::unavailable(error.to_string()),
                _ => Status::failed_precondition(error.to_string()),
            })?;
        Ok(Response::new(RevokeAccessTokenResponse {}))
    }

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

/// How long the server waits for the client's next token: a GSSAPI step
/// takes milliseconds, so a client silent this long has given up, and its
/// exchange should not hold a task forever.
const NEXT_TOKEN_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs one exchange to its end: the access token sent, or the status
/// saying why not. A client that goes away ends it quietly.
async fn relay(
    mut exchange: Exchange,
    mut incoming: Streaming<Vec<u8>>,
    answers: &mpsc::Sender<Result<AuthenticateKerberosResponse, Status>>,
) -> Result<(), Status> {
    loop {
        let token = tokio::time::timeout(NEXT_TOKEN_TIMEOUT, incoming.message())
            .await
            .map_err(|_| {
                Status::unauthenticated(KerberosError::Silent(NEXT_TOKEN_TIMEOUT).to_string())
            })?
            // The stream broke: the client went away mid-exchange (its own
            // GSSAPI step failed, or it was cancelled).
            .map_err(|error| {
                Status::cancelled(format!(
                    "the client ended the Kerberos sign-in before it completed ({})",
                    error.message()
                ))
            })?
            .ok_or_else(|| Status::unauthenticated(KerberosError::Incomplete.to_string()))?;
        // GSSAPI may touch the replay cache on disk: off the async threads.
        let (back, leg) = tokio::task::spawn_blocking(move || {
            let leg = exchange.step(&token);
            (exchange, leg)
        })
        .await
        .map_err(|error| Status::internal(format!("the Kerberos step failed: {error}")))?;
        exchange = back;
        let answer = match leg.map_err(|error| match error {
            KerberosError::Unavailable(_) => Status::unavailable(error.to_string()),
            _ => Status::unauthenticated(error.to_string()),
        })? {
            Leg::Continue(kerberos_token) => AuthenticateKerberosResponse {
                kerberos_token,
                ..Default::default()
            },
            Leg::SignedIn {
                kerberos_token,
                access,
                identity,
            } => {
                tracing::info!(user = %identity.identifier, "signed in with Kerberos");
                let answer = AuthenticateKerberosResponse {
                    kerberos_token,
                    bearer_token: access.token,
                    token_duration: Some(prost_types::Duration {
                        seconds: access.lifetime.as_secs().try_into().unwrap_or(i64::MAX),
                        nanos: access.lifetime.subsec_nanos() as i32,
                    }),
                };
                let _ = answers.send(Ok(answer)).await;
                return Ok(());
            }
        };
        if answers.send(Ok(answer)).await.is_err() {
            return Ok(());
        }
    }
}
