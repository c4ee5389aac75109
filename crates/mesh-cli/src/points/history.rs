//! `mesh points history`: the commits that changed a series, through the
//! SDK's `list_writes` (mesh-rs's history extension): when, by whom,
//! where, and how many points each write left.

use mesh::chrono::{DateTime, Utc};
use mesh::{CommittedWrite, Connection};
use serde_json::json;

use super::time::{checked, option_ms, show, utc};
use crate::output::Output;

/// 0001-01-01T00:00:00Z: the default start, before any time a series
/// holds.
const FIRST_MS: i64 = -62_135_596_800_000;
/// 10000-01-01T00:00:00Z: the default end, after any.
const END_MS: i64 = 253_402_300_800_000;

/// Lists the writes of `series` meeting `[from, to)` (the whole of time
/// when not given), newest first, at most `max`.
pub async fn history(
    connection: &Connection,
    series: &str,
    (from, to): (Option<&str>, Option<&str>),
    max: u32,
    out: &Output,
) -> anyhow::Result<()> {
    let bound = |option: &str, text: Option<&str>, default: i64| {
        text.map_or(Ok(default), |text| option_ms(option, text))
    };
    let (from, to) = checked(bound("--from", from, FIRST_MS)?, bound("--to", to, END_MS)?)?;
    let session = connection.open_session().await?;
    let outcome = async {
        let key = crate::series::key_of(&session, series).await?;
        let listed = session.list_writes(key, utc(from)?, utc(to)?, max).await?;
        Ok::<_, anyhow::Error>((key, listed))
    }
    .await;
    let closed = session.close().await;
    let (key, listed) = outcome?;
    closed?;
    if out.is_json() {
        let writes: Vec<_> = listed.writes.iter().map(as_json).collect();
        out.record(&[
            ("series", json!(key)),
            ("writes", json!(writes)),
            ("more", json!(listed.more)),
        ]);
        return Ok(());
    }
    let rows: Vec<Vec<String>> = listed
        .writes
        .iter()
        .map(|write| {
            vec![
                write.commit_seq.to_string(),
                time(write.commit_time),
                write.author.clone().unwrap_or_else(|| "-".to_string()),
                time(write.start),
                time(write.end),
                write.points.to_string(),
            ]
        })
        .collect();
    out.table(
        &["commit", "time", "author", "start", "end", "points"],
        &rows,
    );
    if listed.more {
        eprintln!(
            "older writes left out: list more with --max (at most {}), or earlier ones with --to",
            mesh::MAX_LISTED_WRITES
        );
    }
    Ok(())
}

fn as_json(write: &CommittedWrite) -> serde_json::Value {
    json!({
        "commit": write.commit_seq,
        "part": write.part,
        "time": time(write.commit_time),
        "author": write.author,
        "start": time(write.start),
        "end": time(write.end),
        "points": write.points,
    })
}

fn time(at: DateTime<Utc>) -> String {
    show(at.timestamp_millis())
}
