//! Finds the schemas that are the same type: structurally identical once
//! `description`/`title` are ignored, where two `$ref`s are equal when they
//! point to identical schemas (so equality is transitive through refs, and
//! cycles are handled: this is the coarsest partition stable under refs).
//!
//! Every class of identical structs, enums, unions and secret maps becomes
//! one Rust type named by [`canonical_name`]; the other names are type
//! aliases of it. Plain aliases (`pub type X = String`) are left alone.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::codegen::naming::type_name;
use crate::codegen::spec::{Kind, is_secret_map, kind_of};

/// Schema keywords that are documentation only.
const DOC_KEYS: &[&str] = &["description", "title"];

/// The classes of identical schemas.
#[derive(Debug, Default)]
pub(crate) struct Classes {
    /// Spec name → the spec name of its class's canonical type, for every
    /// schema that is emitted as a type (struct, enum, union, secret map).
    canonical: BTreeMap<String, String>,
    /// Canonical spec name → every spec name of the class, sorted.
    members: BTreeMap<String, Vec<String>>,
}

impl Classes {
    /// Partitions `schemas`. `tag` gives what the generator's output
    /// depends on besides the schema itself (e.g. redaction rules keyed on
    /// the schema's name): schemas with different tags are never merged.
    pub(crate) fn new(
        schemas: &BTreeMap<String, Value>,
        tag: impl Fn(&str, &Value) -> String,
    ) -> Self {
        // Start with refs all alike, then split by the classes refs point
        // to until no class splits: the coarsest stable partition.
        let mut class: BTreeMap<&str, usize> = BTreeMap::new();
        let initial: BTreeMap<&str, String> = schemas
            .iter()
            .map(|(name, schema)| {
                let mut key = tag(name, schema);
                key.push('\u{0}');
                norm(schema, true, &|_| "#".to_owned(), &mut key);
                (name.as_str(), key)
            })
            .collect();
        let mut count = number(&initial, &mut class);
        loop {
            let keys: BTreeMap<&str, String> = schemas
                .iter()
                .map(|(name, schema)| {
                    let mut key = format!("{}\u{0}", class[name.as_str()]);
                    let refs = |r: &str| match class.get(r) {
                        Some(c) => format!("#{c}"),
                        None => format!("?{r}"),
                    };
                    norm(schema, true, &refs, &mut key);
                    (name.as_str(), key)
                })
                .collect();
            let mut next = BTreeMap::new();
            let next_count = number(&keys, &mut next);
            class = next;
            if next_count == count {
                break;
            }
            count = next_count;
        }
        let mut by_class: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for (name, schema) in schemas {
            if emitted_as_type(name, schema) {
                by_class
                    .entry(class[name.as_str()])
                    .or_default()
                    .push(name.clone());
            }
        }
        let mut out = Classes::default();
        for (_, mut names) in by_class {
            names.sort();
            let canonical = canonical_name(&names).to_owned();
            for n in &names {
                out.canonical.insert(n.clone(), canonical.clone());
            }
            out.members.insert(canonical, names);
        }
        out
    }

    /// The spec name of the type `name` is emitted as (itself when it is
    /// canonical or not a deduplicated kind).
    pub(crate) fn canonical<'a>(&'a self, name: &'a str) -> &'a str {
        self.canonical.get(name).map_or(name, String::as_str)
    }

    /// The spec names of `name`'s class (only `name` when it has no twin).
    pub(crate) fn members<'a>(&'a self, name: &'a str) -> Vec<&'a str> {
        match self.members.get(self.canonical(name)) {
            Some(m) => m.iter().map(String::as_str).collect(),
            None => vec![name],
        }
    }

    /// How many schemas are aliases of another one's type.
    #[cfg(test)]
    pub(crate) fn duplicates(&self) -> usize {
        self.canonical.iter().filter(|(n, c)| n != c).count()
    }
}

/// Whether a schema becomes a Rust type of its own (not a `pub type` of a
/// built-in type).
fn emitted_as_type(name: &str, schema: &Value) -> bool {
    kind_of(schema) != Kind::Alias || is_secret_map(name, schema)
}

/// Whether a name is a wrapper name (`…RequestContent`,
/// `…ResponseContent`, `…Content`, `…Schema`) rather than a domain name.
fn is_wrapper_name(name: &str) -> bool {
    name.ends_with("Content") || name.ends_with("Schema")
}

/// The name a class's type gets: a name that is not `…Content`/`…Schema`
/// when there is one; among those, the shortest, then alphabetical (of the
/// Rust type names).
pub(crate) fn canonical_name(names: &[String]) -> &str {
    let domain: Vec<&String> = names.iter().filter(|n| !is_wrapper_name(n)).collect();
    let pool: Vec<&String> = if domain.is_empty() {
        names.iter().collect()
    } else {
        domain
    };
    pool.into_iter()
        .min_by(|a, b| {
            let (ra, rb) = (type_name(a), type_name(b));
            ra.len().cmp(&rb.len()).then(ra.cmp(&rb)).then(a.cmp(b))
        })
        .map_or("", String::as_str)
}

/// Numbers the distinct keys (in key order) and gives each name its key's
/// number; returns how many there are.
fn number<'a>(keys: &BTreeMap<&'a str, String>, class: &mut BTreeMap<&'a str, usize>) -> usize {
    let distinct: BTreeSet<&String> = keys.values().collect();
    let index: BTreeMap<&String, usize> = distinct
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k, i))
        .collect();
    for (name, key) in keys {
        class.insert(name, index[key]);
    }
    index.len()
}

/// Writes `v` as JSON with sorted keys, without documentation keywords
/// where `v` is a schema, and with each `$ref` replaced by `refs(name)`.
/// Property *names* (`properties.description`) are kept.
fn norm(v: &Value, schema: bool, refs: &dyn Fn(&str) -> String, out: &mut String) {
    match v {
        Value::Object(map) if schema => {
            out.push('{');
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            for (k, x) in sorted {
                if DOC_KEYS.contains(&k.as_str()) {
                    continue;
                }
                let _ = write!(out, "{:?}:", k);
                match k.as_str() {
                    "$ref" => {
                        let target = x.as_str().and_then(|s| s.rsplit('/').next());
                        out.push_str(&refs(target.unwrap_or_default()));
                    }
                    "properties" => match x {
                        Value::Object(props) => {
                            out.push('{');
                            let props: BTreeMap<&String, &Value> = props.iter().collect();
                            for (p, s) in props {
                                let _ = write!(out, "{:?}:", p);
                                norm(s, true, refs, out);
                                out.push(',');
                            }
                            out.push('}');
                        }
                        other => norm(other, false, refs, out),
                    },
                    "items" | "additionalProperties" | "not" | "oneOf" | "anyOf" | "allOf" => {
                        norm(x, true, refs, out)
                    }
                    _ => norm(x, false, refs, out),
                }
                out.push(',');
            }
            out.push('}');
        }
        Value::Object(map) => {
            out.push('{');
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            for (k, x) in sorted {
                let _ = write!(out, "{:?}:", k);
                norm(x, false, refs, out);
                out.push(',');
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for x in items {
                norm(x, schema, refs, out);
                out.push(',');
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::{Value, json};

    use super::{Classes, canonical_name};

    fn schemas(v: Value) -> BTreeMap<String, Value> {
        v.as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default()
    }

    #[test]
    fn names_prefer_domain_names_then_short_then_alphabetical() {
        let names = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            canonical_name(&names(&[
                "Client",
                "CreateClientResponseContent",
                "GetClientResponseContent"
            ])),
            "Client"
        );
        assert_eq!(
            canonical_name(&names(&["ActionVersion", "ActionDeployedVersion"])),
            "ActionVersion"
        );
        assert_eq!(canonical_name(&names(&["Beta", "Alfa"])), "Alfa");
        assert_eq!(
            canonical_name(&names(&["GetXResponseContent", "XSchema"])),
            "XSchema"
        );
        assert_eq!(
            canonical_name(&names(&["XRequestContent", "XResponseContent", "Xs"])),
            "Xs"
        );
    }

    #[test]
    fn docs_are_ignored_but_property_names_are_not() {
        let s = schemas(json!({
            "A": {"type": "object", "description": "a", "properties": {"id": {"type": "string", "description": "x"}}},
            "B": {"type": "object", "title": "b", "properties": {"id": {"type": "string"}}},
            "C": {"type": "object", "properties": {"description": {"type": "string"}}},
            "D": {"type": "object", "properties": {"title": {"type": "string"}}},
        }));
        let c = Classes::new(&s, |_, _| String::new());
        assert_eq!(c.canonical("B"), "A");
        assert_eq!(c.canonical("C"), "C");
        assert_eq!(c.canonical("D"), "D");
        assert_eq!(c.members("A"), ["A", "B"]);
        assert_eq!(c.duplicates(), 1);
    }

    #[test]
    fn equality_goes_through_refs_and_cycles() {
        let s = schemas(json!({
            "LeafA": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "LeafB": {"type": "object", "properties": {"n": {"type": "integer"}}},
            "LeafC": {"type": "object", "properties": {"n": {"type": "string"}}},
            "OuterA": {"type": "object", "properties": {"leaf": {"$ref": "#/components/schemas/LeafA"}}},
            "OuterB": {"type": "object", "properties": {"leaf": {"$ref": "#/components/schemas/LeafB"}}},
            "OuterC": {"type": "object", "properties": {"leaf": {"$ref": "#/components/schemas/LeafC"}}},
            "NodeA": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/NodeB"}}},
            "NodeB": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/NodeA"}}},
        }));
        let c = Classes::new(&s, |_, _| String::new());
        assert_eq!(c.canonical("LeafB"), "LeafA");
        assert_eq!(c.canonical("LeafC"), "LeafC");
        assert_eq!(c.canonical("OuterB"), "OuterA");
        assert_eq!(c.canonical("OuterC"), "OuterC");
        assert_eq!(c.canonical("NodeB"), "NodeA");
        assert_eq!(c.duplicates(), 3);
    }

    #[test]
    fn tags_keep_classes_apart_and_plain_aliases_are_left_alone() {
        let s = schemas(json!({
            "ASecret": {"type": "object", "properties": {"value": {"type": "string"}}},
            "APlain": {"type": "object", "properties": {"value": {"type": "string"}}},
            "S1": {"type": "string"},
            "S2": {"type": "string"},
        }));
        let c = Classes::new(&s, |name, _| name.contains("Secret").to_string());
        assert_eq!(c.canonical("ASecret"), "ASecret");
        assert_eq!(c.canonical("APlain"), "APlain");
        assert_eq!(c.canonical("S2"), "S2");
        assert_eq!(c.duplicates(), 0);
    }
}
