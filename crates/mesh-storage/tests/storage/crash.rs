//! Crash safety: a child process commits numbered change sets and reports
//! each one acknowledged; the parent kills it with SIGKILL at a random
//! moment, several times, and checks after each kill that every
//! acknowledged commit is wholly present and no commit is partly visible.
//!
//! SIGKILL tests atomicity against a process dying mid-write; it cannot
//! simulate losing the operating system's cache in a power cut.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mesh_storage::{as_of, ChangeSet, Point, RedbStore, Store, StoreOptions, Undo};

use crate::common::*;

/// Set in the child's environment: the store's directory.
const CHILD_ENV: &str = "MESH_STORAGE_CRASH_CHILD_DIR";
/// Set in the child's environment when it is to commit with quick repair.
const QUICK_ENV: &str = "MESH_STORAGE_CRASH_CHILD_QUICK";
/// Series that every commit writes, each with its own block of points.
const BLOCK_SERIES: [i64; 3] = [1, 2, 3];
/// Series whose single point every commit rewrites (a replace covering all
/// earlier writes), and series whose metadata every commit renames.
const LATEST_SERIES: i64 = 4;
const RENAMED_SERIES: i64 = 5;
const BLOCK_MS: i64 = 10_000;

/// Points commit `n` writes into a block series: a varying number, so that
/// chunks split and merge as the test goes.
fn block(n: i64, key: i64) -> Vec<Point> {
    let len = 1 + (n * 37 % 300);
    (0..len)
        .map(|j| {
            Point::new(
                n * BLOCK_MS + j * 7,
                key as u32,
                n as f64 + j as f64 / 1024.0,
            )
        })
        .collect()
}

fn change_set(n: i64) -> ChangeSet {
    let mut cs = ChangeSet::new();
    if n == 0 {
        for key in BLOCK_SERIES.into_iter().chain([LATEST_SERIES]) {
            cs.create_series(meta(key));
        }
    }
    for key in BLOCK_SERIES {
        cs.replace_points(
            key,
            replace(n * BLOCK_MS, (n + 1) * BLOCK_MS, block(n, key)),
        );
    }
    cs.replace_points(
        LATEST_SERIES,
        replace(0, i64::MAX, vec![Point::new(n, 0, n as f64)]),
    );
    let mut renamed = meta(RENAMED_SERIES);
    renamed.name = format!("commit {n}");
    cs.update_meta(renamed);
    cs
}

/// How many commits the store holds, after checking that they are exactly
/// commits 0..count, each complete, in every series.
fn committed_count(dir: &Path) -> i64 {
    let store = RedbStore::open(dir).unwrap();
    let Some(latest) = store
        .read(LATEST_SERIES, 0, i64::MAX)
        .unwrap()
        .first()
        .copied()
    else {
        // Not even commit 0: nothing at all may be there.
        for key in BLOCK_SERIES {
            assert!(store.read(key, i64::MIN, i64::MAX).unwrap().is_empty());
        }
        assert_eq!(store.series(RENAMED_SERIES).unwrap(), None);
        return 0;
    };
    let count = latest.utc_ms + 1;
    for key in BLOCK_SERIES {
        let expect: Vec<Point> = (0..count).flat_map(|n| block(n, key)).collect();
        let got = store.read(key, i64::MIN, i64::MAX).unwrap();
        assert!(
            got == expect,
            "series {key}: {} points stored, {} expected for {count} commits",
            got.len(),
            expect.len()
        );
    }
    assert_eq!(
        store.series(RENAMED_SERIES).unwrap().unwrap().name,
        format!("commit {}", count - 1)
    );
    // History too: the series every commit overwrites has one write per
    // commit, and as of each its point of that commit.
    let snapshot = store.snapshot().unwrap();
    let writes = snapshot.writes(LATEST_SERIES, 0, i64::MAX).unwrap();
    assert_eq!(writes.len() as i64, count, "writes kept of {count} commits");
    for (n, write) in writes.iter().enumerate() {
        let n = n as i64;
        let then = as_of(
            &*snapshot,
            LATEST_SERIES,
            0,
            i64::MAX,
            &writes,
            Undo::From(write.seq + 1),
        )
        .unwrap();
        assert_eq!(then, vec![Point::new(n, 0, n as f64)], "as of commit {n}");
    }
    count
}

#[test]
#[ignore = "the child of crash_safety_under_sigkill, run by it"]
fn crash_child() {
    let Ok(dir) = std::env::var(CHILD_ENV) else {
        return;
    };
    let dir = Path::new(&dir);
    let options = StoreOptions {
        quick_repair: std::env::var_os(QUICK_ENV).is_some(),
        ..StoreOptions::default()
    };
    let store = RedbStore::open_with(dir, options).unwrap();
    let mut n = store
        .read(LATEST_SERIES, 0, i64::MAX)
        .unwrap()
        .first()
        .map_or(0, |p| p.utc_ms + 1);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut out = std::io::stdout();
    // Runs until killed; the deadline and a closed pipe only guard against
    // a parent that went away.
    while Instant::now() < deadline {
        store.commit(&change_set(n)).unwrap();
        if writeln!(out, "acked {n}")
            .and_then(|_| out.flush())
            .is_err()
        {
            return;
        }
        n += 1;
    }
}

/// The commit number in a line of the child's output, if it is an
/// acknowledgement. libtest may print on the same line, so the marker is
/// looked for anywhere.
fn acknowledged(line: &str) -> Option<i64> {
    let pos = line.find("acked ")?;
    let digits: String = line[pos + 6..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(digits.parse().unwrap())
}

#[test]
fn crash_safety_under_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let exe = std::env::current_exe().unwrap();
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("crash test seed {seed}");
    let mut rng = Rng::new(seed);
    // Commits known to be stored: acknowledged, or found after a kill.
    let mut known = 0i64;
    for round in 0..6 {
        let mut command = Command::new(&exe);
        // Alternate between the two ways of committing (and of recovering).
        if round % 2 == 1 {
            command.env(QUICK_ENV, "1");
        }
        let mut child = command
            .args([
                "--exact",
                "crash::crash_child",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut acked = known;
        let mut on_line = |line: std::io::Result<String>| -> bool {
            match acknowledged(&line.unwrap()) {
                Some(n) => {
                    assert_eq!(n, acked, "round {round}: acknowledgements out of order");
                    acked = n + 1;
                    true
                }
                None => false,
            }
        };

        // Sometimes kill while the child starts up and recovers the file.
        let kill_after = rng.range(0, 25);
        if kill_after == 0 {
            std::thread::sleep(Duration::from_micros(rng.range(0, 30_000) as u64));
        } else {
            let mut seen = 0;
            for line in lines.by_ref() {
                if on_line(line) {
                    seen += 1;
                    if seen == kill_after {
                        break;
                    }
                }
            }
            assert_eq!(seen, kill_after, "round {round}: the child stopped early");
            // Land the kill anywhere inside the next commit.
            std::thread::sleep(Duration::from_micros(rng.range(0, 3000) as u64));
        }
        child.kill().unwrap();
        // Acknowledgements written before the kill still count.
        for line in lines {
            on_line(line);
        }
        let status = child.wait().unwrap();
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "round {round}: child ended by itself"
            );
        }

        let count = committed_count(dir.path());
        eprintln!("round {round}: {acked} commits acknowledged, {count} stored");
        // Every acknowledged commit is there; at most the one in flight
        // when the kill came may be there too.
        assert!(
            count == acked || count == acked + 1,
            "round {round}: {count} commits stored, {acked} acknowledged"
        );
        known = count;
    }
}
