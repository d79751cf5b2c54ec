//! The request and response types every layer of the stack speaks.
//!
//! Bodies are fully buffered [`Bytes`]: Auth0's APIs answer with small JSON
//! documents, and a buffered body can be replayed by the retry layer, capped
//! by size, and covered by the per-attempt timeout together with the headers.

use bytes::Bytes;

/// A request as it travels through the SDK's tower stack.
pub type HttpRequest = http::Request<Bytes>;

/// A response as it travels back up the SDK's tower stack, body already read.
pub type HttpResponse = http::Response<Bytes>;

/// The error type of services in the stack: any error, boxed.
///
/// [`crate::client::Auth0Client`] turns known errors (timeouts, body too
/// large, transport failures) back into typed [`crate::error::Error`]s.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;
