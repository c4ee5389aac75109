//! The one place where the errors of the layers below become gRPC
//! statuses: the session manager's and the session view's.

use tonic::Status;

use mesh_model::ModelError;

use mesh_calc::{ContextError, EvalError};

use crate::calc::CalcError;
use crate::session::SessionError;
use crate::view::ViewError;

impl From<SessionError> for Status {
    fn from(error: SessionError) -> Status {
        match error {
            SessionError::NotFound(_) => Status::not_found(error.to_string()),
            SessionError::TooManySessions(_) => Status::resource_exhausted(error.to_string()),
        }
    }
}

impl From<ViewError> for Status {
    fn from(error: ViewError) -> Status {
        let message = error.to_string();
        match error {
            ViewError::InvalidArgument(_) => Status::invalid_argument(message),
            ViewError::NotFound(_) => Status::not_found(message),
            ViewError::AlreadyExists(_) => Status::already_exists(message),
            ViewError::TooLarge(_) => Status::resource_exhausted(message),
            ViewError::Unimplemented(_) => Status::unimplemented(message),
            ViewError::FailedPrecondition(_) => Status::failed_precondition(message),
            ViewError::Storage(error) => {
                // The client learns that storage failed; the log keeps why.
                tracing::error!(%error, "storage failed");
                Status::internal(message)
            }
        }
    }
}

impl From<CalcError> for Status {
    fn from(error: CalcError) -> Status {
        let message = error.to_string();
        match error {
            CalcError::View(error) => error.into(),
            CalcError::Invalid(_) => Status::invalid_argument(message),
            CalcError::Eval(error) => match error {
                EvalError::Parse(_) | EvalError::At { .. } => Status::invalid_argument(message),
                EvalError::Limit(_) => Status::resource_exhausted(message),
                EvalError::Deadline(_) => Status::deadline_exceeded(message),
                EvalError::Unimplemented { .. } => Status::unimplemented(message),
                EvalError::Context { error, .. } => match error {
                    ContextError::Invalid(_) => Status::invalid_argument(message),
                    ContextError::Limit(_) => Status::resource_exhausted(message),
                    ContextError::Failed(_) => {
                        tracing::error!(%message, "a calculation could not read its data");
                        Status::internal(message)
                    }
                },
            },
        }
    }
}

/// The status of a refused model request.
pub fn model_status(error: ModelError) -> Status {
    let message = error.to_string();
    match error {
        ModelError::NotFound(_) => Status::not_found(message),
        ModelError::AlreadyExists(_) => Status::already_exists(message),
        ModelError::Invalid(_) => Status::invalid_argument(message),
        ModelError::InUse(_) | ModelError::Conflict(_) => Status::failed_precondition(message),
    }
}

/// Model results as gRPC results (`ModelError` and `Status` are both
/// foreign here, so no `From` can join them).
pub trait OrStatus<T> {
    /// The result with a refusal turned into its status.
    fn or_status(self) -> Result<T, Status>;
}

impl<T> OrStatus<T> for Result<T, ModelError> {
    fn or_status(self) -> Result<T, Status> {
        self.map_err(model_status)
    }
}
