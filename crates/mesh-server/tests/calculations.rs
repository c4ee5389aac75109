//! Calculations over a real server: the bounds of an evaluation (points,
//! time, nesting of calculated attributes) answer their own statuses, and
//! an expression sees the session's pending writes. The SDK's request and
//! reply shapes are covered by tests/python/test_calculation_contract.py.

mod support;

use mesh_proto::calc::calculation_response::CalculationResultOneof;
use mesh_proto::calc::calculation_service_client::CalculationServiceClient;
use mesh_proto::calc::CalculationRequest;
use mesh_proto::model::model_service_client::ModelServiceClient;
use mesh_proto::model::{
    RatingCurveSegment, RatingCurveVersion, UpdateRatingCurveVersionsRequest, UpdateXySetsRequest,
    XyCurve, XySet,
};
use mesh_proto::model_file::model_file_service_client::ModelFileServiceClient;
use mesh_proto::model_file::ImportModelFileRequest;
use mesh_proto::session::session_service_client::SessionServiceClient;
use mesh_proto::time_series::timeseries_service_client::TimeseriesServiceClient;
use mesh_proto::time_series::{
    CreatePhysicalTimeseriesRequest, GetTimeseriesResourceRequest, ReadTimeseriesRequest,
    Timeseries, WriteTimeseriesRequest,
};
use mesh_proto::types::{Curve, Guid, MeshId, Resolution, UtcInterval};
use mesh_server::ServerConfig;
use mesh_timeseries::{arrow_ipc, Point};
use support::TestServer;
use tonic::transport::Channel;
use tonic::Code;

const H: i64 = 3_600_000;
/// Hours of the test series.
const HOURS: i64 = 1_000;

struct Client {
    _server: TestServer,
    calc: CalculationServiceClient<Channel>,
    series: TimeseriesServiceClient<Channel>,
    files: ModelFileServiceClient<Channel>,
    sessions: SessionServiceClient<Channel>,
    session: Guid,
    raw_key: i64,
}

fn path(path: &str) -> Option<MeshId> {
    Some(MeshId {
        id: None,
        path: Some(path.into()),
        timeseries_key: None,
    })
}

/// A model with one plant: `Raw` connected to an hourly series of
/// `HOURS` points (value = hour), `Loop` depending on itself, `Ping` and
/// `Pong` on each other, `Deep` one calculated step above `Raw`; a rating
/// curve `Rating` and an XY set `Volume`, both empty.
async fn client(adjust: impl FnOnce(&mut ServerConfig)) -> Client {
    let server = TestServer::start(adjust).await;
    let channel = server.channel().await;
    let mut sessions = SessionServiceClient::new(channel.clone());
    let session = sessions
        .start_session(())
        .await
        .unwrap()
        .into_inner()
        .session_id
        .unwrap();
    let mut client = Client {
        _server: server,
        calc: CalculationServiceClient::new(channel.clone()),
        series: TimeseriesServiceClient::new(channel.clone()),
        files: ModelFileServiceClient::new(channel),
        sessions,
        session,
        raw_key: 0,
    };
    let key = client.create_series().await;
    client.raw_key = key;
    let points: Vec<Point> = (0..HOURS).map(|h| Point::new(h * H, 0, h as f64)).collect();
    client.write(key, &points).await;
    let model = format!(
        r###"{{"mesh_model_file": 1,
  "model_definitions": [
    {{"name": "Hydro",
     "attribute_types": [{{"name": "Raw", "kind": "timeseries", "unit": "MW"}},
                         {{"name": "Loop", "kind": "timeseries", "unit": "MW"}},
                         {{"name": "Ping", "kind": "timeseries", "unit": "MW"}},
                         {{"name": "Pong", "kind": "timeseries", "unit": "MW"}},
                         {{"name": "Deep", "kind": "timeseries", "unit": "MW"}},
                         {{"name": "Rating", "kind": "rating_curve"}},
                         {{"name": "Volume", "kind": "xy_set"}}],
     "object_definitions": [{{"name": "Plant", "attributes": [
       {{"type": "Raw"}},
       {{"type": "Loop", "template_expression": "## = @t('.Loop') + 1"}},
       {{"type": "Ping", "template_expression": "## = @t('.Pong')"}},
       {{"type": "Pong", "template_expression": "## = @t('.Ping')"}},
       {{"type": "Deep", "template_expression": "## = @t('.Raw') * 2"}},
       {{"type": "Rating"}},
       {{"type": "Volume"}}]}}]}}],
  "models": [{{"name": "Nordic", "definition": "Hydro", "objects": [
    {{"name": "P", "definition": "Plant", "values": {{"Raw": {{"timeseries_key": {key}}}}}}}]}}]}}"###
    );
    client
        .files
        .import_model_file(ImportModelFileRequest {
            session_id: Some(client.session.clone()),
            file_name: "m.json".into(),
            content: model,
        })
        .await
        .unwrap();
    client
        .sessions
        .commit(client.session.clone())
        .await
        .unwrap();
    client
}

impl Client {
    async fn create_series(&mut self) -> i64 {
        self.series
            .create_physical_timeseries(CreatePhysicalTimeseriesRequest {
                session_id: Some(self.session.clone()),
                path: "/Calc/".into(),
                name: "raw".into(),
                // Staircase, hourly: a read answers exactly the steps asked for.
                curve_type: Some(Curve { r#type: 1 }),
                resolution: Some(Resolution { r#type: 3 }),
                unit_of_measurement_id: Some(mesh_server::guid::to_proto(
                    mesh_model::units::by_name("MW").unwrap().id,
                )),
                time_zone: None,
            })
            .await
            .unwrap()
            .into_inner()
            .timeseries_key
    }

    async fn write(&mut self, key: i64, points: &[Point]) {
        let (start, end) = (points[0].utc_ms, points[points.len() - 1].utc_ms + H);
        let session = self.session.clone();
        self.write_over(&session, key, (start, end), points).await;
    }

    /// Replaces `[start, end)` of series `key` with `points` in `session`.
    async fn write_over(
        &mut self,
        session: &Guid,
        key: i64,
        (start, end): (i64, i64),
        points: &[Point],
    ) {
        self.series
            .write_timeseries(WriteTimeseriesRequest {
                session_id: Some(session.clone()),
                timeseries: Some(Timeseries {
                    id: Some(MeshId {
                        id: None,
                        path: None,
                        timeseries_key: Some(key),
                    }),
                    resolution: None,
                    interval: Some(UtcInterval::from_millis(start, end)),
                    data: arrow_ipc::encode(points),
                }),
            })
            .await
            .unwrap();
    }

    async fn run(
        &mut self,
        expression: &str,
        hours: i64,
    ) -> Result<CalculationResultOneof, tonic::Status> {
        let reply = self
            .calc
            .run_calculation(CalculationRequest {
                session_id: Some(self.session.clone()),
                expression: expression.into(),
                interval: Some(UtcInterval::from_millis(0, hours * H)),
                relative_to: path("Model/Nordic/P"),
            })
            .await?;
        Ok(reply.into_inner().calculation_result_oneof.unwrap())
    }

    async fn number(&mut self, expression: &str, hours: i64) -> f64 {
        match self.run(expression, hours).await.unwrap() {
            CalculationResultOneof::NumericResults(n) => n.value[0],
            other => panic!("not a number: {other:?}"),
        }
    }
}

#[tokio::test]
async fn expressions_read_committed_and_pending_data() {
    let mut client = client(|_| {}).await;
    let sum: i64 = (0..HOURS).sum();
    assert_eq!(
        client.number("## = @SUM(@t('.Raw'))", HOURS).await,
        sum as f64
    );
    // Through a calculated attribute.
    assert_eq!(
        client.number("## = @SUM(@t('.Deep'))", HOURS).await,
        2.0 * sum as f64
    );
    // A pending write of this session shows at once.
    let key = client.raw_key;
    client
        .write(key, &[Point::new(0, 0, 10.0), Point::new(H, 0, 20.0)])
        .await;
    assert_eq!(client.number("## = @SUM(@t('.Raw'))", 2).await, 30.0);
    assert_eq!(client.number("## = @SUM(@t('.Deep'))", 2).await, 60.0);
}

#[tokio::test]
async fn an_evaluation_past_its_points_is_resource_exhausted() {
    let mut client = client(|config| config.calc_max_points = 500).await;
    // 100 hours read three times fit; 1,000 hours do not.
    assert_eq!(
        client.number("## = @SUM(@t('.Raw') + 1)", 100).await,
        (0..100).map(|h| h as f64 + 1.0).sum::<f64>()
    );
    let refused = client
        .run("## = @SUM(@t('.Raw') + 1)", HOURS)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::ResourceExhausted, "{refused:?}");
    assert!(
        refused.message().contains("500 points"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn an_evaluation_past_its_time_is_deadline_exceeded() {
    let mut client = client(|config| config.calc_timeout = std::time::Duration::ZERO).await;
    let refused = client.run("## = 1", 1).await.unwrap_err();
    assert_eq!(refused.code(), Code::DeadlineExceeded, "{refused:?}");
    assert!(
        refused.message().contains("ran out of time"),
        "{}",
        refused.message()
    );
}

#[tokio::test]
async fn attributes_depending_on_themselves_are_refused() {
    let mut client = client(|_| {}).await;
    for expression in ["## = @t('.Loop')", "## = @t('.Ping')"] {
        let refused = client.run(expression, 3).await.unwrap_err();
        assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
        assert!(
            refused.message().contains("depends on itself"),
            "{}",
            refused.message()
        );
    }
}

const VIRTUAL: &str = r###"{"mesh_model_file": 1, "virtual_series": [
  {"path": "/Virt/", "name": "tenfold", "expression": "## = %'/Calc/raw' * 10",
   "resolution": "HOUR", "curve_type": "STAIRCASESTARTOFSTEP", "unit": "MW"}]}"###;

impl Client {
    async fn import(&mut self, content: &str) -> Result<(), tonic::Status> {
        self.files
            .import_model_file(ImportModelFileRequest {
                session_id: Some(self.session.clone()),
                file_name: "v.json".into(),
                content: content.into(),
            })
            .await
            .map(|_| ())
    }
}

#[tokio::test]
async fn virtual_series_come_from_the_model_file_and_compute_on_read() {
    let mut client = client(|_| {}).await;
    let bad = VIRTUAL.replace("* 10", "* (10");
    let refused = client.import(&bad).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(
        refused.message().contains("virtual_series[0]"),
        "{}",
        refused.message()
    );
    client.import(VIRTUAL).await.unwrap();
    let ten: f64 = (0..10).map(|h| 10.0 * h as f64).sum();
    assert_eq!(client.number("## = @SUM(%'/Virt/tenfold')", 10).await, ten);
    // Its resource tells the expression; the keys are the server's, so
    // the test looks for it.
    let mut key = None;
    for candidate in 1..=20 {
        let found = client
            .series
            .get_timeseries_resource(GetTimeseriesResourceRequest {
                session_id: Some(client.session.clone()),
                timeseries_resource_key: candidate,
            })
            .await;
        if let Ok(resource) = found {
            let resource = resource.into_inner();
            if resource.name == "tenfold" {
                assert_eq!(
                    resource.virtual_timeseries_expression,
                    "## = %'/Calc/raw' * 10"
                );
                key = Some(candidate);
            }
        }
    }
    let key = key.expect("the virtual series exists");
    client
        .sessions
        .commit(client.session.clone())
        .await
        .unwrap();
    let read = client
        .series
        .read_timeseries(ReadTimeseriesRequest {
            session_id: Some(client.session.clone()),
            timeseries_id: Some(MeshId {
                id: None,
                path: None,
                timeseries_key: Some(key),
            }),
            interval: Some(UtcInterval::from_millis(0, 3 * H)),
        })
        .await
        .unwrap()
        .into_inner();
    let points = arrow_ipc::decode(&read.timeseries[0].data).unwrap();
    let values: Vec<f64> = points.iter().map(|p| p.value).collect();
    assert_eq!(values, vec![0.0, 10.0, 20.0]);
    let refused = client
        .series
        .write_timeseries(WriteTimeseriesRequest {
            session_id: Some(client.session.clone()),
            timeseries: Some(Timeseries {
                id: Some(MeshId {
                    id: None,
                    path: None,
                    timeseries_key: Some(key),
                }),
                resolution: None,
                interval: Some(UtcInterval::from_millis(0, H)),
                data: arrow_ipc::encode(&[Point::new(0, 0, 1.0)]),
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
    assert!(
        refused.message().contains("is virtual"),
        "{}",
        refused.message()
    );
}

/// A rating curve and an XY set made through the model service, then used
/// by RunCalculation: `Raw` holds the hour as its value, so each point's
/// level (or x) is known.
#[tokio::test]
async fn rating_curves_and_xy_sets_of_the_model_serve_expressions() {
    let mut client = client(|_| {}).await;
    let channel = client._server.channel().await;
    let mut model = ModelServiceClient::new(channel);
    let stamp = |hours: i64| prost_types::Timestamp {
        seconds: hours * 3600,
        nanos: 0,
    };
    // Q = 2·(h − 1)^2 for 1 ≤ h < 3, Q = 10·h from 3 on below 100; from
    // hour 4 on, Q = h.
    let segment = |x_range_until, factor_a, factor_b, factor_c| RatingCurveSegment {
        x_range_until,
        factor_a,
        factor_b,
        factor_c,
    };
    model
        .update_rating_curve_versions(UpdateRatingCurveVersionsRequest {
            session_id: Some(client.session.clone()),
            interval: Some(UtcInterval::from_millis(0, HOURS * H)),
            attribute: path("Model/Nordic/P.Rating"),
            versions: vec![
                RatingCurveVersion {
                    from: Some(stamp(0)),
                    x_range_from: 1.0,
                    x_value_segments: vec![
                        segment(3.0, 2.0, -1.0, 2.0),
                        segment(100.0, 10.0, 0.0, 1.0),
                    ],
                },
                RatingCurveVersion {
                    from: Some(stamp(4)),
                    x_range_from: 0.0,
                    x_value_segments: vec![segment(100.0, 1.0, 0.0, 1.0)],
                },
            ],
        })
        .await
        .unwrap();
    model
        .update_xy_sets(UpdateXySetsRequest {
            session_id: Some(client.session.clone()),
            interval: None,
            attribute: path("Model/Nordic/P.Volume"),
            xy_sets: vec![XySet {
                valid_from_time: None,
                xy_curves: vec![XyCurve {
                    reference_value: 0.0,
                    x_values: vec![0.0, 2.0, 4.0],
                    y_values: vec![0.0, 10.0, 30.0],
                }],
            }],
        })
        .await
        .unwrap();

    let hours = 6;
    let values = |result: CalculationResultOneof| match result {
        CalculationResultOneof::TimeseriesResults(t) => {
            let points = arrow_ipc::decode(&t.timeseries[0].data).unwrap();
            points.iter().map(|p| p.value).collect::<Vec<f64>>()
        }
        other => panic!("not a series: {other:?}"),
    };
    let q = values(
        client
            .run("## = @RatingCurve(@t('.Raw'))", hours)
            .await
            .unwrap(),
    );
    // Hour 0: level 0 below x_range_from; 1, 2: 2·(h−1)²; 3: 10·h; then
    // the second version: Q = h.
    assert!(q[0].is_nan(), "{q:?}");
    assert_eq!(q[1..], [0.0, 2.0, 30.0, 4.0, 5.0], "{q:?}");

    let y = values(
        client
            .run("## = @XY(@t('.Raw'), '.Volume')", hours)
            .await
            .unwrap(),
    );
    // Linear between the points, held past the last.
    assert_eq!(y, [0.0, 5.0, 10.0, 20.0, 30.0, 30.0]);
    let x = values(
        client
            .run(
                "## = @YX(@XY(@t('.Raw'), '.Volume'), 'NOLOG.Volume')",
                hours,
            )
            .await
            .unwrap(),
    );
    assert_eq!(x, [0.0, 1.0, 2.0, 3.0, 4.0, 4.0]);
}

impl Client {
    /// Every series of an answer, as values.
    async fn all_values(&mut self, expression: &str, hours: i64) -> Vec<Vec<f64>> {
        match self.run(expression, hours).await.unwrap() {
            CalculationResultOneof::TimeseriesResults(t) => t
                .timeseries
                .iter()
                .map(|s| {
                    let points = arrow_ipc::decode(&s.data).unwrap();
                    points.iter().map(|p| p.value).collect()
                })
                .collect(),
            other => panic!("not series: {other:?}"),
        }
    }

    /// The numbers of an answer.
    async fn numbers(&mut self, expression: &str, hours: i64) -> Vec<f64> {
        match self.run(expression, hours).await.unwrap() {
            CalculationResultOneof::NumericResults(n) => n.value,
            other => panic!("not numbers: {other:?}"),
        }
    }

    /// Writes `values` over hours 0..4 (NaN: no point) and commits, in a
    /// millisecond of its own, so that every commit has its own time.
    async fn commit_version(&mut self, values: [f64; 4]) {
        let before = now_ms();
        while now_ms() == before {
            std::hint::spin_loop();
        }
        let points: Vec<Point> = (0..4)
            .filter(|&h| !values[h as usize].is_nan())
            .map(|h| Point::new(h * H, 0, values[h as usize]))
            .collect();
        let (session, key) = (self.session.clone(), self.raw_key);
        self.write_over(&session, key, (0, 4 * H), &points).await;
        self.sessions.commit(self.session.clone()).await.unwrap();
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn same(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!((g.is_nan() && w.is_nan()) || g == w, "{got:?} vs {want:?}");
    }
}

/// fn/get_ts_as_of_time's worked example: four writes of four value
/// times, read back as of each write, as deltas, as versions and as the
/// values each write made, over RunCalculation.
#[tokio::test]
async fn history_answers_the_worked_example_of_the_as_of_page() {
    let mut client = client(|_| {}).await;
    let nan = f64::NAN;
    // Oldest first: Ts_3, Ts_2, Ts_1, then Ts_0 (the current state).
    let versions = [
        [1.0, 3.0, 8.0, nan],
        [1.0, 3.0, 7.0, nan],
        [2.0, 5.0, 3.0, 2.0],
        [1.0, 7.0, 8.0, 10.0],
    ];
    for v in versions {
        client.commit_version(v).await;
    }
    let raw = "@t('.Raw')";
    // Five commits changed hours 0..4: the four and the first write.
    let times = client
        .numbers(&format!("## = @GetTsAuditTimes({raw}, 10)"), 4)
        .await;
    assert_eq!(times.len(), 5, "{times:?}");
    assert!(
        times.windows(2).all(|w| w[0] > w[1]),
        "newest first: {times:?}"
    );
    assert_eq!(
        client
            .numbers(&format!("## = @GetTsAuditTimes({raw}, 2)"), 4)
            .await,
        times[..2]
    );
    let at = |i: usize| format!("@AT(@GetTsAuditTimes({raw}, 10), {i})");
    // As of each write: that version; before the first: nothing.
    for (i, want) in versions.iter().rev().enumerate() {
        let got = client
            .all_values(&format!("## = @GetTsAsOfTime({raw}, {})", at(i)), 4)
            .await;
        same(&got[0], want);
    }
    same(
        &client
            .all_values(&format!("## = @GetTsAsOfTime({raw}, {})", at(4)), 4)
            .await[0],
        &[0.0, 1.0, 2.0, 3.0],
    );
    let before = client
        .all_values(&format!("## = @GetTsAsOfTime({raw}, {} - 10000)", at(4)), 4)
        .await;
    same(&before[0], &[nan; 4]);
    // The page's delta: Ts_0 − Ts_1.
    let delta = client
        .all_values(
            &format!("## = @GetTsAsOfTime({raw}, {}, 'Delta')", at(1)),
            4,
        )
        .await;
    same(&delta[0], &[-1.0, 2.0, 5.0, 8.0]);
    // Against Ts_2, whose hour 3 is missing: Delta reads it as 0, the
    // NaN-is-NaN delta keeps it missing.
    let delta = client
        .all_values(
            &format!("## = @GetTsAsOfTime({raw}, {}, 'Delta')", at(2)),
            4,
        )
        .await;
    same(&delta[0], &[0.0, 4.0, 1.0, 10.0]);
    let delta = client
        .all_values(
            &format!("## = @GetTsAsOfTime({raw}, {}, 'DeltaNaNIsNaN')", at(2)),
            4,
        )
        .await;
    same(&delta[0], &[0.0, 4.0, 1.0, nan]);
    // Versions, newest first, before each change; the state before the
    // first write is none.
    let all = client
        .all_values(&format!("## = @GetTsHistoricalVersions({raw}, 10)"), 4)
        .await;
    assert_eq!(all.len(), 4, "{all:?}");
    same(&all[0], &versions[2]);
    same(&all[3], &[0.0, 1.0, 2.0, 3.0]);
    // Exactly what the commit at a time wrote; an array of times.
    let exact = client
        .all_values(
            &format!("## = @GetTsAsOfTime({raw}, @GetTsAuditTimes({raw}, 2), 'ExactTime')"),
            4,
        )
        .await;
    assert_eq!(exact.len(), 2);
    same(&exact[1], &versions[2]);
    // Hours no write of the period touched have no history: a later hour
    // was written once, so it has no version.
    let later = client
        .all_values(&format!("## = @GetTsHistoricalVersions({raw}, 10)"), 8)
        .await;
    assert_eq!(later.len(), 4);
}

#[tokio::test]
async fn history_refuses_what_it_cannot_answer() {
    let mut client = client(|_| {}).await;
    for (expression, says) in [
        (
            "## = @GetTsAsOfTime(@t('.Raw'), 'not a time')",
            "does not parse",
        ),
        (
            "## = @GetTsAsOfTime(@t('.Raw'), 'UTC29990101')",
            "in the future",
        ),
        (
            "## = @GetTsAsOfTime(@t('.Raw') * 2, 'UTC20200101')",
            "computed series",
        ),
        (
            "## = @GetTsAsOfTime(@t('.Deep'), 'UTC20200101')",
            "is calculated",
        ),
        (
            "## = @GetTsAsOfTime(@t('.Raw'), 'UTC20200101', 'Sideways')",
            "unknown mode",
        ),
        (
            "## = @GetTsHistoricalVersions(@t('.Raw'), -1)",
            "at least 0",
        ),
    ] {
        let refused = client.run(expression, 4).await.unwrap_err();
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{expression}: {refused:?}"
        );
        assert!(
            refused.message().contains(says),
            "{expression}: {}",
            refused.message()
        );
    }
    // Forecasts: a server without forecast sets has none.
    match client
        .run("## = @GetAllForecasts(@t('.Raw'))", 4)
        .await
        .unwrap()
    {
        CalculationResultOneof::TimeseriesResults(t) => assert!(t.timeseries.is_empty()),
        other => panic!("{other:?}"),
    }
    same(
        &client.all_values("## = @GetForecast(@t('.Raw'))", 4).await[0],
        &[f64::NAN; 4],
    );
}

/// With `--history-retention`, old history goes and as-of reads before
/// it are refused; the current state stays.
#[tokio::test]
async fn history_older_than_the_retention_is_pruned_and_the_current_state_kept() {
    let mut client =
        client(|config| config.history_retention = Some(std::time::Duration::from_millis(300)))
            .await;
    let latest = [4.0, 3.0, 2.0, 1.0];
    client.commit_version([9.0; 4]).await;
    client.commit_version(latest).await;
    // Two earlier versions, until pruning takes them.
    let versions = "## = @GetTsHistoricalVersions(@t('.Raw'), 5)";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !client.all_values(versions, 4).await.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "history was never pruned"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let refused = client
        .run("## = @GetTsAsOfTime(@t('.Raw'), 'UTC20200101')", 4)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert!(
        refused.message().contains("history is kept from"),
        "{}",
        refused.message()
    );
    same(&client.all_values("## = @t('.Raw')", 4).await[0], &latest);
}

impl Client {
    /// Writes `values` from hour `from` on in session `session`.
    async fn write_in(&mut self, session: &Guid, from: i64, values: &[f64]) {
        let points: Vec<Point> = values
            .iter()
            .enumerate()
            .map(|(i, &v)| Point::new((from + i as i64) * H, 0, v))
            .collect();
        let end = (from + values.len() as i64) * H;
        let key = self.raw_key;
        self.write_over(session, key, (from * H, end), &points)
            .await;
    }
}

/// Three sessions write overlapping windows and commit in turn; a read
/// after each commit is recorded. Afterwards, the series as of every
/// commit's time is exactly what was read right after that commit.
#[tokio::test]
async fn as_of_every_commit_of_interleaved_sessions_is_what_was_read_then() {
    let mut client = client(|_| {}).await;
    let mut writers = Vec::new();
    for _ in 0..3 {
        writers.push(
            client
                .sessions
                .start_session(())
                .await
                .unwrap()
                .into_inner()
                .session_id
                .unwrap(),
        );
    }
    let hours = 20;
    let mut seen = Vec::new();
    // Values unlike the first write's (value = hour), so every commit
    // changes something.
    let mut value = 1_000.0;
    for round in 0..12i64 {
        // Every writer adds a window to its pending changes; one commits.
        for (w, session) in writers.clone().iter().enumerate() {
            let from = (round * 5 + w as i64 * 7) % (hours - 6);
            let values: Vec<f64> = (0..6).map(|i| value + i as f64).collect();
            value += 10.0;
            client.write_in(session, from, &values).await;
        }
        let committing = writers[(round % 3) as usize].clone();
        let before = now_ms();
        while now_ms() == before {
            std::hint::spin_loop();
        }
        client.sessions.commit(committing).await.unwrap();
        seen.push(client.all_values("## = @t('.Raw')", hours).await.remove(0));
    }
    let raw = "@t('.Raw')";
    let times = client
        .numbers(&format!("## = @GetTsAuditTimes({raw}, 100)"), hours)
        .await;
    // The twelve commits and the first write, newest first.
    assert_eq!(times.len(), seen.len() + 1, "{times:?}");
    for (i, want) in seen.iter().rev().enumerate() {
        let got = client
            .all_values(
                &format!("## = @GetTsAsOfTime({raw}, @AT(@GetTsAuditTimes({raw}, 100), {i}))"),
                hours,
            )
            .await;
        same(&got[0], want);
    }
}
