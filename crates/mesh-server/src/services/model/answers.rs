//! Streamed answers: a search's results converted to messages as the client
//! reads them, not all at once before the first is sent.
//!
//! An answer of every object of a large model is hundreds of megabytes
//! (60,000 objects with all their attributes: 221 MB); built whole, it was
//! held until the client had read it, and a client that read one message
//! and stalled held it all. Here a task converts the found objects in
//! batches and hands each message to a channel of [`AHEAD`] places; it
//! waits when the channel is full, and the channel empties only as fast as
//! HTTP/2 flow control lets the messages go out. So a call holds the ids it
//! found, one batch's series descriptions, and a few messages, whatever the
//! size of the answer and however slowly it is read.
//!
//! The answer is of the model as it was when the call came in (the task
//! keeps that snapshot and the session's pending series changes), so a
//! change made in the session while the answer streams does not show up
//! half-way.

use mesh_proto::time_series::TimeseriesResource;
use std::collections::HashMap;
use std::future::Future;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::codegen::BoxStream;
use tonic::{Response, Status};

use super::convert::AnswerCache;
use crate::view::{SessionView, ViewError};

/// Messages converted ahead of the client: enough to keep the connection
/// busy, few enough that a stalled reader holds little.
pub const AHEAD: usize = 16;

/// Objects whose series are described in one go: one store read each
/// batch instead of one per object.
pub const BATCH: usize = 256;

/// Where a streaming task puts its messages.
pub struct Answers<T> {
    sender: mpsc::Sender<Result<T, Status>>,
}

impl<T> Answers<T> {
    /// Sends one message, waiting for room; false once the client has gone
    /// (or the call ended), when the task should stop.
    pub async fn send(&self, message: T) -> bool {
        self.sender.send(Ok(message)).await.is_ok()
    }

    /// Ends the answer with `status` (after what was sent so far).
    pub async fn fail(&self, status: Status) {
        let _ = self.sender.send(Err(status)).await;
    }
}

/// An answer whose messages `produce` makes, on a task of its own, as the
/// client reads them.
pub fn streamed<T, F>(produce: impl FnOnce(Answers<T>) -> F) -> Response<BoxStream<T>>
where
    T: Send + 'static,
    F: Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = mpsc::channel(AHEAD);
    tokio::spawn(produce(Answers { sender }));
    Response::new(Box::pin(ReceiverStream::new(receiver)))
}

/// An answer of `items`, each converted by `convert` only when there is
/// room for it; a conversion that fails ends the answer with its status.
pub fn converted<I, T>(
    items: Vec<I>,
    mut convert: impl FnMut(I) -> Result<T, Status> + Send + 'static,
) -> Response<BoxStream<T>>
where
    I: Send + 'static,
    T: Send + 'static,
{
    streamed(|answers| async move {
        for item in items {
            match convert(item) {
                Ok(message) => {
                    if !answers.send(message).await {
                        return;
                    }
                }
                Err(status) => return answers.fail(status).await,
            }
        }
    })
}

/// An answer of `found`, [`BATCH`] at a time: the series a batch's
/// messages describe (`keys`) are read in one go into the cache, then
/// `convert` makes each message when there is room for it (`None`: nothing
/// to send for that item). The cache keeps what the messages share (the
/// attribute definitions) for the whole answer.
pub fn described<I, T>(
    view: SessionView,
    found: Vec<I>,
    keys: impl Fn(&[I]) -> Vec<i64> + Send + 'static,
    mut convert: impl FnMut(&I, &mut AnswerCache) -> Result<Option<T>, Status> + Send + 'static,
) -> Response<BoxStream<T>>
where
    I: Send + Sync + 'static,
    T: Send + 'static,
{
    streamed(|answers| async move {
        let mut cache = AnswerCache::default();
        for batch in found.chunks(BATCH) {
            match resources(&view, keys(batch)).await {
                Ok(read) => cache.resources = read,
                Err(status) => return answers.fail(status).await,
            }
            for item in batch {
                match convert(item, &mut cache) {
                    Ok(Some(message)) => {
                        if !answers.send(message).await {
                            return;
                        }
                    }
                    Ok(None) => {}
                    Err(status) => return answers.fail(status).await,
                }
            }
        }
    })
}

/// The resources of series `keys` as the session sees them, for the time
/// series attributes connected to them. A series missing (never expected:
/// connections are checked) is left out.
pub async fn resources(
    view: &SessionView,
    keys: Vec<i64>,
) -> Result<HashMap<i64, TimeseriesResource>, Status> {
    let mut found = HashMap::with_capacity(keys.len());
    for key in keys {
        match view.series(key).await {
            Ok(meta) => {
                found.insert(key, crate::services::time_series::convert::resource(&meta));
            }
            Err(ViewError::NotFound(_)) => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(found)
}
