//! Commits survive what they promise to survive, checked on the real binary:
//!
//! - `sigkill_during_commits_loses_nothing_acknowledged_and_shows_no_partial_commit`:
//!   the server is killed with SIGKILL at random moments while a client
//!   commits the same change to three series over and over; after each
//!   restart all three series, and a model attribute the same commits set,
//!   must show one and the same commit (atomicity),
//!   at least the last one the server acknowledged (durability) and none
//!   that was never sent; the history of a series must hold every durable
//!   commit, and as of each of the newest its points.
//! - `graceful_restart_keeps_committed_and_drops_uncommitted_changes`:
//!   SIGTERM, then a restart on the same data directory.
//!
//! The kill moments come from a small PRNG seeded from the clock; the seed
//! is printed (run with `--nocapture` to see it) and appears in every
//! failure message. `MESH_CRASH_SEED=N` replays a seed's schedule (the
//! timing of the server itself is of course not replayed).

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mesh_proto::calc::calculation_response::CalculationResultOneof;
use mesh_proto::model::attribute_value::ValueOneof;
use mesh_proto::model::{
    AttributeValue, CreateModelRequest, CreateObjectRequest, GetAttributeRequest,
    UpdateSimpleAttributeRequest,
};
use mesh_proto::model_definition::{
    AddSimpleAttributeDefinitionRequest, AttributeValueType, CreateNamespaceRequest,
    CreateObjectDefinitionRequest, CreateSimpleAttributeTypeRequest,
};
use mesh_proto::time_series::GetTimeseriesResourceRequest;
use mesh_proto::types::{Guid, MeshId};
use mesh_testkit::process::{send_signal, ServerProcess};
use mesh_testkit::raw::Clients;
use mesh_testkit::rng::SplitMix64;
use mesh_timeseries::Point;
use tonic::{Code, Status};

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");

/// A debug build on a loaded machine may need a while to start, more so
/// when it first has to repair its store after a kill.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(15);
/// Every RPC gets this deadline: a hung server fails the test instead of
/// hanging it.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

const ROUNDS: u32 = 12;
/// The writer is always killed long before this many commits; the bound
/// only keeps the loop finite if the killer somehow never fires.
const MAX_COMMITS_PER_ROUND: u64 = 100_000;
/// What the crash test rewrites in every commit.
const WINDOW: (i64, i64) = (0, 100);

// --- the server process and its clients -----------------------------------

/// Starts the binary on `data`, its log in `log`, and waits (bounded) for
/// its `listening on` line.
fn start_server(data: &Path, log: &Path) -> ServerProcess {
    ServerProcess::builder(BINARY)
        .local(data)
        .env("RUST_LOG", "info")
        .log_to(log)
        .startup_timeout(STARTUP_TIMEOUT)
        .start()
}

async fn connect(server: &ServerProcess) -> Clients {
    Clients::connect(server.address(), CALL_TIMEOUT)
        .await
        .expect("connecting to mesh-server")
}

// --- the crash test --------------------------------------------------------

/// The model attribute every commit of the crash test sets to its number.
const COUNTER: &str = "Model/Crash/Counter.Commit";

fn by_path(path: &str) -> Option<MeshId> {
    Some(MeshId {
        id: None,
        path: Some(path.to_string()),
        timeseries_key: None,
    })
}

/// Creates (in `session`) the model the crash test's commits change: an
/// object `Counter` with an int attribute `Commit`, 0 until set.
async fn create_counter(clients: &Clients, session: &Guid) {
    let s = || Some(session.clone());
    let mut definitions = clients.models.clone();
    let mut objects = clients.objects.clone();
    definitions
        .create_namespace(CreateNamespaceRequest {
            session_id: s(),
            name_space_id: None,
            name: "Crash".into(),
            description: String::new(),
        })
        .await
        .unwrap();
    definitions
        .create_object_definition(CreateObjectDefinitionRequest {
            session_id: s(),
            name_space_id: by_path("Repository/Crash"),
            name: "Counter".into(),
            ..Default::default()
        })
        .await
        .unwrap();
    definitions
        .create_simple_attribute_type(CreateSimpleAttributeTypeRequest {
            session_id: s(),
            name_space_id: by_path("Repository/Crash"),
            name: "Commit".into(),
            value_type: AttributeValueType::Int as i32,
            ..Default::default()
        })
        .await
        .unwrap();
    definitions
        .add_simple_attribute_definition(AddSimpleAttributeDefinitionRequest {
            session_id: s(),
            attribute_type_id: by_path("Repository/Crash/Commit"),
            object_definition_id: by_path("Repository/Crash/Counter"),
            cardinality: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    objects
        .create_model(CreateModelRequest {
            session_id: s(),
            name: "Crash".into(),
            model_definition_id: by_path("Repository/Crash"),
        })
        .await
        .unwrap();
    objects
        .create_object(CreateObjectRequest {
            session_id: s(),
            name: "Counter".into(),
            owner_id: by_path("Model/Crash"),
            object_definition_id: by_path("Repository/Crash/Counter"),
        })
        .await
        .unwrap();
}

/// Sets the counter to `n` in `session`.
async fn set_counter(clients: &Clients, session: &Guid, n: u64) -> Result<(), Status> {
    clients
        .objects
        .clone()
        .update_simple_attribute(UpdateSimpleAttributeRequest {
            session_id: Some(session.clone()),
            attribute_id: by_path(COUNTER),
            new_singular_value: Some(AttributeValue {
                value_oneof: Some(ValueOneof::IntValue(n as i64)),
            }),
            new_collection_values: vec![],
        })
        .await
        .map(|_| ())
}

/// The counter as committed.
async fn counter(clients: &Clients, session: &Guid) -> Result<u64, Status> {
    let attribute = clients
        .objects
        .clone()
        .get_attribute(GetAttributeRequest {
            session_id: Some(session.clone()),
            attribute_id: by_path(COUNTER),
            field_mask: None,
        })
        .await?
        .into_inner();
    match attribute.values.first().and_then(|v| v.value_oneof.clone()) {
        Some(ValueOneof::IntValue(n)) => Ok(n as u64),
        other => Err(Status::internal(format!("the counter holds {other:?}"))),
    }
}

/// The points commit `n` writes into series number `series` (0, 1 or 2).
/// Their count, times, flags and values all depend on `n`, so a commit
/// applied only in part, or a mix of two commits, cannot pass for a whole
/// one. Commit 0 stands for "none yet": the series are empty.
fn commit_points(n: u64, series: u32) -> Vec<Point> {
    if n == 0 {
        return Vec::new();
    }
    let count = 3 + (n % 8) as i64;
    (0..count)
        .map(|i| {
            Point::new(
                i * 9 + (n % 5) as i64,
                (series << 16) | i as u32,
                n as f64 + i as f64 / 4.0,
            )
        })
        .collect()
}

/// The commit number a series' points stand for, if they are exactly the
/// points of one commit.
fn commit_number(points: &[Point], series: u32) -> Option<u64> {
    let n = match points.first() {
        None => 0,
        Some(first) if first.value >= 1.0 && first.value.fract() == 0.0 => first.value as u64,
        Some(_) => return None,
    };
    (commit_points(n, series) == points).then_some(n)
}

/// The history of series `key` (series number 0) after a restart: one
/// change per durable commit, and as of the newest three of them exactly
/// those commits' points. History is written in the commit's transaction,
/// so a SIGKILL loses none of an acknowledged commit's either.
async fn check_history(
    clients: &Clients,
    session: &Guid,
    key: i64,
    durable: &[u64],
    context: &str,
) {
    let times = match clients
        .calculate(session, key, "## = @GetTsAuditTimes(@t(), 1000)", WINDOW)
        .await
    {
        Ok(CalculationResultOneof::NumericResults(n)) => n.value,
        other => panic!("{context}: audit times: {other:?}"),
    };
    assert_eq!(
        times.len(),
        durable.len(),
        "{context}: audit times {times:?} for commits {durable:?}"
    );
    for (k, n) in durable.iter().rev().take(3).enumerate() {
        let expression =
            format!("## = @GetTsAsOfTime(@t(), @AT(@GetTsAuditTimes(@t(), 1000), {k}))");
        let points = match clients.calculate(session, key, &expression, WINDOW).await {
            Ok(CalculationResultOneof::TimeseriesResults(t)) => {
                mesh_timeseries::arrow_ipc::decode(&t.timeseries[0].data).unwrap()
            }
            other => panic!("{context}: as of audit time {k}: {other:?}"),
        };
        assert_eq!(points, commit_points(*n, 0), "{context}: as of commit {n}");
    }
}

/// How the killer picks its moment.
#[derive(Debug, Clone, Copy)]
enum KillPlan {
    /// After a random delay from the start of the round: lands anywhere,
    /// before the first commit, between commits or inside one.
    Delay { ms: u64 },
    /// Shortly after the client sends its `commit`-th Commit of the round,
    /// to hit the few milliseconds in which the store writes and syncs.
    AfterCommitSent { commit: u64, micros: u64 },
}

/// What the writer knew when the server went away.
#[derive(Debug)]
struct WriterOutcome {
    /// The last commit the server acknowledged in this round.
    last_acknowledged: Option<u64>,
    /// A commit that was sent but got no answer: it may or may not have
    /// become durable.
    in_flight: Option<u64>,
    /// The highest commit number used; the next round starts above it.
    highest_used: u64,
    /// The call that failed.
    failed_in: &'static str,
    /// The number of commits acknowledged this round.
    acknowledged: u64,
}

/// Commits `first_n`, `first_n + 1`, ... to the three series until a call
/// fails, which must be because the server was killed.
async fn commit_until_killed(
    clients: &Clients,
    keys: &[i64; 3],
    first_n: u64,
    killed: &AtomicBool,
    commits_sent: mpsc::Sender<u64>,
    context: &str,
) -> WriterOutcome {
    let mut outcome = WriterOutcome {
        last_acknowledged: None,
        in_flight: None,
        highest_used: first_n - 1,
        failed_in: "",
        acknowledged: 0,
    };
    let failed = |outcome: WriterOutcome, call: &'static str, status: Status| {
        // A failure is only expected once the killer has struck; anything
        // earlier is a server error in its own right.
        assert!(
            killed.load(Ordering::SeqCst),
            "{context}: {call} failed while the server was running: {status:?}"
        );
        WriterOutcome {
            failed_in: call,
            ..outcome
        }
    };
    for n in first_n..first_n + MAX_COMMITS_PER_ROUND {
        outcome.highest_used = n;
        let session = match clients.start_session().await {
            Ok(session) => session,
            Err(error) => {
                let status = error.expect_refused("StartSession");
                return failed(outcome, "StartSession", status);
            }
        };
        for (series, &key) in keys.iter().enumerate() {
            if let Err(status) = clients
                .write(&session, key, WINDOW, &commit_points(n, series as u32))
                .await
            {
                return failed(outcome, "WriteTimeseries", status);
            }
        }
        if let Err(status) = set_counter(clients, &session, n).await {
            return failed(outcome, "UpdateSimpleAttribute", status);
        }
        outcome.in_flight = Some(n);
        let _ = commits_sent.send(outcome.acknowledged + 1);
        if let Err(status) = clients.commit(&session).await {
            return failed(outcome, "Commit", status);
        }
        // Only now is n promised to survive.
        outcome.in_flight = None;
        outcome.last_acknowledged = Some(n);
        outcome.acknowledged += 1;
        if let Err(status) = clients.end_session(&session).await {
            return failed(outcome, "EndSession", status);
        }
    }
    panic!("{context}: the server was not killed within {MAX_COMMITS_PER_ROUND} commits");
}

/// Starts the thread that kills the server according to `plan`. It sets
/// `killed` first, so that a failing call can tell a kill from a bug.
fn start_killer(
    pid: u32,
    plan: KillPlan,
    killed: Arc<AtomicBool>,
    commits_sent: mpsc::Receiver<u64>,
) -> std::thread::JoinHandle<()> {
    // A plain thread rather than a task: its sleep has microsecond
    // resolution, where the runtime's timer has milliseconds.
    std::thread::spawn(move || {
        match plan {
            KillPlan::Delay { ms } => std::thread::sleep(Duration::from_millis(ms)),
            KillPlan::AfterCommitSent { commit, micros } => {
                // Bounded: should the writer stop early (its sender is then
                // dropped) or stall, the kill happens anyway.
                let deadline = Instant::now() + Duration::from_secs(10);
                loop {
                    let left = deadline.saturating_duration_since(Instant::now());
                    match commits_sent.recv_timeout(left) {
                        Ok(sent) if sent >= commit => break,
                        Ok(_) => continue,
                        Err(_) => break,
                    }
                }
                std::thread::sleep(Duration::from_micros(micros));
            }
        }
        killed.store(true, Ordering::SeqCst);
        send_signal(pid, "-KILL");
    })
}

fn clock_seed() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    (nanos as u64) ^ ((nanos >> 64) as u64) ^ u64::from(std::process::id())
}

#[tokio::test(flavor = "multi_thread")]
async fn sigkill_during_commits_loses_nothing_acknowledged_and_shows_no_partial_commit() {
    let seed = match std::env::var("MESH_CRASH_SEED") {
        Ok(text) => text.parse().expect("MESH_CRASH_SEED is a number"),
        Err(_) => clock_seed(),
    };
    println!("crash test seed {seed} (replay the schedule with MESH_CRASH_SEED={seed})");
    let mut prng = SplitMix64::new(seed);
    let test_started = Instant::now();

    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = |start: u32| dir.path().join(format!("server-{start}.log"));

    // The three series, created and committed before any kill.
    let mut server = start_server(&data, &log(0));
    let clients = connect(&server).await;
    let session = clients.start_session().await.unwrap();
    let unit = clients
        .any_unit(&session)
        .await
        .expect("ListUnitsOfMeasurement");
    let mut keys = [0; 3];
    for (i, key) in keys.iter_mut().enumerate() {
        *key = clients
            .create_breakpoint_series(&session, &unit, "/crash-test/", &format!("crash-{i}"))
            .await
            .expect("CreatePhysicalTimeseries");
    }
    create_counter(&clients, &session).await;
    clients.commit(&session).await.unwrap();
    clients.end_session(&session).await.unwrap();

    // The newest commit known to be on disk: acknowledged, or seen after a
    // restart. 0 means none yet (empty series).
    let mut durable = 0;
    let mut next_n = 1;
    // Every commit known to be on disk, in order: what the history of the
    // series must hold.
    let mut durable_commits: Vec<u64> = Vec::new();
    for round in 1..=ROUNDS {
        let context = format!("seed {seed}, round {round}");
        let plan = if round % 2 == 1 {
            KillPlan::Delay {
                ms: prng.between(5, 300),
            }
        } else {
            KillPlan::AfterCommitSent {
                commit: prng.between(1, 8),
                micros: prng.between(0, 4000),
            }
        };

        let killed = Arc::new(AtomicBool::new(false));
        let (sent_tx, sent_rx) = mpsc::channel();
        let clients = connect(&server).await;
        let round_started = Instant::now();
        let killer = start_killer(server.pid(), plan, killed.clone(), sent_rx);
        let outcome =
            commit_until_killed(&clients, &keys, next_n, &killed, sent_tx, &context).await;
        killer.join().expect("the killer thread");
        let killed_after = round_started.elapsed();
        let status = server.wait_for_exit(SHUTDOWN_TIMEOUT).await;
        assert_eq!(
            std::os::unix::process::ExitStatusExt::signal(&status),
            Some(9),
            "{context}: the server ended by {status}, not by SIGKILL; its log:\n{}",
            server.log()
        );
        drop(clients);

        // Restart on the same data and look at what survived.
        server = start_server(&data, &log(round));
        let clients = connect(&server).await;
        let session = clients
            .start_session()
            .await
            .unwrap_or_else(|status| panic!("{context}: StartSession after restart: {status:?}"));
        let mut seen = Vec::new();
        for (series, &key) in keys.iter().enumerate() {
            let points = clients
                .read(&session, key, WINDOW)
                .await
                .unwrap_or_else(|status| {
                    panic!(
                        "{context}: reading series {key} after restart: {status:?}; log:\n{}",
                        server.log()
                    )
                });
            let n = commit_number(&points, series as u32).unwrap_or_else(|| {
                panic!("{context}: series {key} holds points of no single commit: {points:?}")
            });
            seen.push(n);
        }
        let model_n = counter(&clients, &session).await.unwrap_or_else(|status| {
            panic!("{context}: reading the counter after restart: {status:?}")
        });
        seen.push(model_n);
        durable_commits.extend(next_n..=outcome.last_acknowledged.unwrap_or(0));
        if outcome.in_flight.is_some() && outcome.in_flight == seen.first().copied() {
            durable_commits.extend(outcome.in_flight);
        }
        check_history(&clients, &session, keys[0], &durable_commits, &context).await;
        clients.end_session(&session).await.unwrap();

        let floor = outcome.last_acknowledged.unwrap_or(durable).max(durable);
        println!(
            "round {round}: {plan:?}, killed after {killed_after:?} in {}; commits {}..={} begun, {} acknowledged (last {:?}), in flight {:?}; after restart {seen:?}",
            outcome.failed_in,
            next_n,
            outcome.highest_used,
            outcome.acknowledged,
            outcome.last_acknowledged,
            outcome.in_flight,
        );
        // Atomicity: one commit or another, never parts of two.
        assert!(
            seen.iter().all(|&n| n == seen[0]),
            "{context}: the series and the model counter (last) show different commits {seen:?}: a commit was applied in part"
        );
        let m = seen[0];
        // Durability: nothing acknowledged is lost; and nothing appears that
        // was not sent. With one commit in flight at a time, the only
        // candidates are the newest durable one and the one in flight.
        assert!(
            m >= floor,
            "{context}: commit {floor} was acknowledged (or seen before), yet after the restart the series show commit {m}"
        );
        assert!(
            m == floor || Some(m) == outcome.in_flight,
            "{context}: the series show commit {m}, which is neither the last durable ({floor}) nor the one in flight ({:?})",
            outcome.in_flight
        );
        durable = m;
        next_n = outcome.highest_used + 1;
    }

    let status = {
        server.signal("-TERM");
        server.wait_for_exit(SHUTDOWN_TIMEOUT).await
    };
    assert!(status.success(), "final graceful stop: {status}");
    let elapsed = test_started.elapsed();
    println!("{ROUNDS} rounds, commits up to {durable} survived, in {elapsed:?}");
}

// --- graceful restart --------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn graceful_restart_keeps_committed_and_drops_uncommitted_changes() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let mut server = start_server(&data, &dir.path().join("server-1.log"));
    let clients = connect(&server).await;

    let committed: Vec<Point> = (0..50)
        .map(|i| Point::new(i * 1000, i as u32, i as f64 * 1.5))
        .collect();
    let writer = clients.start_session().await.unwrap();
    let unit = clients
        .any_unit(&writer)
        .await
        .expect("ListUnitsOfMeasurement");
    let key = clients
        .create_breakpoint_series(&writer, &unit, "/crash-test/", "kept")
        .await
        .expect("CreatePhysicalTimeseries");
    clients
        .write(&writer, key, (0, 100_000), &committed)
        .await
        .unwrap();
    clients.commit(&writer).await.unwrap();
    // The same session changes more after its commit and stays open.
    clients
        .write(
            &writer,
            key,
            (100_000, 200_000),
            &[Point::new(150_000, 0, 7.0)],
        )
        .await
        .unwrap();

    // A second session overwrites the committed points, creates a series of
    // its own, and never commits.
    let other = clients.start_session().await.unwrap();
    clients
        .write(&other, key, (0, 100_000), &[Point::new(5, 1, -1.0)])
        .await
        .unwrap();
    let uncommitted_key = clients
        .create_breakpoint_series(&other, &unit, "/crash-test/", "never committed")
        .await
        .expect("CreatePhysicalTimeseries");
    assert_eq!(
        clients.read(&other, key, (0, 200_000)).await.unwrap(),
        vec![Point::new(5, 1, -1.0)],
        "a session sees its own changes"
    );

    server.signal("-TERM");
    let status = server.wait_for_exit(SHUTDOWN_TIMEOUT).await;
    assert!(
        status.success(),
        "SIGTERM stops the server cleanly, got {status}; log:\n{}",
        server.log()
    );
    drop(clients);

    let mut server = start_server(&data, &dir.path().join("server-2.log"));
    let clients = connect(&server).await;

    // Sessions do not outlive the process.
    for old in [&writer, &other] {
        let status = clients.commit(old).await.unwrap_err();
        assert_eq!(status.code(), Code::NotFound, "{status:?}");
    }

    let session = clients.start_session().await.unwrap();
    assert_eq!(
        clients.read(&session, key, (0, 200_000)).await.unwrap(),
        committed,
        "exactly the committed points survive"
    );
    let status = clients
        .series
        .clone()
        .get_timeseries_resource(GetTimeseriesResourceRequest {
            session_id: Some(session.clone()),
            timeseries_resource_key: uncommitted_key,
        })
        .await
        .unwrap_err();
    assert_eq!(
        status.code(),
        Code::NotFound,
        "the uncommitted series is gone: {status:?}"
    );
    let kept = clients
        .series
        .clone()
        .get_timeseries_resource(GetTimeseriesResourceRequest {
            session_id: Some(session.clone()),
            timeseries_resource_key: key,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(kept.name, "kept");

    // A series created now must not take the key of one that exists.
    let fresh = clients
        .create_breakpoint_series(&session, &unit, "/crash-test/", "after restart")
        .await
        .expect("CreatePhysicalTimeseries");
    assert_ne!(fresh, key, "a new series reused a committed key");
    clients.commit(&session).await.unwrap();
    assert_eq!(
        clients.read(&session, key, (0, 200_000)).await.unwrap(),
        committed,
        "creating another series leaves this one alone"
    );
    clients.end_session(&session).await.unwrap();

    server.signal("-TERM");
    assert!(server.wait_for_exit(SHUTDOWN_TIMEOUT).await.success());
}
