//! Requests by method and status code, and their latency by method.

use std::collections::HashSet;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use prost::Message;

/// The label of calls to paths the server has no method for: clients may
/// send any path, and each must not become a series of its own.
const UNKNOWN_METHOD: &str = "unknown";

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CallLabels {
    method: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MethodLabels {
    method: String,
}

type HistogramFamily = Family<MethodLabels, Histogram, fn() -> Histogram>;

/// 100 µs to about 26 s.
fn latency_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.0001, 2.0, 19))
}

/// The counts of calls, shared by every connection of a server.
pub struct CallMetrics {
    /// `package.Service/Method` of every method served (or answered
    /// UNIMPLEMENTED): the only method labels there can be.
    methods: HashSet<String>,
    requests: Family<CallLabels, Counter>,
    latency: HistogramFamily,
}

impl std::fmt::Debug for CallMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallMetrics")
            .field("methods", &self.methods.len())
            .finish_non_exhaustive()
    }
}

impl Default for CallMetrics {
    fn default() -> Self {
        CallMetrics::new()
    }
}

impl CallMetrics {
    /// Counts for the methods of every service the server registers.
    pub fn new() -> Self {
        let mut methods = HashSet::new();
        for set in [
            mesh_proto::FILE_DESCRIPTOR_SET,
            tonic_health::pb::FILE_DESCRIPTOR_SET,
        ] {
            add_methods(set, &mut methods);
        }
        for reflection in ["grpc.reflection.v1", "grpc.reflection.v1alpha"] {
            methods.insert(format!(
                "{reflection}.ServerReflection/ServerReflectionInfo"
            ));
        }
        CallMetrics {
            methods,
            requests: Family::default(),
            latency: HistogramFamily::new_with_constructor(latency_histogram),
        }
    }

    /// The method label of a request's path (`/package.Service/Method`).
    pub fn method(&self, path: &str) -> String {
        let name = path.strip_prefix('/').unwrap_or(path);
        if self.methods.contains(name) {
            name.to_string()
        } else {
            UNKNOWN_METHOD.to_string()
        }
    }

    /// One call of `method` (from [`CallMetrics::method`]) ended with
    /// `code` after `took`.
    pub fn record(&self, method: String, code: tonic::Code, took: Duration) {
        self.latency
            .get_or_create(&MethodLabels {
                method: method.clone(),
            })
            .observe(took.as_secs_f64());
        self.requests
            .get_or_create(&CallLabels {
                method,
                code: code_name(code).to_string(),
            })
            .inc();
    }

    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "requests",
            "Calls by method and gRPC status code (CANCELLED also when the client went away first)",
            self.requests.clone(),
        );
        registry.register(
            "request_duration_seconds",
            "Time from a call's request to the end of its answer, by method",
            self.latency.clone(),
        );
    }
}

/// Adds `package.Service/Method` of every method in an encoded descriptor set.
fn add_methods(encoded: &[u8], methods: &mut HashSet<String>) {
    // Built into the binary: it always decodes, and a failure would only
    // leave methods labelled `unknown`.
    let Ok(set) = prost_types::FileDescriptorSet::decode(encoded) else {
        return;
    };
    for file in &set.file {
        for service in &file.service {
            let service_name = match file.package() {
                "" => service.name().to_string(),
                package => format!("{package}.{}", service.name()),
            };
            for method in &service.method {
                methods.insert(format!("{service_name}/{}", method.name()));
            }
        }
    }
}

/// The gRPC name of a status code, as in the protocol's documentation.
fn code_name(code: tonic::Code) -> &'static str {
    use tonic::Code;
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_of_every_registered_service_are_known_and_nothing_else() {
        let metrics = CallMetrics::new();
        for known in [
            "/volue.mesh.grpc.session.v1alpha.SessionService/StartSession",
            "/grpc.health.v1.Health/Check",
            "/mesh_rs.admin.v1.AdminService/Backup",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        ] {
            assert_eq!(metrics.method(known), known[1..], "{known}");
        }
        assert_eq!(metrics.method("/no.Such/Thing"), UNKNOWN_METHOD);
    }
}
