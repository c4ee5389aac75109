//! Binds the listener and serves every service until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use mesh_proto::auth::authentication_service_server::AuthenticationServiceServer;
use mesh_proto::config::configuration_service_server::ConfigurationServiceServer;
use mesh_proto::model_definition::model_definition_service_server::ModelDefinitionServiceServer;
use mesh_proto::session::session_service_server::SessionServiceServer;
use mesh_proto::time_series::timeseries_service_server::TimeseriesServiceServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::transport::server::TcpIncoming;

use crate::config::ServerConfig;
use crate::services::auth::AuthApi;
use crate::services::config::ConfigurationApi;
use crate::services::model_definition::ModelDefinitionApi;
use crate::services::session::SessionApi;
use crate::services::time_series::TimeseriesApi;
use crate::session::{SessionManager, SessionSettings};

/// Prepares the data directory and binds the configured address: all that
/// can fail at start-up. Separate from serving so that the caller can report
/// the real port (for `--listen …:0`) before serving starts.
pub async fn bind(config: &ServerConfig) -> anyhow::Result<TcpListener> {
    std::fs::create_dir_all(&config.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            config.data_dir.display()
        )
    })?;
    TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))
}

/// How long calls in progress may run on after a shutdown request. A client
/// that never lets go of its connection must not keep the server up.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves on a listener from [`bind`] until `shutdown` completes, then lets
/// calls in progress finish, for at most [`SHUTDOWN_GRACE`].
pub async fn serve(
    config: ServerConfig,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let sessions = SessionManager::new(SessionSettings {
        timeout: config.session_timeout,
        max_sessions: config.max_sessions,
    });
    let sweeper = sessions.start_expiry();

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

    // Small answers must leave at once rather than wait for Nagle's algorithm.
    let incoming = TcpIncoming::from(listener).with_nodelay(Some(true));
    let (draining, drain_started) = oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = draining.send(());
    };
    let serving = tonic::transport::Server::builder()
        .add_service(health_service)
        .add_service(reflection_v1)
        .add_service(reflection_v1alpha)
        .add_service(SessionServiceServer::new(SessionApi::new(sessions.clone())))
        .add_service(ConfigurationServiceServer::new(ConfigurationApi::new(
            config.clone(),
            sessions.clone(),
        )))
        .add_service(AuthenticationServiceServer::new(AuthApi))
        .add_service(TimeseriesServiceServer::new(TimeseriesApi))
        .add_service(ModelDefinitionServiceServer::new(ModelDefinitionApi))
        .serve_with_incoming_shutdown(incoming, shutdown);
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
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl RunningServer {
    pub async fn start(config: ServerConfig) -> anyhow::Result<RunningServer> {
        let listener = bind(&config).await?;
        let local_addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(serve(config, listener, async {
            let _ = stopped.await;
        }));
        Ok(RunningServer {
            local_addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// `http://IP:PORT`, the form gRPC clients take.
    pub fn url(&self) -> String {
        format!("http://{}", self.local_addr)
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
