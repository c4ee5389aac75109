//! The generated gRPC clients, used directly rather than through the `mesh`
//! SDK: for tests about the server or the wire format, which must not move
//! when the SDK does, and which sometimes send what the SDK would refuse.
//!
//! Only the time series calls the tests (and the benchmark program) share
//! live here: series created, written and read whole, in sessions that are
//! started and committed explicitly.

use std::fmt;
use std::time::Duration;

use mesh_proto::calc::calculation_response::CalculationResultOneof;
use mesh_proto::calc::calculation_service_client::CalculationServiceClient;
use mesh_proto::calc::CalculationRequest;
use mesh_proto::model::model_service_client::ModelServiceClient;
use mesh_proto::model_definition::model_definition_service_client::ModelDefinitionServiceClient;
use mesh_proto::model_definition::ListUnitsOfMeasurementRequest;
use mesh_proto::session::session_service_client::SessionServiceClient;
use mesh_proto::time_series::timeseries_service_client::TimeseriesServiceClient;
use mesh_proto::time_series::{
    CreatePhysicalTimeseriesRequest, ReadTimeseriesRequest, Timeseries, WriteTimeseriesRequest,
};
pub use mesh_proto::types::{curve::CurveType, resolution::ResolutionType};
use mesh_proto::types::{Curve, Guid, MeshId, Resolution, UtcInterval};
use mesh_timeseries::{arrow_ipc, Point};
use tonic::transport::{Channel, Endpoint};
use tonic::Status;

/// Why a call whose answer is looked into failed. The two are kept apart
/// because a test may expect refusals (a killed server, say) but never an
/// answer that breaks the protocol.
#[derive(Debug)]
pub enum Error {
    /// The server answered with an error status (or could not be reached).
    Refused(Status),
    /// The server answered, but not with what the protocol promises.
    BadAnswer(String),
}

impl Error {
    /// The refusal; an answer that breaks the protocol fails the test here,
    /// so that no caller can take it for an expected refusal.
    pub fn expect_refused(self, call: &str) -> Status {
        match self {
            Error::Refused(status) => status,
            Error::BadAnswer(why) => panic!("{call}: {why}"),
        }
    }
}

impl From<Status> for Error {
    fn from(status: Status) -> Self {
        Error::Refused(status)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Refused(status) => status.fmt(f),
            Error::BadAnswer(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

/// The session, time series and model clients over one connection.
#[derive(Clone)]
pub struct Clients {
    pub sessions: SessionServiceClient<Channel>,
    pub series: TimeseriesServiceClient<Channel>,
    pub models: ModelDefinitionServiceClient<Channel>,
    /// Models, objects and attributes.
    pub objects: ModelServiceClient<Channel>,
    /// Expressions.
    pub calc: CalculationServiceClient<Channel>,
}

impl Clients {
    /// Connects to `address` (`IP:PORT`, plain text). Connecting and every
    /// call get `call_timeout`, so that a hung server fails its test
    /// instead of hanging it.
    pub async fn connect(
        address: &str,
        call_timeout: Duration,
    ) -> Result<Clients, tonic::transport::Error> {
        let channel = Endpoint::from_shared(format!("http://{address}"))?
            .connect_timeout(call_timeout)
            .timeout(call_timeout)
            .connect()
            .await?;
        Ok(Clients::on(channel))
    }

    /// The clients over a channel the caller connected (and configured) itself.
    pub fn on(channel: Channel) -> Clients {
        Clients {
            sessions: SessionServiceClient::new(channel.clone()),
            series: TimeseriesServiceClient::new(channel.clone()),
            models: ModelDefinitionServiceClient::new(channel.clone()),
            objects: ModelServiceClient::new(channel.clone()),
            calc: CalculationServiceClient::new(channel),
        }
    }

    pub async fn start_session(&self) -> Result<Guid, Error> {
        self.sessions
            .clone()
            .start_session(())
            .await?
            .into_inner()
            .session_id
            .ok_or_else(|| Error::BadAnswer("StartSession answered without a session id".into()))
    }

    pub async fn commit(&self, session: &Guid) -> Result<(), Status> {
        self.sessions.clone().commit(session.clone()).await?;
        Ok(())
    }

    pub async fn end_session(&self, session: &Guid) -> Result<(), Status> {
        self.sessions.clone().end_session(session.clone()).await?;
        Ok(())
    }

    /// The first unit the server lists: for series whose unit does not
    /// matter.
    pub async fn any_unit(&self, session: &Guid) -> Result<Guid, Error> {
        self.models
            .clone()
            .list_units_of_measurement(ListUnitsOfMeasurementRequest {
                session_id: Some(session.clone()),
            })
            .await?
            .into_inner()
            .units_of_measurement
            .into_iter()
            .next()
            .and_then(|unit| unit.id)
            .ok_or_else(|| Error::BadAnswer("ListUnitsOfMeasurement listed no unit".into()))
    }

    /// Creates a BREAKPOINT series (staircase, start of step) at
    /// `path`/`name`; its key.
    pub async fn create_breakpoint_series(
        &self,
        session: &Guid,
        unit: &Guid,
        path: &str,
        name: &str,
    ) -> Result<i64, Status> {
        self.create_series(
            session,
            unit,
            (path, name),
            CurveType::Staircasestartofstep,
            ResolutionType::Breakpoint,
        )
        .await
    }

    /// Creates a series of `curve` and `resolution` at `path`/`name`, with
    /// no time zone; its key.
    pub async fn create_series(
        &self,
        session: &Guid,
        unit: &Guid,
        (path, name): (&str, &str),
        curve: CurveType,
        resolution: ResolutionType,
    ) -> Result<i64, Status> {
        Ok(self
            .series
            .clone()
            .create_physical_timeseries(CreatePhysicalTimeseriesRequest {
                session_id: Some(session.clone()),
                path: path.to_string(),
                name: name.to_string(),
                curve_type: Some(Curve {
                    r#type: curve as i32,
                }),
                resolution: Some(Resolution {
                    r#type: resolution as i32,
                }),
                unit_of_measurement_id: Some(unit.clone()),
                time_zone: None,
            })
            .await?
            .into_inner()
            .timeseries_key)
    }

    /// Replaces `[start, end)` of BREAKPOINT series `key` with `points`.
    pub async fn write(
        &self,
        session: &Guid,
        key: i64,
        interval: (i64, i64),
        points: &[Point],
    ) -> Result<(), Status> {
        self.write_as(session, key, ResolutionType::Breakpoint, interval, points)
            .await
    }

    /// Replaces `[start, end)` of series `key`, whose resolution is
    /// `resolution` (the request names it), with `points`.
    pub async fn write_as(
        &self,
        session: &Guid,
        key: i64,
        resolution: ResolutionType,
        (start, end): (i64, i64),
        points: &[Point],
    ) -> Result<(), Status> {
        self.series
            .clone()
            .write_timeseries(WriteTimeseriesRequest {
                session_id: Some(session.clone()),
                timeseries: Some(Timeseries {
                    id: Some(MeshId::by_timeseries_key(key)),
                    resolution: Some(Resolution {
                        r#type: resolution as i32,
                    }),
                    interval: Some(UtcInterval::from_millis(start, end)),
                    data: arrow_ipc::encode(points),
                }),
            })
            .await?;
        Ok(())
    }

    /// The points of series `key` in `[start, end)` as `session` sees them.
    pub async fn read(
        &self,
        session: &Guid,
        key: i64,
        (start, end): (i64, i64),
    ) -> Result<Vec<Point>, Error> {
        let answer = self
            .series
            .clone()
            .read_timeseries(ReadTimeseriesRequest {
                session_id: Some(session.clone()),
                timeseries_id: Some(MeshId::by_timeseries_key(key)),
                interval: Some(UtcInterval::from_millis(start, end)),
            })
            .await?
            .into_inner();
        let [series] = answer.timeseries.as_slice() else {
            return Err(Error::BadAnswer(format!(
                "ReadTimeseries answered {} series for one key",
                answer.timeseries.len()
            )));
        };
        decode(series, key)
    }
}

impl Clients {
    /// `expression` evaluated over `[start, end)` relative to series `key`.
    pub async fn calculate(
        &self,
        session: &Guid,
        key: i64,
        expression: &str,
        (start, end): (i64, i64),
    ) -> Result<CalculationResultOneof, Error> {
        let answer = self
            .calc
            .clone()
            .run_calculation(CalculationRequest {
                session_id: Some(session.clone()),
                expression: expression.into(),
                interval: Some(UtcInterval::from_millis(start, end)),
                relative_to: Some(MeshId::by_timeseries_key(key)),
            })
            .await?
            .into_inner();
        answer
            .calculation_result_oneof
            .ok_or_else(|| Error::BadAnswer(format!("{expression} answered no result")))
    }
}

/// The points of `series`, an answer for series `key`: an answer that names
/// another series, or whose points do not decode, breaks the protocol.
pub fn decode(series: &Timeseries, key: i64) -> Result<Vec<Point>, Error> {
    let named = series.id.as_ref().and_then(|id| id.timeseries_key);
    if named != Some(key) {
        return Err(Error::BadAnswer(format!(
            "asked for series {key}, the answer names {named:?}"
        )));
    }
    arrow_ipc::decode(&series.data).map_err(|error| {
        Error::BadAnswer(format!("cannot decode the points of series {key}: {error}"))
    })
}
