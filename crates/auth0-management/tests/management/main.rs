//! Integration tests of auth0-management against an in-process server that
//! plays Auth0 from the auth0-python WireMock stubs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod support;

mod connections;
mod generated;
mod plumbing;
mod token;
mod users;
