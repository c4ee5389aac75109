//! Background lifetime extension of open sessions.

use std::sync::Weak;
use std::time::{Duration, Instant};

use tokio::sync::oneshot;
use uuid::Uuid;

use crate::connection::Connection;
use crate::error::is_missing_session;
use crate::guid;
use crate::session::SessionInner;

/// Extensions are sent three times per timeout, so that two can fail in a
/// row (a restart of a proxy, a slow network) before the session is at risk.
const EXTENSIONS_PER_TIMEOUT: u32 = 3;

/// After a failed extension, retry this often, bounded by the above.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Handle on a running keep-alive task; dropping it stops the task.
pub(crate) struct KeepAlive {
    _stop: oneshot::Sender<()>,
}

impl KeepAlive {
    pub(crate) fn start(
        connection: &Connection,
        id: Uuid,
        session: Weak<SessionInner>,
    ) -> KeepAlive {
        let (stop, stopped) = oneshot::channel();
        let task = run(connection.clone(), id, session, stopped);
        connection.inner.runtime.spawn(task);
        KeepAlive { _stop: stop }
    }
}

async fn run(
    connection: Connection,
    id: Uuid,
    session: Weak<SessionInner>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut client = connection.session_client();
    // Until the server has told us its timeout, ask at once.
    let mut timeout = connection.session_timeout();
    let mut delay = timeout.map_or(Duration::ZERO, |t| t / EXTENSIONS_PER_TIMEOUT);
    let mut last_success = Instant::now();
    loop {
        tokio::select! {
            _ = &mut stopped => return,
            _ = tokio::time::sleep(delay) => {}
        }
        let outcome = tokio::select! {
            _ = &mut stopped => return,
            outcome = client.extend_session(guid::to_proto(id)) => outcome,
        };
        match outcome {
            Ok(response) => {
                let expires_in = response
                    .into_inner()
                    .expires_in
                    .and_then(|d| Duration::try_from(d).ok())
                    .filter(|d| !d.is_zero());
                if let Some(expires_in) = expires_in {
                    connection.remember_session_timeout(expires_in);
                    timeout = Some(expires_in);
                }
                last_success = Instant::now();
                delay = timeout.map_or(RETRY_AFTER, |t| t / EXTENSIONS_PER_TIMEOUT);
            }
            Err(status) if is_missing_session(&status) => {
                give_up(
                    &session,
                    id,
                    "the server no longer has it (it timed out or was closed elsewhere)".into(),
                );
                return;
            }
            Err(status) => {
                let silent_for = last_success.elapsed();
                if timeout.is_some_and(|t| silent_for >= t) {
                    give_up(
                        &session,
                        id,
                        format!("no lifetime extension succeeded for {silent_for:?}, longer than the session timeout; last error: {status}"),
                    );
                    return;
                }
                tracing::warn!(session = %id, %status, "lifetime extension failed; retrying");
                delay = timeout.map_or(RETRY_AFTER, |t| {
                    (t / (2 * EXTENSIONS_PER_TIMEOUT)).min(RETRY_AFTER)
                });
            }
        }
    }
}

fn give_up(session: &Weak<SessionInner>, id: Uuid, reason: String) {
    if let Some(session) = session.upgrade() {
        session.mark_lost(id, reason);
    }
}
