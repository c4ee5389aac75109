//! Binds the listener and serves every service until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use mesh_proto::auth::authentication_service_server::AuthenticationServiceServer;
use mesh_proto::availability::availability_service_server::AvailabilityServiceServer;
use mesh_proto::calc::calculation_service_server::CalculationServiceServer;
use mesh_proto::config::configuration_service_server::ConfigurationServiceServer;
use mesh_proto::hydsim::hydsim_service_server::HydsimServiceServer;
use mesh_proto::model::model_service_server::ModelServiceServer;
use mesh_proto::model_definition::model_definition_service_server::ModelDefinitionServiceServer;
use mesh_proto::session::session_service_server::SessionServiceServer;
use mesh_proto::time_series::timeseries_service_server::TimeseriesServiceServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::server::TcpIncoming;

use crate::auth::{Authenticator, TokenSettings, TokenVerifier};
use crate::config::ServerConfig;
use crate::limits;
use crate::services::auth::AuthApi;
use crate::services::config::ConfigurationApi;
use crate::services::model_definition::ModelDefinitionApi;
use crate::services::not_served::NotServed;
use crate::services::session::SessionApi;
use crate::services::time_series::TimeseriesApi;
use crate::session::{SessionManager, SessionSettings};
use crate::tls::{self, ReloadableCert, TlsFiles};
use crate::unserved;
use mesh_storage::{RedbStore, StoreHandle, StoreOptions};
use tower::util::MapResponseLayer;

/// How long calls in progress may run on after a shutdown request. A client
/// that never lets go of its connection must not keep the server up.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Everything that can fail at start-up, done: configuration checked, data
/// directory made, certificate and keys read, address bound. Separate from
/// serving so that the caller can report the real port (for `--listen …:0`)
/// before serving starts.
pub struct Prepared {
    config: ServerConfig,
    listener: TcpListener,
    store: StoreHandle,
    certificate: Option<Arc<ReloadableCert>>,
    authenticator: Authenticator,
}

impl Prepared {
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The served certificate, to re-read it (on SIGHUP) while serving.
    pub fn certificate(&self) -> Option<Arc<ReloadableCert>> {
        self.certificate.clone()
    }
}

pub async fn prepare(config: ServerConfig) -> anyhow::Result<Prepared> {
    let certificate = match (&config.tls_cert, &config.tls_key) {
        (Some(cert), Some(key)) => Some(ReloadableCert::load(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        })?),
        (None, None) => None,
        _ => bail!("--tls-cert and --tls-key go together: give both or neither"),
    };
    let authenticator = match (
        &config.auth_jwks,
        &config.auth_issuer,
        &config.auth_audience,
    ) {
        (Some(jwks), Some(issuer), Some(audience)) => {
            if certificate.is_none() && !config.allow_insecure_auth {
                bail!(
                    "access tokens sent over a plain connection can be stolen: \
                     give --tls-cert and --tls-key, or --allow-insecure-auth for local testing"
                );
            }
            Authenticator::with(vec![Arc::new(TokenVerifier::from_jwks_file(
                jwks,
                TokenSettings {
                    issuer: issuer.clone(),
                    audience: audience.clone(),
                    clock_skew: config.auth_clock_skew,
                },
            )?)])
        }
        (None, None, None) => Authenticator::none(),
        _ => bail!("--auth-jwks, --auth-issuer and --auth-audience go together"),
    };
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    let store = StoreHandle::new(Arc::new(
        RedbStore::open_with(
            &config.data_dir,
            StoreOptions {
                cache_size_bytes: (config.store_cache_mb as usize).saturating_mul(1024 * 1024),
                ..StoreOptions::default()
            },
        )
        .with_context(|| format!("cannot open the store in {}", config.data_dir.display()))?,
    ));
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    Ok(Prepared {
        config,
        listener,
        store,
        certificate,
        authenticator,
    })
}

type Serving = Pin<Box<dyn Future<Output = Result<(), tonic::transport::Error>> + Send>>;

/// Serves until `shutdown` completes, then lets calls in progress finish,
/// for at most [`SHUTDOWN_GRACE`].
pub async fn serve(
    prepared: Prepared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let Prepared {
        config,
        listener,
        store,
        certificate,
        authenticator,
    } = prepared;
    let sessions = SessionManager::new(SessionSettings {
        timeout: config.session_timeout,
        max_sessions: config.max_sessions,
    });
    let sweeper = sessions.start_expiry();

    // The health service answers without a token, as load balancers and
    // orchestrators call it; everything else passes the authenticator.
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<SessionServiceServer<SessionApi>>()
        .await;

    // Both reflection versions: many tools still speak only v1alpha.
    let reflection = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(mesh_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection()
        .build_v1()
        .context("cannot build the reflection service")?;
    let reflection_v1alpha = reflection()
        .build_v1alpha()
        .context("cannot build the reflection service")?;

    let limit = config.max_message_size as usize;
    let router = tonic::transport::Server::builder()
        .layer(MapResponseLayer::new(move |response| {
            limits::explain_oversize(response, limit)
        }))
        .layer(unserved::NameUnservedLayer)
        // Every call but the exempt ones (health, the Kerberos exchange)
        // is authenticated before it reaches its service.
        .layer(authenticator.layer())
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(
            SessionServiceServer::new(SessionApi::new(sessions.clone(), store.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(ConfigurationServiceServer::new(ConfigurationApi::new(
            config.clone(),
            sessions.clone(),
        )))
        .add_service(AuthenticationServiceServer::new(AuthApi))
        .add_service(
            TimeseriesServiceServer::new(TimeseriesApi::new(
                sessions.clone(),
                store.clone(),
                limit,
            ))
            .max_decoding_message_size(limit),
        )
        .add_service(
            ModelDefinitionServiceServer::new(ModelDefinitionApi::new(sessions.clone()))
                .max_decoding_message_size(limit),
        )
        .add_service(ModelServiceServer::new(NotServed))
        .add_service(CalculationServiceServer::new(NotServed))
        .add_service(HydsimServiceServer::new(NotServed))
        .add_service(AvailabilityServiceServer::new(NotServed));

    let (draining, drain_started) = oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = draining.send(());
    };
    let serving: Serving = match certificate {
        None => {
            // Small answers must leave at once rather than wait for Nagle's algorithm.
            let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
            Box::pin(router.serve_with_incoming_shutdown(incoming, shutdown))
        }
        Some(certificate) => {
            let incoming = tls::incoming(listener, tls::acceptor(certificate)?);
            Box::pin(router.serve_with_incoming_shutdown(incoming, shutdown))
        }
    };
    let grace_expired = async {
        if drain_started.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    let result = tokio::select! {
        served = serving => served.context("the gRPC server failed"),
        _ = grace_expired => {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "calls still running after the shutdown grace period; stopping anyway");
            Ok(())
        }
    };
    sweeper.abort();
    tracing::info!(
        open_sessions = sessions.open_sessions(),
        "server stopped; open sessions discarded"
    );
    result
}

/// A server running in this process, for tests, benchmarks and embedding.
/// Dropping it stops the server.
pub struct RunningServer {
    local_addr: SocketAddr,
    tls: bool,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl RunningServer {
    pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
        let tls = config.tls_cert.is_some();
        let prepared = prepare(config).await?;
        let local_addr = prepared.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(prepared, async {
            let _ = stopped.await;
        }));
        Ok(RunningServer {
            local_addr,
            tls,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://IP:PORT` (or `https://`), the form gRPC clients take.
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.local_addr)
    }

    /// Stops the server and waits until it has stopped.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        self.stop.take();
        match self.task.take() {
            Some(task) => task.await.context("the server task panicked")?,
            None => Ok(()),
        }
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}
