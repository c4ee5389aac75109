//! Online backup (`mesh_rs.admin.v1.AdminService/Backup`) during a storm
//! of commits, restored by starting a server on the backup: it holds every
//! commit acknowledged before the backup began, and no commit in part.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mesh_proto::admin::admin_service_client::AdminServiceClient;
use mesh_proto::admin::BackupRequest;
use mesh_server::config::ServerConfig;
use mesh_server::server::RunningServer;
use mesh_testkit::process::ServerProcess;
use mesh_testkit::raw::Clients;
use mesh_timeseries::Point;

const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Writers committing at once, each to its own two series.
const WRITERS: usize = 4;
/// Points each commit writes to each of its two series.
const POINTS: i64 = 2_000;
/// Rounds each writer has committed before the backup is asked for.
const ROUNDS_BEFORE: i64 = 5;

/// Round `round`'s points: every value is the round, so a series read back
/// tells which commit it holds, and whether it holds one whole.
fn round_points(round: i64) -> Vec<Point> {
    (0..POINTS)
        .map(|t| Point::new(t * 1_000, 0, round as f64))
        .collect()
}

/// The one round all of `points` hold; fails if they mix rounds or miss
/// points (a commit in part).
fn round_of(points: &[Point]) -> i64 {
    assert_eq!(
        points.len() as i64,
        POINTS,
        "a series holds part of a commit"
    );
    let round = points[0].value;
    assert!(
        points.iter().all(|p| p.value == round),
        "a series mixes rounds: a commit in part"
    );
    round as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_during_a_commit_storm_restores_every_acknowledged_commit_and_no_partial_one() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::for_tests(dir.path().join("data"));
    config.backup_dir = Some(dir.path().join("backups"));
    let server = RunningServer::start(config).await.unwrap();
    let address = server.local_addr().to_string();
    let clients = Clients::connect(&address, CALL_TIMEOUT).await.unwrap();

    let setup = clients.start_session().await.unwrap();
    let unit = clients.any_unit(&setup).await.unwrap();
    let mut keys = Vec::new();
    for writer in 0..WRITERS {
        let mut pair = [0; 2];
        for (side, key) in pair.iter_mut().enumerate() {
            *key = clients
                .create_breakpoint_series(&setup, &unit, "/storm/", &format!("w{writer}s{side}"))
                .await
                .unwrap();
        }
        keys.push(pair);
    }
    clients.commit(&setup).await.unwrap();

    // Each writer commits round after round to both its series in one
    // session commit, and records the last round acknowledged.
    let acknowledged = Arc::new(tokio::sync::watch::Sender::new(vec![0i64; WRITERS]));
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for (writer, pair) in keys.iter().copied().enumerate() {
        let (clients, acknowledged, stop) = (clients.clone(), acknowledged.clone(), stop.clone());
        writers.push(tokio::spawn(async move {
            let mut round = 0;
            while !stop.load(Ordering::SeqCst) {
                round += 1;
                let session = clients.start_session().await.unwrap();
                for key in pair {
                    clients
                        .write(&session, key, (0, POINTS * 1_000), &round_points(round))
                        .await
                        .unwrap();
                }
                clients.commit(&session).await.unwrap();
                acknowledged.send_modify(|rounds| rounds[writer] = round);
                clients.end_session(&session).await.unwrap();
            }
            round
        }));
    }
    // Let every writer get some rounds in, then take the backup mid-storm.
    tokio::time::timeout(
        CALL_TIMEOUT,
        acknowledged
            .subscribe()
            .wait_for(|rounds| rounds.iter().all(|&round| round >= ROUNDS_BEFORE)),
    )
    .await
    .expect("the writers made no progress")
    .unwrap();
    let before: Vec<i64> = acknowledged.borrow().clone();
    let started = Instant::now();
    let made = AdminServiceClient::connect(format!("http://{address}"))
        .await
        .unwrap()
        .backup(BackupRequest {
            name: "storm".to_string(),
        })
        .await
        .unwrap()
        .into_inner();
    let took = started.elapsed();
    let after: Vec<i64> = acknowledged.borrow().clone();
    stop.store(true, Ordering::SeqCst);
    let mut last = Vec::new();
    for writer in writers {
        last.push(writer.await.unwrap());
    }
    eprintln!(
        "backup of {} bytes, {} series, in {took:?}; rounds acknowledged before {before:?}, \
         when it answered {after:?}, at the end {last:?}",
        made.bytes, made.series
    );
    assert_eq!(made.series as usize, WRITERS * 2);
    server.stop().await.unwrap();

    // Restore: a server on the backup.
    let restored = RunningServer::start(ServerConfig::for_tests(&made.directory))
        .await
        .unwrap();
    let clients = Clients::connect(&restored.local_addr().to_string(), CALL_TIMEOUT)
        .await
        .unwrap();
    let session = clients.start_session().await.unwrap();
    for (writer, pair) in keys.iter().enumerate() {
        let rounds: Vec<i64> = {
            let mut rounds = Vec::new();
            for key in pair {
                let points = clients
                    .read(&session, *key, (0, POINTS * 1_000))
                    .await
                    .unwrap();
                rounds.push(round_of(&points));
            }
            rounds
        };
        assert_eq!(
            rounds[0], rounds[1],
            "writer {writer}: one commit landed in part"
        );
        assert!(
            rounds[0] >= before[writer],
            "writer {writer}: round {} acknowledged before the backup, the backup holds {}",
            before[writer],
            rounds[0]
        );
        assert!(
            rounds[0] <= last[writer],
            "writer {writer}: a round never committed"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_are_refused_without_a_backup_directory_and_outside_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = RunningServer::start(ServerConfig::for_tests(dir.path().join("data")))
        .await
        .unwrap();
    let mut admin = AdminServiceClient::connect(server.url()).await.unwrap();
    let refused = admin.backup(BackupRequest::default()).await.unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("--backup-dir"),
        "{}",
        refused.message()
    );
    drop(server);

    let mut config = ServerConfig::for_tests(dir.path().join("data2"));
    config.backup_dir = Some(dir.path().join("backups"));
    let server = RunningServer::start(config).await.unwrap();
    let mut admin = AdminServiceClient::connect(server.url()).await.unwrap();
    for name in ["../escape", "/absolute", ".hidden"] {
        let refused = admin
            .backup(BackupRequest {
                name: name.to_string(),
            })
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::InvalidArgument, "{name}");
    }
    let first = admin
        .backup(BackupRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert!(first.directory.contains("backup-"), "{}", first.directory);
    let again = admin
        .backup(BackupRequest {
            name: std::path::Path::new(&first.directory)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::AlreadyExists);
}

const BINARY: &str = env!("CARGO_BIN_EXE_mesh-server");

/// The binary with `--backup-dir DIR/backups`, its log in `DIR/server.log`;
/// `env` are further settings.
fn backup_server(dir: &tempfile::TempDir, env: &[(&str, &str)]) -> ServerProcess {
    let mut builder = ServerProcess::builder(BINARY)
        .local(dir.path().join("data"))
        .arg("--backup-dir")
        .arg(dir.path().join("backups"))
        .env("RUST_LOG", "info")
        .log_to(dir.path().join("server.log"));
    for (key, value) in env {
        builder = builder.env(key, value);
    }
    builder.start()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_asked_for_at_once_are_made_one_at_a_time() {
    /// Rounds of simultaneous requests, until one shows two overlapping.
    const ROUNDS: usize = 10;
    const AT_ONCE: usize = 4;
    let dir = tempfile::tempdir().unwrap();
    let mut config = ServerConfig::for_tests(dir.path().join("data"));
    config.backup_dir = Some(dir.path().join("backups"));
    let server = RunningServer::start(config).await.unwrap();
    // Some data, so that a backup takes a while to copy.
    let clients = Clients::connect(&server.local_addr().to_string(), CALL_TIMEOUT)
        .await
        .unwrap();
    let session = clients.start_session().await.unwrap();
    let unit = clients.any_unit(&session).await.unwrap();
    for series in 0..4 {
        let key = clients
            .create_breakpoint_series(&session, &unit, "/bulk/", &format!("s{series}"))
            .await
            .unwrap();
        let points: Vec<Point> = (0..50_000)
            .map(|t| Point::new(t * 1_000, 0, (t * series) as f64))
            .collect();
        clients
            .write(&session, key, (0, 50_000 * 1_000), &points)
            .await
            .unwrap();
    }
    clients.commit(&session).await.unwrap();

    let admin = AdminServiceClient::connect(server.url()).await.unwrap();
    let mut refused_as_busy = 0;
    let mut made = 0;
    for round in 0..ROUNDS {
        let calls = (0..AT_ONCE).map(|call| {
            let mut admin = admin.clone();
            tokio::spawn(async move {
                admin
                    .backup(BackupRequest {
                        name: format!("r{round}c{call}"),
                    })
                    .await
            })
        });
        let answers: Vec<_> = futures_join(calls.collect()).await;
        for answer in answers {
            match answer {
                Ok(_) => made += 1,
                Err(status) => {
                    assert_eq!(status.code(), tonic::Code::Aborted, "{status:?}");
                    assert!(
                        status.message().contains("a backup is in progress"),
                        "{}",
                        status.message()
                    );
                    refused_as_busy += 1;
                }
            }
        }
        if refused_as_busy > 0 {
            break;
        }
    }
    assert!(made > 0, "no backup was made");
    assert!(
        refused_as_busy > 0,
        "{ROUNDS} rounds of {AT_ONCE} simultaneous backups were all made: never one at a time"
    );
    // Only whole backups are left, one per success.
    let names: Vec<String> = std::fs::read_dir(dir.path().join("backups"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), made, "{names:?}");
    assert!(names.iter().all(|name| !name.ends_with(".partial")));
}

/// Awaits every task, in order.
async fn futures_join<T>(tasks: Vec<tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.unwrap());
    }
    answers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_the_disk_has_no_room_for_is_refused_before_it_starts() {
    let dir = tempfile::tempdir().unwrap();
    // A margin larger than any disk: 1 EiB.
    let server = backup_server(&dir, &[("MESH_BACKUP_MIN_FREE_MB", "1099511627776")]);
    let mut admin = AdminServiceClient::connect(format!("http://{}", server.address()))
        .await
        .unwrap();
    let refused = admin
        .backup(BackupRequest {
            name: "huge".to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::ResourceExhausted,
        "{refused:?}"
    );
    for needle in ["needs", "MiB are free", "--backup-min-free-mb"] {
        assert!(
            refused.message().contains(needle),
            "{needle:?} not in {}",
            refused.message()
        );
    }
    let backups = dir.path().join("backups");
    assert!(!backups.join("huge").exists());
    assert!(!backups.join("huge.partial").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_held_by_an_unfinished_backup_answers_already_exists_without_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let server = backup_server(&dir, &[]);
    // What a backup in progress, or one interrupted by a crash, leaves.
    let partial = dir.path().join("backups").join("nightly.partial");
    std::fs::create_dir_all(&partial).unwrap();
    let mut admin = AdminServiceClient::connect(format!("http://{}", server.address()))
        .await
        .unwrap();
    let refused = admin
        .backup(BackupRequest {
            name: "nightly".to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::AlreadyExists, "{refused:?}");
    assert!(
        refused.message().contains("nightly.partial"),
        "{}",
        refused.message()
    );
    assert!(partial.exists(), "the unfinished backup was removed");
    // Another name is backed up as usual, and nothing was logged as an error.
    admin
        .backup(BackupRequest {
            name: "other".to_string(),
        })
        .await
        .unwrap();
    let log = std::fs::read_to_string(dir.path().join("server.log")).unwrap();
    assert!(!log.contains("ERROR"), "{log}");
}
