//! Kerberos sign-in: the `AuthenticateKerberos` exchange that turns the
//! user's Kerberos credential into an access token of the server, and the
//! background task that signs in again before that token expires.

use std::sync::Mutex;
use std::time::Duration;

use mesh_gssapi::{InitContext, Initiated};
use mesh_proto::auth::authentication_service_client::AuthenticationServiceClient;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;

use crate::credentials::AccessToken;
use crate::error::{Error, Result};

/// How long before its expiry a token is replaced: a quarter of its
/// lifetime, at most five minutes, so that a refresh that fails (the KDC
/// briefly away) has time to be tried again before any call could see an
/// expired token.
fn refresh_margin(lifetime: Duration) -> Duration {
    (lifetime / 4).min(Duration::from_secs(300))
}

/// Wait between attempts after a failed refresh.
const RETRY: Duration = Duration::from_secs(5);

/// What signing in needs: a channel that sends no token (the exchange
/// hands tokens out, so cannot need one), and whom to sign in as.
#[derive(Clone)]
pub(crate) struct SignIn {
    channel: Channel,
    service_principal: String,
    user_principal: Option<String>,
}

/// A token from the exchange, and how long the server says it lives.
pub(crate) struct Granted {
    pub(crate) token: String,
    pub(crate) lifetime: Duration,
}

impl SignIn {
    pub(crate) fn new(
        channel: Channel,
        service_principal: &str,
        user_principal: Option<&str>,
    ) -> SignIn {
        SignIn {
            channel,
            service_principal: service_principal.to_string(),
            user_principal: user_principal.map(str::to_string),
        }
    }

    /// One whole exchange: our first token, then, while the server answers
    /// with a Kerberos token and no access token, our next step.
    pub(crate) async fn sign_in(&self) -> Result<Granted> {
        let service = self.service_principal.clone();
        let user = self.user_principal.clone();
        // GSSAPI asks the KDC for a service ticket here: a blocking call.
        let (mut context, first) = blocking(move || {
            let mut context = InitContext::new(&service, user.as_deref())?;
            let first = context.step(None)?;
            Ok((context, first))
        })
        .await?;
        let first = match first {
            Initiated::Continue(token) | Initiated::Complete(token) => token,
        };
        let (requests, outgoing) = mpsc::channel(1);
        // Cannot fail: the receiver is right here.
        let _ = requests.send(first).await;
        let mut answers = AuthenticationServiceClient::new(self.channel.clone())
            .authenticate_kerberos(ReceiverStream::new(outgoing))
            .await?
            .into_inner();
        loop {
            let Some(answer) = answers.message().await? else {
                return Err(Error::Kerberos(
                    "the server ended the Kerberos exchange without an access token".to_string(),
                ));
            };
            if !answer.bearer_token.is_empty() {
                let lifetime = answer
                    .token_duration
                    .and_then(|duration| Duration::try_from(duration).ok())
                    .filter(|lifetime| !lifetime.is_zero())
                    .ok_or_else(|| {
                        Error::Kerberos(
                            "the server sent an access token without a valid lifetime".to_string(),
                        )
                    })?;
                return Ok(Granted {
                    token: answer.bearer_token,
                    lifetime,
                });
            }
            let server_token = answer.kerberos_token;
            let (back, next) = blocking(move || {
                let next = context.step(Some(&server_token))?;
                Ok((context, next))
            })
            .await?;
            context = back;
            let next = match next {
                Initiated::Continue(token) => token,
                Initiated::Complete(token) if !token.is_empty() => token,
                Initiated::Complete(_) => {
                    return Err(Error::Kerberos(
                        "the Kerberos context is complete, yet the server sent no access token"
                            .to_string(),
                    ))
                }
            };
            if requests.send(next).await.is_err() {
                return Err(Error::Kerberos(
                    "the server stopped reading the Kerberos exchange".to_string(),
                ));
            }
        }
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> std::result::Result<T, mesh_gssapi::Error> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|error| Error::Kerberos(format!("the Kerberos step failed: {error}")))?
        .map_err(|error| Error::Kerberos(error.to_string()))
}

/// A connection's Kerberos state: how to sign in, and the task keeping its
/// token fresh (stopped when the connection goes, or on revocation).
pub(crate) struct Kerberos {
    pub(crate) sign_in: SignIn,
    refresher: Mutex<Option<JoinHandle<()>>>,
}

impl Kerberos {
    pub(crate) fn new(sign_in: SignIn) -> Kerberos {
        Kerberos {
            sign_in,
            refresher: Mutex::new(None),
        }
    }

    /// Starts (or restarts) replacing `token`'s value before each expiry,
    /// the first due `lifetime` from now.
    pub(crate) fn keep_fresh(&self, token: AccessToken, lifetime: Duration) {
        let sign_in = self.sign_in.clone();
        let task = tokio::spawn(async move {
            let mut lifetime = lifetime;
            loop {
                let margin = refresh_margin(lifetime);
                tokio::time::sleep(lifetime - margin).await;
                // The old token is good for `margin` more: try until then.
                let deadline = tokio::time::Instant::now() + margin;
                lifetime = loop {
                    match sign_in
                        .sign_in()
                        .await
                        .and_then(|granted| token.set(&granted.token).map(|()| granted.lifetime))
                    {
                        Ok(lifetime) => break lifetime,
                        Err(error) => {
                            tracing::warn!(%error, "cannot renew the Kerberos access token; trying again");
                            let now = tokio::time::Instant::now();
                            let wait = RETRY.min(deadline.saturating_duration_since(now) / 2);
                            tokio::time::sleep(wait.max(Duration::from_millis(50))).await;
                        }
                    }
                };
            }
        });
        if let Some(previous) = self.lock().replace(task) {
            previous.abort();
        }
    }

    /// Stops replacing the token.
    pub(crate) fn stop(&self) {
        if let Some(task) = self.lock().take() {
            task.abort();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.refresher
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Drop for Kerberos {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_replaced_well_before_they_expire() {
        assert_eq!(
            refresh_margin(Duration::from_secs(3600)),
            Duration::from_secs(300)
        );
        assert_eq!(
            refresh_margin(Duration::from_secs(4)),
            Duration::from_secs(1)
        );
    }
}
