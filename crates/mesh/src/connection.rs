//! A connection to one Mesh server.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use mesh_proto::auth::authentication_service_client::AuthenticationServiceClient;
use mesh_proto::config::configuration_service_client::ConfigurationServiceClient;
use mesh_proto::session::session_service_client::SessionServiceClient;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::{Certificate, Channel, ClientTlsConfig, Endpoint};
use uuid::Uuid;

use crate::credentials::AccessToken;
use crate::error::{Error, Result};
use crate::kerberos::{Kerberos, SignIn};
use crate::session::Session;
use crate::time_series::UnitOfMeasurement;

/// What every generated client of a connection runs on.
pub(crate) type Transport = InterceptedService<Channel, AccessToken>;

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

/// Who the server takes the caller to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserIdentity {
    /// For people to read; not unique.
    pub display_name: String,
    /// The identity provider that vouched for the user.
    pub source: String,
    /// Unique within `source`.
    pub identifier: String,
}

/// A connection to a Mesh server. Cheap to clone; clones share the channel.
#[derive(Clone)]
pub struct Connection {
    pub(crate) inner: Arc<ConnectionInner>,
}

pub(crate) struct ConnectionInner {
    channel: Channel,
    token: AccessToken,
    /// For a Kerberos connection: how to sign in again, and the task that
    /// renews the token before it expires.
    kerberos: Option<Kerberos>,
    /// The runtime the connection was made on: dropped sessions close
    /// themselves through it.
    pub(crate) runtime: tokio::runtime::Handle,
    /// The session timeout the server last reported, shared by all sessions
    /// of this connection to schedule their lifetime extensions.
    pub(crate) session_timeout: Mutex<Option<Duration>>,
    /// The server's units of measurement, once a call needed them: the
    /// catalogue does not change while a server runs, and resolving a unit
    /// name should not cost a round trip every time.
    pub(crate) units: Mutex<Option<Arc<[UnitOfMeasurement]>>>,
}

impl Connection {
    /// Connects without encryption or authentication, for development and
    /// trusted networks. `address` is `host:port` or `http://host:port`.
    pub async fn insecure(address: &str) -> Result<Connection> {
        let endpoint = endpoint(address, "http")?;
        Connection::connect(address, endpoint, AccessToken::default()).await
    }

    /// Connects over TLS, checking the server's certificate against
    /// `root_pem` (PEM certificates), or the platform's trusted roots when
    /// `None`. `address` is `host:port` or `https://host:port`; the host
    /// name must match the certificate.
    pub async fn with_tls(address: &str, root_pem: Option<&[u8]>) -> Result<Connection> {
        let endpoint = tls_endpoint(address, root_pem)?;
        Connection::connect(address, endpoint, AccessToken::default()).await
    }

    /// Connects over TLS and sends `token`, an access token obtained from
    /// an identity provider, with every call. Replace it before it expires
    /// with [`Connection::update_external_access_token`].
    pub async fn with_external_access_token(
        address: &str,
        root_pem: Option<&[u8]>,
        token: &str,
    ) -> Result<Connection> {
        let endpoint = tls_endpoint(address, root_pem)?;
        let access = AccessToken::default();
        access.set(token)?;
        Connection::connect(address, endpoint, access).await
    }

    /// Uses `token` from the next call on, on every clone of this
    /// connection and for the background lifetime extensions, without
    /// reconnecting.
    pub fn update_external_access_token(&self, token: &str) -> Result<()> {
        self.inner.token.set(token)
    }

    /// Connects over TLS and signs in with Kerberos: the user's
    /// credential (from their credential cache, as `kinit` leaves it; with
    /// `user_principal`, that user's credential in the cache collection)
    /// gets a ticket for `service_principal`
    /// (`HTTP/mesh.example.com@EXAMPLE.COM`, or `HTTP@mesh.example.com`),
    /// which the server exchanges for an access token before this returns.
    /// The token is renewed in the background before it expires, so no call
    /// fails for an expired token while the KDC can be reached.
    ///
    /// Needs the system's GSSAPI library (MIT Kerberos, `libgssapi_krb5.so.2`)
    /// at run time; failures of the Kerberos side are [`Error::Kerberos`].
    pub async fn with_kerberos(
        address: &str,
        root_pem: Option<&[u8]>,
        service_principal: &str,
        user_principal: Option<&str>,
    ) -> Result<Connection> {
        let endpoint = tls_endpoint(address, root_pem)?;
        let channel = open_channel(address, endpoint).await?;
        let sign_in = SignIn::new(channel.clone(), service_principal, user_principal);
        let granted = sign_in.sign_in().await?;
        let token = AccessToken::default();
        token.set(&granted.token)?;
        let kerberos = Kerberos::new(sign_in);
        kerberos.keep_fresh(token.clone(), granted.lifetime);
        Ok(Connection::from_channel(channel, token, Some(kerberos)))
    }

    /// Signs in with Kerberos again now (after [`Connection::revoke_access_token`],
    /// say) and renews the new token from then on. Only for connections made
    /// with [`Connection::with_kerberos`].
    pub async fn refresh_access_token(&self) -> Result<()> {
        let kerberos = self.kerberos()?;
        let granted = kerberos.sign_in.sign_in().await?;
        self.inner.token.set(&granted.token)?;
        kerberos.keep_fresh(self.inner.token.clone(), granted.lifetime);
        Ok(())
    }

    /// Ends this connection's Kerberos sign-in: the server makes the access
    /// token unusable at once, and the connection stops renewing it. Calls
    /// afterwards answer `UNAUTHENTICATED` until
    /// [`Connection::refresh_access_token`]. Only for connections made with
    /// [`Connection::with_kerberos`]; an external token only its issuer can end.
    pub async fn revoke_access_token(&self) -> Result<()> {
        let kerberos = self.kerberos()?;
        kerberos.stop();
        let Some(token) = self.inner.token.current() else {
            return Ok(());
        };
        AuthenticationServiceClient::new(self.transport())
            .revoke_access_token(token)
            .await?;
        self.inner.token.clear();
        Ok(())
    }

    fn kerberos(&self) -> Result<&Kerberos> {
        self.inner.kerberos.as_ref().ok_or_else(|| {
            Error::Kerberos(
                "this connection was not made with Connection::with_kerberos".to_string(),
            )
        })
    }

    async fn connect(address: &str, endpoint: Endpoint, token: AccessToken) -> Result<Connection> {
        let channel = open_channel(address, endpoint).await?;
        Ok(Connection::from_channel(channel, token, None))
    }

    fn from_channel(
        channel: Channel,
        token: AccessToken,
        kerberos: Option<Kerberos>,
    ) -> Connection {
        Connection {
            inner: Arc::new(ConnectionInner {
                channel,
                token,
                kerberos,
                runtime: tokio::runtime::Handle::current(),
                session_timeout: Mutex::new(None),
                units: Mutex::new(None),
            }),
        }
    }

    /// Who the server takes this connection's user to be.
    pub async fn get_user_identity(&self) -> Result<UserIdentity> {
        let identity = AuthenticationServiceClient::new(self.transport())
            .get_user_identity(())
            .await?
            .into_inner();
        Ok(UserIdentity {
            display_name: identity.display_name,
            source: identity.source,
            identifier: identity.identifier,
        })
    }

    /// The server's version and name.
    pub async fn get_version(&self) -> Result<VersionInfo> {
        let mut request = tonic::Request::new(());
        request.metadata_mut().insert(
            CLIENT_VERSION_HEADER,
            tonic::metadata::MetadataValue::from_static(env!("CARGO_PKG_VERSION")),
        );
        let info = ConfigurationServiceClient::new(self.transport())
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

    pub(crate) fn transport(&self) -> Transport {
        InterceptedService::new(self.inner.channel.clone(), self.inner.token.clone())
    }

    pub(crate) fn session_client(&self) -> SessionServiceClient<Transport> {
        SessionServiceClient::new(self.transport())
    }
}

async fn open_channel(address: &str, endpoint: Endpoint) -> Result<Channel> {
    endpoint
        .connect_timeout(Duration::from_secs(10))
        .connect()
        .await
        .map_err(|source| Error::connect(address, source))
}

fn tls_endpoint(address: &str, root_pem: Option<&[u8]>) -> Result<Endpoint> {
    let tls = match root_pem {
        Some(pem) => ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem)),
        None => ClientTlsConfig::new().with_native_roots(),
    };
    endpoint(address, "https")?
        .tls_config(tls)
        .map_err(|error| Error::connect(address, error))
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
