//! What the integration tests share (each uses a part).

#![allow(dead_code)]

pub(crate) mod binary;
pub(crate) mod tls;
pub(crate) mod wire;
