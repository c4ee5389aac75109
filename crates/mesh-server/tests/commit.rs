//! A commit is one unit, whatever its caller does: a Commit cut short by
//! its deadline either lands whole and clears what it committed, or does
//! not land; it is never applied again by a later Commit of the session.

use std::time::Duration;

use mesh_server::config::ServerConfig;
use mesh_server::server::RunningServer;
use mesh_testkit::raw::Clients;
use mesh_timeseries::Point;

const CALL_TIMEOUT: Duration = Duration::from_secs(60);
/// Points the first session commits: enough that its commit outlasts a
/// 1 ms deadline by far in any build.
const STALE_POINTS: i64 = 600_000;
/// Points per write request, well inside the 4 MiB message limit.
const PER_WRITE: i64 = 150_000;

fn points(from: i64, to: i64, value: f64) -> Vec<Point> {
    (from..to).map(|t| Point::new(t, 0, value)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_commit_cut_short_is_not_applied_again_over_newer_data() {
    let data = tempfile::tempdir().unwrap();
    let server = RunningServer::start(ServerConfig::for_tests(data.path()))
        .await
        .unwrap();
    let address = server.local_addr().to_string();
    let clients = Clients::connect(&address, CALL_TIMEOUT).await.unwrap();
    let interval = (0, STALE_POINTS);

    let first = clients.start_session().await.unwrap();
    let unit = clients.any_unit(&first).await.unwrap();
    let key = clients
        .create_breakpoint_series(&first, &unit, "/commit/", "cut-short")
        .await
        .unwrap();
    clients.commit(&first).await.unwrap();

    // The first session writes stale values over the whole interval...
    for from in (0..STALE_POINTS).step_by(PER_WRITE as usize) {
        let to = (from + PER_WRITE).min(STALE_POINTS);
        clients
            .write(&first, key, (from, to), &points(from, to, 1.0))
            .await
            .unwrap();
    }
    // ...and commits with a deadline it cannot meet. The caller gives up;
    // the commit itself either completes or never starts.
    let mut cut_short = tonic::Request::new(first.clone());
    cut_short.set_timeout(Duration::from_millis(1));
    let answer = clients.sessions.clone().commit(cut_short).await;
    eprintln!("commit with a 1 ms deadline answered {answer:?}");

    // Wait until that commit is visible to others (it was sent, so it lands).
    let observer = clients.start_session().await.unwrap();
    let landed = tokio::time::timeout(CALL_TIMEOUT, async {
        loop {
            let seen = clients.read(&observer, key, (0, 1)).await.unwrap();
            if seen == points(0, 1, 1.0) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(landed.is_ok(), "the cut-short commit never became visible");

    // Another session commits newer values over the same interval.
    let second = clients.start_session().await.unwrap();
    let newer = vec![Point::new(10, 0, 2.0), Point::new(20, 0, 2.0)];
    clients.write(&second, key, interval, &newer).await.unwrap();
    clients.commit(&second).await.unwrap();

    // The first session commits again: it has nothing left to commit.
    clients.commit(&first).await.unwrap();
    let reader = clients.start_session().await.unwrap();
    assert_eq!(
        clients.read(&reader, key, interval).await.unwrap(),
        newer,
        "a second Commit re-applied changes the cut-short one had committed"
    );
    // And the first session itself sees the newer data, not its old writes.
    assert_eq!(clients.read(&first, key, interval).await.unwrap(), newer);
    server.stop().await.unwrap();
}
