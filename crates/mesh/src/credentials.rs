//! Attaching the access token to every call.

use std::sync::{Arc, RwLock};

use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Interceptor;
use tonic::{Request, Status};

use crate::error::{Error, Result};

/// Shared by all clients of one connection, including the background
/// lifetime extensions, so that a token update reaches all of them at once.
#[derive(Clone, Default)]
pub(crate) struct AccessToken {
    header: Arc<RwLock<Option<MetadataValue<Ascii>>>>,
}

impl AccessToken {
    pub(crate) fn set(&self, token: &str) -> Result<()> {
        let token = token.trim();
        if token.is_empty() {
            return Err(Error::InvalidToken("the access token is empty".to_string()));
        }
        let header = format!("Bearer {token}").parse().map_err(|_| {
            Error::InvalidToken(
                "the access token holds characters not allowed in gRPC metadata".to_string(),
            )
        })?;
        *self
            .header
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(header);
        Ok(())
    }

    /// The token in use, without the `Bearer ` prefix.
    pub(crate) fn current(&self) -> Option<String> {
        let header = self
            .header
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()?;
        let text = header.to_str().ok()?;
        Some(text.strip_prefix("Bearer ").unwrap_or(text).to_string())
    }

    /// No token from now on.
    pub(crate) fn clear(&self) {
        *self
            .header
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

impl Interceptor for AccessToken {
    fn call(&mut self, mut request: Request<()>) -> Result<Request<()>, Status> {
        let header = self
            .header
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        if let Some(header) = header {
            request.metadata_mut().insert("authorization", header);
        }
        Ok(request)
    }
}
