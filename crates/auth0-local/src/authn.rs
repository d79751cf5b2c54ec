//! State and helpers of the Authentication API extensions emulated beside
//! `routes.rs`: the device authorization grant ([`crate::device`]),
//! DPoP-bound tokens ([`crate::dpop`]), pushed / signed authorization
//! requests ([`crate::jar`]), mutual-TLS client authentication
//! ([`crate::mtls`]) and native passkeys ([`crate::passkey`]).

use serde_json::Value;

use crate::StartError;
use crate::device::DeviceCodes;
use crate::dpop::DpopState;
use crate::jar::PushedRequests;
use crate::mtls::MtlsState;
use crate::passkey::Passkeys;

/// What the extensions keep; one per tenant, in [`crate::tenant::Shared`].
pub(crate) struct AuthnState {
    pub(crate) device: DeviceCodes,
    pub(crate) dpop: DpopState,
    pub(crate) par: PushedRequests,
    pub(crate) mtls: MtlsState,
    pub(crate) passkeys: Passkeys,
}

impl AuthnState {
    pub(crate) fn new(issuer: &str, mtls: MtlsState) -> Result<Self, StartError> {
        Ok(Self {
            device: DeviceCodes::default(),
            dpop: DpopState::new(issuer)?,
            par: PushedRequests::default(),
            mtls,
            passkeys: Passkeys::default(),
        })
    }
}

/// True for an application without a credential (`token_endpoint_auth_method:
/// none`: a native app or SPA), which may leave client authentication out
/// where OAuth allows public clients to.
pub(crate) fn is_public_client(record: &Value) -> bool {
    record["token_endpoint_auth_method"] == "none"
}
