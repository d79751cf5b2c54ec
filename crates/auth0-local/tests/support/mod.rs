//! What the tests of the `auth0-local` binary share.

pub(crate) mod binary;
