//! A series' history on [`Session`]: its committed writes, with who made
//! each (`mesh_rs.history.v1`, a mesh-rs extension; other Mesh servers
//! answer UNIMPLEMENTED). The states themselves are read with
//! [`Session::as_of`] and its kin, which every Mesh server serves.

use chrono::{DateTime, Utc};
use mesh_proto::history::history_service_client::HistoryServiceClient;
use mesh_proto::history::ListWritesRequest;
use mesh_proto::types::UtcInterval;

use crate::calc::RelativeTo;
use crate::error::{Error, Result};
use crate::guid;
use crate::model::from_timestamp;
use crate::session::Session;

/// The most writes [`Session::list_writes`] answers at once (the
/// server's limit).
pub const MAX_LISTED_WRITES: u32 = 1_000;

/// One committed write of a series: one replace of its points in one
/// commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedWrite {
    /// The commit's number, increasing over the server's commits.
    pub commit_seq: u64,
    /// Which of the commit's replaces of this series (0, 1, …).
    pub part: u32,
    /// When the commit was made, to the millisecond.
    pub commit_time: DateTime<Utc>,
    /// The identity that committed it, when the server knows it.
    pub author: Option<String>,
    /// Start of the interval the write replaced (included).
    pub start: DateTime<Utc>,
    /// End of the interval the write replaced (excluded).
    pub end: DateTime<Utc>,
    /// The points the write left inside the interval asked about.
    pub points: u64,
}

/// What [`Session::list_writes`] answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteHistory {
    /// Newest first.
    pub writes: Vec<CommittedWrite>,
    /// Whether older writes were left out: ask again with an earlier end,
    /// or a larger bound.
    pub more: bool,
}

impl Session {
    /// The committed writes of `series` (a key, or a time series
    /// attribute by id or path) whose interval meets `[start, end)`,
    /// newest first, at most `max` of them (1 to [`MAX_LISTED_WRITES`]).
    /// This session's pending writes are not history yet. The server
    /// refuses a calculated attribute or a virtual series (no history is
    /// kept of them) as an invalid argument.
    pub async fn list_writes(
        &self,
        series: impl Into<RelativeTo>,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        max: u32,
    ) -> Result<WriteHistory> {
        if !(1..=MAX_LISTED_WRITES).contains(&max) {
            return Err(Error::InvalidArgument(format!(
                "list 1 to {MAX_LISTED_WRITES} writes at once, not {max}"
            )));
        }
        let id = self.open_id()?;
        let answer = HistoryServiceClient::new(self.connection().transport())
            .list_writes(ListWritesRequest {
                session_id: Some(guid::to_proto(id)),
                series: Some(series.into().to_proto()),
                interval: Some(UtcInterval::from_millis(
                    start.timestamp_millis(),
                    end.timestamp_millis(),
                )),
                max_writes: max,
            })
            .await
            .map_err(|status| Error::from_session_call(status, id))?
            .into_inner();
        let time = |stamp: Option<&prost_types::Timestamp>, what: &str| {
            stamp.map(from_timestamp).unwrap_or_else(|| {
                Err(Error::Protocol(format!(
                    "the server sent a write without {what}"
                )))
            })
        };
        let writes = answer
            .writes
            .iter()
            .map(|write| {
                let interval = write.interval.as_ref();
                Ok(CommittedWrite {
                    commit_seq: write.commit_seq,
                    part: write.part,
                    commit_time: time(write.commit_time.as_ref(), "a commit time")?,
                    author: Some(write.author.clone()).filter(|a| !a.is_empty()),
                    start: time(interval.and_then(|i| i.start_time.as_ref()), "a start")?,
                    end: time(interval.and_then(|i| i.end_time.as_ref()), "an end")?,
                    points: write.points_written,
                })
            })
            .collect::<Result<_>>()?;
        Ok(WriteHistory {
            writes,
            more: answer.more,
        })
    }
}
