//! A public key aws-lc parses once, on first use, and keeps (the opt-in feature
//! `aws-lc-rs`): what `rsa` and `ecdsa` verify against instead of ring, whose
//! API sets the key up again for every signature.

use std::sync::OnceLock;

use aws_lc_rs::signature::{ParsedPublicKey, VerificationAlgorithm};

use crate::key::KeyError;

/// One algorithm's parsed key; `None` inside once aws-lc refused the key.
#[derive(Default)]
pub(crate) struct Prepared(OnceLock<Option<ParsedPublicKey>>);

impl Prepared {
    /// aws-lc's verdict on `signature` over `message`, with `key` (the bytes
    /// `alg` parses) parsed on the first call; `None` if aws-lc refused the
    /// key, so the caller lets ring decide and the backend cannot change a
    /// verdict.
    pub(crate) fn verify(
        &self,
        alg: &'static dyn VerificationAlgorithm,
        key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Option<Result<(), KeyError>> {
        let parsed = self
            .0
            .get_or_init(|| ParsedPublicKey::new(alg, key).ok())
            .as_ref()?;
        Some(
            parsed
                .verify_sig(message, signature)
                .map_err(|_| KeyError::InvalidSignature),
        )
    }
}
