//! [`Patch<T>`]: a field of a `PATCH` body that is absent, `null` or a
//! value.
//!
//! A `PATCH` changes only the fields it sends; for a nullable field,
//! sending `null` clears it (`"logo_uri": null` removes a client's logo).
//! `Option<T>` cannot tell "leave it" from "clear it", so the nullable
//! fields of the generated `PATCH` bodies are `Patch<T>`: [`Patch::Absent`]
//! (the default) is not sent, [`Patch::Null`] is sent as `null`,
//! [`Patch::Value`] as the value. The bodies' setters set a value and
//! their `clear_…` methods `null`.
//!
//! ```
//! use auth0_management::Patch;
//! use auth0_management::models::UpdateClientRequestContent;
//!
//! let body = UpdateClientRequestContent::new().name("Shop").clear_logo_uri();
//! assert_eq!(body.logo_uri, Patch::Null);
//! assert_eq!(
//!     serde_json::to_value(&body)?,
//!     serde_json::json!({ "name": "Shop", "logo_uri": null })
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One field of a `PATCH` body: not sent, sent as `null` (clear it), or
/// sent with a value. See the [module docs](self).
///
/// In a struct, pair it with `#[serde(default, skip_serializing_if =
/// "Patch::is_absent")]`: absent fields are then neither read nor written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Patch<T> {
    /// Not sent: the field keeps its value.
    #[default]
    Absent,
    /// Sent as `null`: the field is cleared.
    Null,
    /// Sent with this value.
    Value(T),
}

impl<T> Patch<T> {
    /// True for [`Patch::Absent`] (for `skip_serializing_if`).
    pub fn is_absent(&self) -> bool {
        matches!(self, Patch::Absent)
    }

    /// True for [`Patch::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Patch::Null)
    }

    /// The value, if one is set.
    pub fn value(&self) -> Option<&T> {
        match self {
            Patch::Value(v) => Some(v),
            _ => None,
        }
    }

    /// A `Patch` of a reference to the value.
    pub fn as_ref(&self) -> Patch<&T> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(v),
        }
    }

    /// Maps the value, keeping absent and `null`.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Patch::Absent => Patch::Absent,
            Patch::Null => Patch::Null,
            Patch::Value(v) => Patch::Value(f(v)),
        }
    }

    /// `None` → absent, `Some(v)` → the value.
    pub fn from_option(value: Option<T>) -> Self {
        value.map_or(Patch::Absent, Patch::Value)
    }
}

impl<T> From<T> for Patch<T> {
    fn from(value: T) -> Self {
        Patch::Value(value)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            // Only reached without `skip_serializing_if`: `null` is the
            // closest a serializer can write for "absent".
            Patch::Absent | Patch::Null => serializer.serialize_none(),
            Patch::Value(v) => v.serialize(serializer),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    /// `null` → [`Patch::Null`], anything else → [`Patch::Value`]; a
    /// missing field becomes [`Patch::Absent`] through `#[serde(default)]`.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(deserializer)? {
            None => Patch::Null,
            Some(v) => Patch::Value(v),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::Patch;

    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Body {
        #[serde(default, skip_serializing_if = "Patch::is_absent")]
        logo_uri: Patch<String>,
    }

    #[test]
    fn three_states_round_trip() {
        for (patch, json) in [
            (Patch::Absent, serde_json::json!({})),
            (Patch::Null, serde_json::json!({ "logo_uri": null })),
            (
                Patch::Value("https://x/logo.png".to_owned()),
                serde_json::json!({ "logo_uri": "https://x/logo.png" }),
            ),
        ] {
            let body = Body { logo_uri: patch };
            assert_eq!(serde_json::to_value(&body).unwrap(), json);
            assert_eq!(serde_json::from_value::<Body>(json).unwrap(), body);
        }
    }

    #[test]
    fn helpers() {
        let p: Patch<u8> = 3.into();
        assert_eq!(p.as_ref().map(|v| v + 1), Patch::Value(4));
        assert_eq!(Patch::<u8>::from_option(None), Patch::Absent);
        assert!(Patch::<u8>::Null.is_null() && Patch::<u8>::Absent.is_absent());
        assert_eq!(p.value(), Some(&3));
    }
}
