//! `volue.mesh.grpc.time_series.v1alpha.TimeseriesService`.
//!
//! Registered so that clients and reflection see the whole API; every call
//! answers UNIMPLEMENTED until the time-series workspace is built.

use mesh_proto::time_series::timeseries_service_server::TimeseriesService;

pub struct TimeseriesApi;

impl TimeseriesService for TimeseriesApi {}
