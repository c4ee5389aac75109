//! Binds the listener and serves every service until told to stop.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use mesh_proto::admin::admin_service_server::AdminServiceServer;
use mesh_proto::auth::authentication_service_server::AuthenticationServiceServer;
use mesh_proto::availability::availability_service_server::AvailabilityServiceServer;
use mesh_proto::calc::calculation_service_server::CalculationServiceServer;
use mesh_proto::config::configuration_service_server::ConfigurationServiceServer;
use mesh_proto::history::history_service_server::HistoryServiceServer;
use mesh_proto::hydsim::hydsim_service_server::HydsimServiceServer;
use mesh_proto::model::model_service_server::ModelServiceServer;
use mesh_proto::model_definition::model_definition_service_server::ModelDefinitionServiceServer;
use mesh_proto::model_file::model_file_service_server::ModelFileServiceServer;
use mesh_proto::session::session_service_server::SessionServiceServer;
use mesh_proto::time_series::timeseries_service_server::TimeseriesServiceServer;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tonic::service::Routes;
use tower::Layer;

use crate::auth::Authenticator;
use crate::calc::CalcSettings;
use crate::config::ServerConfig;
use crate::connections::{self, ConnectionSettings};
use crate::log_level::LogControl;
use crate::metrics::{CallMetrics, Metrics};
use crate::model::SharedModel;
use crate::open_files;
use crate::reflection;
use crate::services::admin::AdminApi;
use crate::services::auth::AuthApi;
use crate::services::calc::CalculationApi;
use crate::services::config::ConfigurationApi;
use crate::services::history::HistoryApi;
use crate::services::model::ModelApi;
use crate::services::model_definition::ModelDefinitionApi;
use crate::services::model_file::ModelFileApi;
use crate::services::not_served::NotServed;
use crate::services::session::SessionApi;
use crate::services::time_series::TimeseriesApi;
use crate::session::{SessionManager, SessionSettings};
use crate::tls::{self, ReloadableCert, TlsFiles};
use crate::unserved::NameUnservedLayer;
use mesh_storage::{RedbStore, StoreHandle, StoreOptions};

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
    /// Loaded before the server says it listens, so that "listening" means
    /// ready to answer.
    model: Arc<SharedModel>,
    certificate: Option<Arc<ReloadableCert>>,
    authenticator: Authenticator,
    log_control: Option<LogControl>,
    /// `--metrics-listen`, bound.
    metrics_listener: Option<TcpListener>,
}

impl Prepared {
    /// Lets `ConfigurationService.UpdateLogLevel` change the log filter
    /// through `control`. Without it (the default, and so for
    /// [`RunningServer`]) the server does not own the process's log output,
    /// and the log-level calls answer FAILED_PRECONDITION.
    pub fn with_log_control(mut self, control: LogControl) -> Prepared {
        self.log_control = Some(control);
        self
    }

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
    let authenticator =
        Authenticator::from_config(&config, certificate.is_some(), store.store().clone())?;
    let model = SharedModel::load(&store)
        .await
        .context("cannot load the model from the store")?;
    // Opening (a recovery after a crash reads the whole file) and loading
    // leave freed memory behind; it goes back before serving starts.
    crate::memory::trim();
    let listener = TcpListener::bind(&config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    let metrics_listener = match &config.metrics_listen {
        Some(address) => {
            let bound = TcpListener::bind(address)
                .await
                .with_context(|| format!("cannot serve metrics on {address}"))?;
            // Tests and operators read the bound port from this line.
            tracing::info!("metrics served on http://{}/metrics", bound.local_addr()?);
            Some(bound)
        }
        None => None,
    };
    Ok(Prepared {
        config,
        listener,
        store,
        model,
        certificate,
        authenticator,
        log_control: None,
        metrics_listener,
    })
}

type Serving = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Connections the gRPC port and the metrics endpoint (`metrics`, when
/// served) may each hold: at most what they are configured for, and
/// together no more than the open-files limit leaves room for. Past it,
/// accepting would fail for want of descriptors, and the server's own
/// files could no longer be opened. The metrics share is taken out first
/// (see [`open_files::share_room`]).
fn connection_limits(grpc: u32, metrics: Option<u32>) -> open_files::Shares {
    let room = open_files::connection_room();
    let shares = open_files::share_room(room, u64::from(grpc), metrics.map(u64::from));
    if shares.grpc < u64::from(grpc) {
        tracing::warn!(
            max_connections = grpc,
            metrics_connections = shares.metrics,
            open_files_limit = room.map(|room| room + open_files::RESERVED),
            serving_at_most = shares.grpc,
            "--max-connections is more than the open-files limit leaves room for; serving fewer"
        );
    }
    if let Some(metrics) = metrics {
        if shares.metrics < u64::from(metrics) {
            tracing::warn!(
                metrics_max_connections = metrics,
                serving_at_most = shares.metrics,
                "--metrics-max-connections is more than half the open-files room; serving fewer"
            );
        }
    }
    shares
}

/// Serves until `shutdown` completes, then lets calls in progress finish,
/// for at most `SHUTDOWN_GRACE` (10 s).
pub async fn serve(
    prepared: Prepared,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let Prepared {
        config,
        listener,
        store,
        model,
        certificate,
        authenticator,
        log_control,
        metrics_listener,
    } = prepared;
    let sessions = SessionManager::with_model(
        SessionSettings {
            timeout: config.session_timeout,
            max_sessions: config.max_sessions,
        },
        model,
    );
    let sweeper = sessions.start_expiry();
    let pruner = config
        .history_retention
        .map(|retention| tokio::spawn(crate::retention::prune_forever(store.clone(), retention)));
    // Calls are counted only when someone can read the counts.
    let call_metrics = metrics_listener
        .as_ref()
        .map(|_| Arc::new(CallMetrics::new()));
    let limits = connection_limits(
        config.max_connections,
        metrics_listener
            .as_ref()
            .map(|_| config.metrics_max_connections),
    );
    let metrics_task = match (metrics_listener, &call_metrics) {
        (Some(listener), Some(calls)) => Some(tokio::spawn(crate::metrics::http::serve(
            listener,
            Arc::new(Metrics::new(calls, sessions.clone(), store.clone())),
            crate::metrics::http::EndpointSettings {
                max_connections: limits.metrics as usize,
                header_timeout: config.metrics_header_timeout,
            },
        ))),
        _ => None,
    };

    // The health service answers without a token (see auth), as load
    // balancers and orchestrators call it.
    let (health, health_service) = tonic_health::server::health_reporter();
    health
        .set_serving::<SessionServiceServer<SessionApi>>()
        .await;

    // Both reflection versions: many tools still speak only v1alpha.
    let reflection_builder = || {
        tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(mesh_proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
    };
    let reflection_v1 = reflection_builder()
        .build_v1()
        .context("cannot build the reflection service")?;
    let reflection_v1alpha = reflection_builder()
        .build_v1alpha()
        .context("cannot build the reflection service")?;

    // Every service takes messages up to the same limit, so that the
    // explanation of an oversized request (limits.rs) is right for all.
    let limit = config.max_message_size as usize;
    let calc_settings = Arc::new(CalcSettings {
        local_zone: config.calc_local_zone,
        max_points: usize::try_from(config.calc_max_points).unwrap_or(usize::MAX),
        max_duration: config.calc_timeout,
        read_limit: crate::services::time_series::read_limit(limit),
    });
    let routes = Routes::new(
        health_service
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    )
    .add_service(reflection::Checked::new(
        reflection_v1
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
        limit,
    ))
    .add_service(reflection::Checked::new(
        reflection_v1alpha
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
        limit,
    ))
    .add_service(
        SessionServiceServer::new(SessionApi::new(sessions.clone(), store.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    )
    .add_service(
        ConfigurationServiceServer::new(ConfigurationApi::new(
            config.clone(),
            sessions.clone(),
            log_control,
        ))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit),
    )
    .add_service(
        AuthenticationServiceServer::new(AuthApi::new(authenticator.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    )
    .add_service(
        TimeseriesServiceServer::new(TimeseriesApi::new(
            sessions.clone(),
            store.clone(),
            limit,
            calc_settings.clone(),
        ))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit),
    )
    .add_service(
        ModelDefinitionServiceServer::new(ModelDefinitionApi::new(sessions.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    )
    .add_service(
        ModelServiceServer::new(ModelApi::new(sessions.clone(), store.clone()))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    )
    .add_service(
        ModelFileServiceServer::new(ModelFileApi::new(sessions.clone(), store.clone(), limit))
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    )
    .add_service(
        HistoryServiceServer::new(HistoryApi::new(
            sessions.clone(),
            store.clone(),
            calc_settings.clone(),
        ))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit),
    )
    .add_service(
        AdminServiceServer::new(AdminApi::new(
            store.clone(),
            config.backup_dir.clone(),
            config.backup_min_free_mb,
        ))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit),
    )
    .add_service(
        CalculationServiceServer::new(CalculationApi::new(
            sessions.clone(),
            store.clone(),
            calc_settings.clone(),
        ))
        .max_decoding_message_size(limit)
        .max_encoding_message_size(limit),
    )
    .add_service(
        HydsimServiceServer::new(NotServed)
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    )
    .add_service(
        AvailabilityServiceServer::new(NotServed)
            .max_decoding_message_size(limit)
            .max_encoding_message_size(limit),
    )
    .prepare();
    // Every call but the exempt ones (health, the Kerberos exchange) is
    // authenticated before it reaches its service; anonymous UNIMPLEMENTED
    // answers are given the name of the call.
    let served = NameUnservedLayer.layer(authenticator.layer().layer(routes));
    let settings = ConnectionSettings {
        max_connections: limits.grpc as usize,
        max_concurrent_streams: config.max_concurrent_streams,
        handshake_timeout: config.handshake_timeout,
        idle_timeout: config.idle_timeout,
        keepalive_interval: config.keepalive_interval,
        keepalive_timeout: config.keepalive_timeout,
        max_message_size: limit,
        call_metrics,
    };

    let (draining, drain_started) = oneshot::channel::<()>();
    let shutdown = async move {
        shutdown.await;
        let _ = draining.send(());
    };
    let tls = certificate.map(tls::acceptor).transpose()?;
    let serving: Serving = Box::pin(connections::serve(
        listener, tls, settings, served, shutdown,
    ));
    let grace_expired = async {
        if drain_started.await.is_ok() {
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = serving => {}
        _ = grace_expired => {
            tracing::warn!(grace = ?SHUTDOWN_GRACE, "calls still running after the shutdown grace period; stopping anyway");
        }
    }
    sweeper.abort();
    if let Some(task) = pruner {
        task.abort();
    }
    if let Some(task) = metrics_task {
        task.abort();
    }
    tracing::info!(
        open_sessions = sessions.open_sessions(),
        "server stopped; open sessions discarded"
    );
    Ok(())
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
