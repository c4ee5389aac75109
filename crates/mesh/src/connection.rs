//! A connection to one Mesh server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mesh_proto::config::configuration_service_client::ConfigurationServiceClient;
use mesh_proto::session::session_service_client::SessionServiceClient;
use tonic::transport::{Channel, Endpoint};
use uuid::Uuid;

use crate::error::{Error, Result};
use crate::session::Session;

/// The version metadata this SDK announces, like the official SDKs do.
const CLIENT_VERSION_HEADER: &str = "x-volue-mesh-client-version";

/// What `get_version` tells about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionInfo {
    /// The Mesh API level the server implements, e.g. `2.21.0`.
    pub version: String,
    /// The server's product name.
    pub name: String,
}

/// A connection to a Mesh server. Cheap to clone; clones share the channel.
#[derive(Clone)]
pub struct Connection {
    pub(crate) inner: Arc<ConnectionInner>,
}

pub(crate) struct ConnectionInner {
    channel: Channel,
    /// The runtime the connection was made on: dropped sessions close
    /// themselves through it.
    pub(crate) runtime: tokio::runtime::Handle,
    /// The session timeout the server last reported, shared by all sessions
    /// of this connection to schedule their lifetime extensions.
    pub(crate) session_timeout: Mutex<Option<Duration>>,
}

impl Connection {
    /// Connects without encryption or authentication, for development and
    /// trusted networks. `address` is `host:port` or `http://host:port`.
    pub async fn insecure(address: &str) -> Result<Connection> {
        let endpoint = endpoint(address, "http")?;
        Connection::connect(address, endpoint).await
    }

    async fn connect(address: &str, endpoint: Endpoint) -> Result<Connection> {
        let channel = endpoint
            .connect_timeout(Duration::from_secs(10))
            .connect()
            .await
            .map_err(|source| Error::Connect {
                address: address.to_string(),
                source,
            })?;
        Ok(Connection {
            inner: Arc::new(ConnectionInner {
                channel,
                runtime: tokio::runtime::Handle::current(),
                session_timeout: Mutex::new(None),
            }),
        })
    }

    /// The server's version and name.
    pub async fn get_version(&self) -> Result<VersionInfo> {
        let mut request = tonic::Request::new(());
        request.metadata_mut().insert(
            CLIENT_VERSION_HEADER,
            tonic::metadata::MetadataValue::from_static(env!("CARGO_PKG_VERSION")),
        );
        let info = ConfigurationServiceClient::new(self.inner.channel.clone())
            .get_version(request)
            .await?
            .into_inner();
        Ok(VersionInfo {
            version: info.version,
            name: info.name,
        })
    }

    /// A new session handle; `open()` starts it on the server.
    pub fn create_session(&self) -> Session {
        Session::new(self.clone(), None)
    }

    /// A handle on a session that may already be open, e.g. one started by
    /// another process. `open()` attaches to it if the server still has it,
    /// else starts a new one, and says which happened. An attached session
    /// is not extended automatically: call `extend_lifetime()`.
    pub fn connect_to_session(&self, id: Uuid) -> Session {
        Session::new(self.clone(), Some(id))
    }

    /// Opens a session, runs `work` with it, and closes it afterwards,
    /// whether `work` succeeded or not. The closure gets its own handle on
    /// the session (handles are cheap clones).
    pub async fn with_session<T, F, Fut>(&self, work: F) -> Result<T>
    where
        F: FnOnce(Session) -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let session = self.create_session();
        session.open().await?;
        let outcome = work(session.clone()).await;
        let closed = session.close().await;
        let value = outcome?;
        closed?;
        Ok(value)
    }

    /// Creates and opens a session in one step. Dropping the last handle
    /// closes it on the server in the background.
    pub async fn open_session(&self) -> Result<Session> {
        let session = self.create_session();
        session.open().await?;
        Ok(session)
    }

    pub(crate) fn session_timeout(&self) -> Option<Duration> {
        *self
            .inner
            .session_timeout
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn remember_session_timeout(&self, timeout: Duration) {
        *self
            .inner
            .session_timeout
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(timeout);
    }

    pub(crate) fn session_client(&self) -> SessionServiceClient<Channel> {
        SessionServiceClient::new(self.inner.channel.clone())
    }
}

/// Builds an endpoint from `host:port` or a URL.
fn endpoint(address: &str, scheme: &str) -> Result<Endpoint> {
    let url = if address.contains("://") {
        address.to_string()
    } else {
        format!("{scheme}://{address}")
    };
    Endpoint::from_shared(url).map_err(|error| Error::InvalidAddress {
        address: address.to_string(),
        reason: error.to_string(),
    })
}
