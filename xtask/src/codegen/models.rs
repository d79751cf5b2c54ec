//! Emits one Rust type per named schema: structs for objects, forward
//! compatible enums for string enums, unions (with an `Other` case) for
//! `oneOf`, and type aliases for everything else.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

use crate::codegen::dedupe::Classes;
use crate::codegen::naming::{doc_lines, ident, lit, snake, type_name, variant};
use crate::codegen::spec::{Kind, Spec, Ty, Types, is_secret_map, kind_of, ref_name};

/// Whether a field named `name` of the schema `owner` holds a secret:
/// auth0-core's one list (`auth0_core::secrets::is_secret_field`, read
/// from its source), on the field's snake-case name.
pub(crate) fn is_secret(owner: &str, name: &str) -> bool {
    crate::codegen::secret_keys::is_secret_field(owner, &snake(name))
}

/// Fields whose spec type is wrong, with the type used instead and why.
const FIELD_OVERRIDES: &[(&str, &str, &str)] = &[
    // The spec says string; the API (and Auth0's own stubs) send numbers.
    (
        "LogLocationInfo",
        "latitude",
        "a number in practice, a string in the spec",
    ),
    (
        "LogLocationInfo",
        "longitude",
        "a number in practice, a string in the spec",
    ),
];

/// What the generated code of a schema depends on besides its structure:
/// whether it is a secret map, which fields `Debug` redacts (`value` is a
/// secret only in types named `…Secret…`/`…Token…`/`…Credential…`) and
/// which fields have their type overridden. Identical schemas with
/// different tags stay separate types, so redaction is unchanged.
fn name_tag(name: &str, schema: &Value) -> String {
    let secrets: Vec<&str> = schema["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(wire, _)| wire.as_str())
        .filter(|wire| is_secret(name, wire))
        .collect();
    let overrides: Vec<&str> = FIELD_OVERRIDES
        .iter()
        .filter(|(s, _, _)| *s == name)
        .map(|(_, f, _)| *f)
        .collect();
    format!(
        "map:{} secrets:{} overrides:{}",
        is_secret_map(name, schema),
        secrets.join(","),
        overrides.join(",")
    )
}

/// One field of a struct.
#[derive(Clone)]
pub(crate) struct Field {
    pub(crate) wire: String,
    pub(crate) ident: String,
    pub(crate) ty: Ty,
    pub(crate) optional: bool,
    /// A nullable field of a `PATCH` body: `Patch<T>` (absent / `null` /
    /// value) instead of `Option<T>`, so clearing it is typed.
    pub(crate) patch: bool,
    pub(crate) boxed: bool,
    pub(crate) constant: Option<String>,
    pub(crate) doc: String,
}

/// What the generator knows about the model types.
pub(crate) struct Models<'a> {
    pub(crate) spec: &'a Spec,
    pub(crate) types: Types<'a>,
    /// Schemas reachable from a request body: they get constructors.
    pub(crate) request: BTreeSet<String>,
    /// Rust type name → spec schema name.
    names: BTreeMap<String, String>,
    /// The schemas sent as a `PATCH` body: their nullable fields are
    /// tri-state.
    patch_bodies: BTreeSet<String>,
    /// Identical schemas: one type per class, aliases for the rest.
    pub(crate) classes: Classes,
}

impl<'a> Models<'a> {
    pub(crate) fn new(spec: &'a Spec) -> Self {
        let types = spec.types();
        let mut request = BTreeSet::new();
        let mut stack: Vec<String> = spec
            .ops
            .iter()
            .filter_map(|o| match &o.body {
                Some(crate::codegen::spec::Body::Json { schema, .. })
                | Some(crate::codegen::spec::Body::Multipart { schema }) => Some(schema.clone()),
                None => None,
            })
            .collect();
        while let Some(n) = stack.pop() {
            if !request.insert(n.clone()) {
                continue;
            }
            if let Some(s) = spec.schemas.get(&n) {
                let mut refs = BTreeSet::new();
                collect_refs(s, &mut refs);
                stack.extend(refs.into_iter().filter(|r| !request.contains(r)));
            }
        }
        let names = spec
            .schemas
            .keys()
            .map(|k| (type_name(k), k.clone()))
            .collect();
        let patch_bodies: BTreeSet<String> = spec
            .ops
            .iter()
            .filter(|o| o.method == "PATCH")
            .filter_map(|o| match &o.body {
                Some(crate::codegen::spec::Body::Json { schema, .. }) => Some(schema.clone()),
                _ => None,
            })
            .collect();
        // A PATCH body's code differs from an identical schema's (its
        // nullable fields are tri-state), so it stays its own class.
        let classes = Classes::new(&spec.schemas, |name, schema| {
            format!(
                "{} patch:{}",
                name_tag(name, schema),
                patch_bodies.contains(name)
            )
        });
        Models {
            spec,
            types,
            request,
            names,
            patch_bodies,
            classes,
        }
    }

    /// Whether the type of `name` gets constructors and setters: some
    /// schema of its class is (inside) a request body.
    fn is_request(&self, name: &str) -> bool {
        self.classes
            .members(name)
            .iter()
            .any(|m| self.request.contains(*m))
    }

    /// The Rust name of the type a Rust model name stands for (the
    /// canonical type of its class).
    fn canonical_rust(&self, rust: &str) -> String {
        match self.spec_name(rust) {
            Some(spec) => type_name(self.classes.canonical(spec)),
            None => rust.to_owned(),
        }
    }

    /// The fields of a struct schema, in spec (alphabetical) order.
    pub(crate) fn fields(&self, name: &str) -> Vec<Field> {
        let Some(schema) = self.spec.schemas.get(name) else {
            return Vec::new();
        };
        let required: BTreeSet<&str> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let mut used = BTreeSet::new();
        used.insert("extra".to_owned());
        let mut out = Vec::new();
        for (wire, prop) in schema["properties"].as_object().into_iter().flatten() {
            let mut id = ident(wire);
            while !used.insert(id.clone()) {
                id.push('_');
            }
            let constant = prop["const"].as_str().map(str::to_owned);
            let ty = if constant.is_some() {
                Ty::String
            } else if FIELD_OVERRIDES
                .iter()
                .any(|(s, f, _)| *s == name && f == wire)
            {
                Ty::Value
            } else {
                self.types.ty(prop)
            };
            let nullable = prop["nullable"].as_bool().unwrap_or(false);
            let optional = !required.contains(wire.as_str()) || nullable;
            let boxed = match &ty {
                Ty::Named(target) => self.reaches(target, &type_name(name)),
                _ => false,
            };
            let patch = nullable && constant.is_none() && self.patch_bodies.contains(name);
            out.push(Field {
                wire: wire.clone(),
                ident: id,
                ty,
                optional: optional && constant.is_none(),
                patch,
                boxed,
                constant,
                doc: prop["description"].as_str().unwrap_or_default().to_owned(),
            });
        }
        out
    }

    /// Whether the type `from` contains `to` by value (through fields that
    /// are not behind a `Vec` or map), so `to` holding `from` needs a `Box`.
    fn reaches(&self, from: &str, to: &str) -> bool {
        let to = self.canonical_rust(to);
        let mut seen = BTreeSet::new();
        let mut stack = vec![self.canonical_rust(from)];
        while let Some(n) = stack.pop() {
            if n == to {
                return true;
            }
            if !seen.insert(n.clone()) {
                continue;
            }
            let Some(spec_name) = self.spec_name(&n) else {
                continue;
            };
            let schema = &self.spec.schemas[spec_name];
            match kind_of(schema) {
                Kind::Struct => {
                    for prop in schema["properties"]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|p| p.1)
                    {
                        if let Ty::Named(t) = self.types.ty(prop) {
                            stack.push(self.canonical_rust(&t));
                        }
                    }
                }
                Kind::Union => {
                    for m in schema["oneOf"].as_array().into_iter().flatten() {
                        if let Ty::Named(t) = self.types.ty(m) {
                            stack.push(self.canonical_rust(&t));
                        }
                    }
                }
                _ => {}
            }
        }
        false
    }

    fn spec_name(&self, rust: &str) -> Option<&str> {
        self.names.get(rust).map(String::as_str)
    }

    /// The union members as (variant name, type, rank), in the spec's order.
    pub(crate) fn union_members(&self, name: &str) -> Vec<(String, Ty, usize)> {
        let schema = &self.spec.schemas[name];
        let rust = type_name(name);
        let mut out: Vec<(String, Ty, usize)> = Vec::new();
        for m in schema["oneOf"].as_array().into_iter().flatten() {
            let ty = self.types.ty(m);
            if out.iter().any(|(_, t, _)| *t == ty) {
                continue;
            }
            let mut v = match &ty {
                Ty::Named(n) => {
                    let stripped = n.strip_prefix(&rust).unwrap_or(n);
                    if stripped.is_empty() || stripped.starts_with(|c: char| c.is_ascii_digit()) {
                        n.clone()
                    } else {
                        stripped.to_owned()
                    }
                }
                Ty::String => "String".to_owned(),
                Ty::I64 => "Integer".to_owned(),
                Ty::F64 => "Number".to_owned(),
                Ty::Bool => "Bool".to_owned(),
                Ty::Vec(_) => "Array".to_owned(),
                Ty::Map | Ty::StrMap(_) => "Object".to_owned(),
                Ty::Value => "Json".to_owned(),
            };
            if let Some(page) = page_variant(m, &self.spec.schemas) {
                v = page.to_owned();
            }
            if v == "Other" {
                v.push('_');
            }
            while out.iter().any(|(x, _, _)| *x == v) {
                v.push('_');
            }
            let rank = self.rank(m, 0);
            out.push((v, ty, rank));
        }
        shorten_variants(&mut out);
        out
    }

    /// How specific a member is, to try members best first: an object
    /// counts 10 per constant field and 1 per required field (so a member
    /// with `"type": "webhook"` is tried before a catch-all object); a
    /// nested `oneOf` counts as its most specific member. Members of equal
    /// rank are tried in the spec's order.
    fn rank(&self, schema: &Value, depth: usize) -> usize {
        if depth > 8 {
            return 0;
        }
        if let Some(r) = ref_name(schema) {
            let Some(target) = self.spec.schemas.get(r) else {
                return 0;
            };
            return self.rank(target, depth + 1);
        }
        if let Some(members) = schema["oneOf"].as_array() {
            return members
                .iter()
                .map(|m| self.rank(m, depth + 1))
                .max()
                .unwrap_or(0);
        }
        if schema.get("enum").is_some() {
            return 1;
        }
        if let Some(props) = schema["properties"].as_object() {
            let required = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter(|r| props.get(*r).is_some_and(|p| p.get("const").is_none()))
                .count();
            let consts = props.values().filter(|p| p["const"].is_string()).count();
            return 1 + 10 * consts + required;
        }
        match schema["type"].as_str() {
            Some(_) => 1,
            None => 0,
        }
    }
}

/// The variant name of a list answer's page member (the 2026 description
/// answers lists with `oneOf` the bare array, an offset page and/or a
/// checkpoint page): `Offset` (`start`/`limit`/`total`), `Checkpoint`
/// (`next`), or `Page` (both).
fn page_variant(member: &Value, schemas: &BTreeMap<String, Value>) -> Option<&'static str> {
    let name = member.get("$ref")?.as_str()?.rsplit('/').next()?;
    if !name.contains("Paginated") {
        return None;
    }
    let props = schemas.get(name)?["properties"].as_object()?;
    let next = props.contains_key("next");
    let offset = props.contains_key("start") || props.contains_key("total");
    Some(match (offset, next) {
        (true, true) => "Page",
        (false, true) => "Checkpoint",
        _ => "Offset",
    })
}

/// Drops the words every named member shares at the start and at the end
/// (`EventStreamWebhookResponseContent`, `EventStreamActionResponseContent`
/// → `Webhook`, `Action`) when what is left is unique and non-empty.
fn shorten_variants(members: &mut [(String, Ty, usize)]) {
    let named: Vec<usize> = members
        .iter()
        .enumerate()
        .filter(|(_, (v, t, _))| matches!(t, Ty::Named(n) if n == v))
        .map(|(i, _)| i)
        .collect();
    if named.len() < 2 {
        return;
    }
    let names: Vec<&str> = named.iter().map(|&i| members[i].0.as_str()).collect();
    // Word starts: upper-case letters.
    let mut prefix = names[0].len();
    let mut suffix = names[0].len();
    for n in &names[1..] {
        let common = names[0]
            .bytes()
            .zip(n.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        prefix = prefix.min(common);
        let common_end = names[0]
            .bytes()
            .rev()
            .zip(n.bytes().rev())
            .take_while(|(a, b)| a == b)
            .count();
        suffix = suffix.min(common_end);
    }
    // Cut at word boundaries: the prefix ends before an upper-case letter,
    // the suffix starts with one.
    let cut_prefix = |n: &str| -> usize {
        let mut p = prefix.min(n.len());
        while p > 0 && !n[p..].starts_with(|c: char| c.is_ascii_uppercase()) {
            p -= 1;
        }
        p
    };
    let cut_suffix = |n: &str| -> usize {
        let mut s = suffix.min(n.len());
        while s > 0 && !n[n.len() - s..].starts_with(|c: char| c.is_ascii_uppercase()) {
            s -= 1;
        }
        s
    };
    let short: Vec<String> = names
        .iter()
        .map(|n| {
            let p = cut_prefix(n);
            let s = cut_suffix(n);
            if p + s >= n.len() {
                String::new()
            } else {
                n[p..n.len() - s].to_owned()
            }
        })
        .collect();
    let valid = short
        .iter()
        .all(|s| s.starts_with(|c: char| c.is_ascii_uppercase()) && s != "Other" && s != "Self");
    let unique = short
        .iter()
        .chain(
            members
                .iter()
                .enumerate()
                .filter(|(i, _)| !named.contains(i))
                .map(|(_, m)| &m.0),
        )
        .collect::<BTreeSet<_>>()
        .len()
        == members.len();
    if valid && unique {
        for (&i, s) in named.iter().zip(short) {
            members[i].0 = s;
        }
    }
}

fn collect_refs(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    if let Some(n) = x.as_str().and_then(|s| s.rsplit('/').next()) {
                        out.insert(n.to_owned());
                    }
                } else {
                    collect_refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_refs(x, out)),
        _ => {}
    }
}

/// Writes `///` lines for `text` (or `fallback` when it is empty).
pub(crate) fn doc(out: &mut String, indent: &str, text: &str, fallback: &str) {
    let mut lines = doc_lines(text);
    if lines.is_empty() {
        lines = doc_lines(fallback);
    }
    for l in lines {
        if l.is_empty() {
            let _ = writeln!(out, "{indent}///");
        } else {
            let _ = writeln!(out, "{indent}/// {l}");
        }
    }
}

impl Models<'_> {
    /// The source of every model: (type name, code), in spec-name order.
    pub(crate) fn emit_items(&self) -> Vec<(String, String)> {
        let mut items = Vec::new();
        for (name, schema) in &self.spec.schemas {
            let rust = type_name(name);
            let mut out = String::new();
            let canonical = self.classes.canonical(name);
            if canonical != name {
                self.emit_same_type(&mut out, name, schema, canonical);
            } else {
                match kind_of(schema) {
                    Kind::Struct => self.emit_struct(&mut out, name, schema),
                    Kind::Enum => self.emit_enum(&mut out, name, schema),
                    Kind::Union => self.emit_union(&mut out, name, schema),
                    Kind::Alias => self.emit_alias(&mut out, name, schema),
                }
            }
            out.push('\n');
            items.push((rust, out));
        }
        items
    }

    /// Groups model code into files by the first letter of the type name:
    /// file stem → code. `items` are (type name, code), in name order.
    pub(crate) fn files(items: Vec<(String, String)>) -> BTreeMap<String, String> {
        // Types by first letter, in name order.
        let mut letters: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (rust, out) in items {
            let letter = rust
                .chars()
                .next()
                .map(|c| c.to_ascii_lowercase().to_string())
                .unwrap_or_default();
            letters.entry(letter).or_default().push(out);
        }
        // Letters with much code are split into numbered files of about
        // `MAX_FILE` bytes, so no file is enormous.
        const MAX_FILE: usize = 100_000;
        let mut files = BTreeMap::new();
        for (letter, items) in letters {
            let total: usize = items.iter().map(String::len).sum();
            if total <= MAX_FILE * 3 / 2 {
                files.insert(letter, items.concat());
                continue;
            }
            let mut part = 1;
            let mut cur = String::new();
            for item in items {
                if !cur.is_empty() && cur.len() + item.len() > MAX_FILE {
                    files.insert(format!("{letter}{part}"), std::mem::take(&mut cur));
                    part += 1;
                }
                cur.push_str(&item);
            }
            if !cur.is_empty() {
                files.insert(format!("{letter}{part}"), cur);
            }
        }
        files
    }

    fn emit_alias(&self, out: &mut String, name: &str, schema: &Value) {
        let rust = type_name(name);
        if is_secret_map(name, schema) {
            self.emit_secret_map(out, name, schema);
            return;
        }
        doc(
            out,
            "",
            schema["description"].as_str().unwrap_or_default(),
            &format!("The `{name}` schema."),
        );
        let target = self.types.ty(schema);
        let target = if target == Ty::Named(rust.clone()) {
            Ty::Value
        } else {
            target
        };
        let _ = writeln!(out, "pub type {rust} = {};", target.rust());
    }

    /// A schema identical to another one: an alias of that one's type.
    fn emit_same_type(&self, out: &mut String, name: &str, schema: &Value, canonical: &str) {
        let rust = type_name(name);
        let target = type_name(canonical);
        doc(
            out,
            "",
            schema["description"].as_str().unwrap_or_default(),
            &format!("The `{name}` schema."),
        );
        self.usage_of(out, &[name]);
        let _ = writeln!(
            out,
            "///\n/// The same type as [`{target}`]: the API description gives both the same schema."
        );
        let _ = writeln!(out, "pub type {rust} = {target};");
    }

    /// Says which operations send or answer this type (at most three),
    /// under any of its names, and the other names of an identical schema.
    fn usage(&self, out: &mut String, name: &str) {
        let members = self.classes.members(name);
        self.usage_of(out, &members);
        let others: Vec<String> = members
            .iter()
            .filter(|m| **m != name)
            .map(|m| format!("[`{}`]", type_name(m)))
            .collect();
        if !others.is_empty() {
            let _ = writeln!(
                out,
                "///\n/// Also named {} (identical schemas).",
                others.join(", ")
            );
        }
    }

    /// Says which operations send or answer one of `names` (at most three).
    fn usage_of(&self, out: &mut String, names: &[&str]) {
        let rusts: Vec<Ty> = names.iter().map(|n| Ty::Named(type_name(n))).collect();
        let mut lines = Vec::new();
        for op in &self.spec.ops {
            let body = match &op.body {
                Some(crate::codegen::spec::Body::Json { schema, .. })
                | Some(crate::codegen::spec::Body::Multipart { schema }) => {
                    names.contains(&schema.as_str())
                }
                None => false,
            };
            if body {
                lines.push(format!(
                    "The body of `{} {}` (`{}`).",
                    op.method, op.path, op.id
                ));
            }
            if op.response.as_ref().is_some_and(|r| rusts.contains(r)) {
                lines.push(format!(
                    "The answer of `{} {}` (`{}`).",
                    op.method, op.path, op.id
                ));
            }
        }
        let more = lines.len().saturating_sub(3);
        if !lines.is_empty() {
            out.push_str("///\n");
        }
        for l in lines.iter().take(3) {
            let _ = writeln!(out, "/// {l}");
        }
        if more > 0 {
            let _ = writeln!(out, "/// (And {more} more.)");
        }
    }

    fn emit_secret_map(&self, out: &mut String, name: &str, schema: &Value) {
        let rust = type_name(name);
        doc(
            out,
            "",
            schema["description"].as_str().unwrap_or_default(),
            &format!("The `{name}` object."),
        );
        out.push_str("///\n/// A map of secret names to values; `Debug` shows the names only. Dereferences to the map.\n");
        out.push_str(
            "#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]\n#[serde(transparent)]\n",
        );
        let _ = writeln!(out, "pub struct {rust}(pub Map<String, Value>);\n");
        let _ = writeln!(
            out,
            "impl fmt::Debug for {rust} {{\n    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {{\n        f.debug_tuple({}).field(&Keys(&self.0)).finish()\n    }}\n}}\n",
            lit(&rust)
        );
        let _ = writeln!(
            out,
            "impl std::ops::Deref for {rust} {{\n    type Target = Map<String, Value>;\n\n    fn deref(&self) -> &Self::Target {{\n        &self.0\n    }}\n}}\n"
        );
        let _ = writeln!(
            out,
            "impl std::ops::DerefMut for {rust} {{\n    fn deref_mut(&mut self) -> &mut Self::Target {{\n        &mut self.0\n    }}\n}}\n"
        );
        let _ = writeln!(
            out,
            "impl From<Map<String, Value>> for {rust} {{\n    fn from(map: Map<String, Value>) -> Self {{\n        Self(map)\n    }}\n}}"
        );
    }

    fn emit_enum(&self, out: &mut String, name: &str, schema: &Value) {
        let rust = type_name(name);
        out.push_str("string_enum! {\n");
        doc(
            out,
            "    ",
            schema["description"].as_str().unwrap_or_default(),
            &format!("The values of `{name}`."),
        );
        let _ = writeln!(out, "    pub enum {rust} {{");
        let mut used = BTreeSet::new();
        for v in schema["enum"].as_array().into_iter().flatten() {
            let Some(v) = v.as_str() else { continue };
            let mut var = variant(v);
            while !used.insert(var.clone()) {
                var.push('_');
            }
            let _ = writeln!(out, "        /// {}", doc_value(v));
            let _ = writeln!(out, "        {var} = {},", lit(v));
        }
        out.push_str("    }\n}\n");
    }

    fn emit_union(&self, out: &mut String, name: &str, schema: &Value) {
        let rust = type_name(name);
        let members = self.union_members(name);
        doc(
            out,
            "",
            schema["description"].as_str().unwrap_or_default(),
            &format!("One of the shapes of `{name}`."),
        );
        self.usage(out, name);
        out.push_str("///\n/// Decoded by the fields each shape requires (and their constant values); JSON that fits none of them is kept in `Other`.\n");
        out.push_str(
            "#[derive(Clone, PartialEq, Serialize)]\n#[serde(untagged)]\n#[non_exhaustive]\n",
        );
        let _ = writeln!(out, "pub enum {rust} {{");
        for (v, ty, _) in &members {
            let boxed = matches!(ty, Ty::Named(t) if self.reaches(t, &rust));
            let _ = writeln!(out, "    /// The `{}` shape.", ty.rust());
            if boxed {
                let _ = writeln!(out, "    {v}(Box<{}>),", ty.rust());
            } else {
                let _ = writeln!(out, "    {v}({}),", ty.rust());
            }
        }
        out.push_str("    /// JSON this version cannot tell apart, kept as received.\n    Other(Value),\n}\n\n");
        // Deserialize: serde buffers the input once and tries the members
        // on it, most specific first (constant fields, then required ones;
        // constants are checked while decoding); no `Value` in between.
        let mut order: Vec<&(String, Ty, usize)> = members.iter().collect();
        order.sort_by_key(|m| std::cmp::Reverse(m.2));
        // Objects whose fields are all optional fit any object, so serde
        // would always take the first of them: they are told apart by
        // the keys present instead (one `ByKeys` decode of all their
        // fields, then the member those keys name).
        let open = self.open_members(name, &members);
        if let Some((_, fields)) = &open {
            let _ = writeln!(
                out,
                "/// Every field of `{rust}`'s members that only optional fields tell apart; decoded once, then sorted by the keys present.\nstruct {rust}ByKeys {{"
            );
            for f in fields {
                let _ = writeln!(out, "    {}: {},", f.ident, field_type(f));
            }
            out.push_str("    extra: Map<String, Value>,\n}\n\n");
            emit_object_decode(out, &format!("{rust}ByKeys"), fields);
        }
        let _ = writeln!(out, "impl<'de> Deserialize<'de> for {rust} {{");
        out.push_str("    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {\n");
        out.push_str(
            "        #[derive(Deserialize)]\n        #[serde(untagged)]\n        enum Wire {\n",
        );
        let mut by_keys_done = false;
        for (v, ty, _) in &order {
            if let Some((list, _)) = &open
                && list.iter().any(|m| m.variant == *v)
            {
                if !by_keys_done {
                    by_keys_done = true;
                    let _ = writeln!(out, "            ByKeys({rust}ByKeys),");
                }
                continue;
            }
            let boxed = matches!(ty, Ty::Named(t) if self.reaches(t, &rust));
            if boxed {
                let _ = writeln!(out, "            {v}(Box<{}>),", ty.rust());
            } else {
                let _ = writeln!(out, "            {v}({}),", ty.rust());
            }
        }
        out.push_str("            Other(Value),\n        }\n");
        out.push_str("        Ok(match Wire::deserialize(deserializer)? {\n");
        for (v, _, _) in &members {
            if open
                .as_ref()
                .is_some_and(|(list, _)| list.iter().any(|m| m.variant == *v))
            {
                continue;
            }
            let _ = writeln!(out, "            Wire::{v}(v) => Self::{v}(v),");
        }
        if let Some((list, fields)) = &open {
            emit_by_keys_choice(out, list, fields);
        }
        let _ = writeln!(
            out,
            "            Wire::Other(v) => {{\n                other({}, &v);\n                Self::Other(v)\n            }}",
            lit(&rust)
        );
        out.push_str("        })\n    }\n}\n\n");
        // Debug: free-form members by keys only.
        let _ = writeln!(out, "impl fmt::Debug for {rust} {{");
        out.push_str("    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n        match self {\n");
        for (v, ty, _) in &members {
            if ty.is_free_form() {
                let _ = writeln!(
                    out,
                    "            Self::{v}(v) => f.debug_tuple({}).field(&Keys(v)).finish(),",
                    lit(v)
                );
            } else {
                let _ = writeln!(
                    out,
                    "            Self::{v}(v) => f.debug_tuple({}).field(v).finish(),",
                    lit(v)
                );
            }
        }
        out.push_str("            Self::Other(v) => f.debug_tuple(\"Other\").field(&Keys(v)).finish(),\n        }\n    }\n}\n");
    }

    fn emit_struct(&self, out: &mut String, name: &str, schema: &Value) {
        let rust = type_name(name);
        let fields = self.fields(name);
        let is_request = self.is_request(name);
        let default = fields.iter().all(|f| f.optional);
        doc(
            out,
            "",
            schema["description"].as_str().unwrap_or_default(),
            &format!("The `{name}` object."),
        );
        self.usage(out, name);
        out.push_str("///\n/// Fields this version does not model are kept in `extra` and sent back as they are.\n");
        if is_request {
            out.push_str(if default {
                "/// Build it with `new()` and the setters.\n"
            } else {
                "/// Build it with `new(…)` (the required fields) and the setters.\n"
            });
        }
        // `Deserialize` is the compact `Object` impl below, not a derive.
        if default {
            out.push_str("#[derive(Clone, Default, PartialEq, Serialize)]\n");
        } else {
            out.push_str("#[derive(Clone, PartialEq, Serialize)]\n");
        }
        out.push_str("#[non_exhaustive]\n");
        let _ = writeln!(out, "pub struct {rust} {{");
        for f in &fields {
            let fallback = match &f.constant {
                Some(c) => format!("Always `{c}`."),
                None => format!("The `{}` field.", f.wire),
            };
            doc(out, "    ", &f.doc, &fallback);
            let mut attrs: Vec<String> = Vec::new();
            if f.wire != f.ident {
                attrs.push(format!("rename = {}", lit(&f.wire)));
            }
            if f.patch {
                attrs.push("skip_serializing_if = \"Patch::is_absent\"".to_owned());
            } else if f.optional {
                attrs.push("skip_serializing_if = \"Option::is_none\"".to_owned());
            }
            if !attrs.is_empty() {
                let _ = writeln!(out, "    #[serde({})]", attrs.join(", "));
            }
            let _ = writeln!(out, "    pub {}: {},", f.ident, field_type(f));
        }
        out.push_str("    /// Fields this version does not model, kept as received.\n    #[serde(flatten)]\n    pub extra: Map<String, Value>,\n}\n\n");
        emit_object_decode(out, &rust, &fields);
        // Debug with secrets redacted and free-form JSON by keys.
        let _ = writeln!(out, "impl fmt::Debug for {rust} {{");
        out.push_str("    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {\n");
        let _ = writeln!(out, "        f.debug_struct({})", lit(&rust));
        for f in &fields {
            // Whatever its type: a secret object or list (`signing_keys`)
            // is hidden whole.
            let expr = if is_secret(name, &f.wire) {
                if f.optional {
                    format!("&self.{}.as_ref().map(|_| REDACTED)", f.ident)
                } else {
                    "&REDACTED".to_owned()
                }
            } else if f.ty.is_free_form() {
                format!("&Keys(&self.{})", f.ident)
            } else {
                format!("&self.{}", f.ident)
            };
            let _ = writeln!(out, "            .field({}, {expr})", lit(&f.ident));
        }
        out.push_str(
            "            .field(\"extra\", &Keys(&self.extra))\n            .finish()\n    }\n}\n",
        );
        if is_request {
            self.emit_builder(out, &rust, &fields, default);
        }
    }

    fn emit_builder(&self, out: &mut String, rust: &str, fields: &[Field], default: bool) {
        let _ = writeln!(out, "\nimpl {rust} {{");
        let required: Vec<&Field> = fields
            .iter()
            .filter(|f| !f.optional && f.constant.is_none())
            .collect();
        if default && fields.iter().all(|f| f.constant.is_none()) {
            out.push_str("    /// An empty value; set fields with the setters.\n    pub fn new() -> Self {\n        <Self as Default>::default()\n    }\n");
        } else {
            out.push_str(
                "    /// A value with the required fields set (constant fields filled in).\n",
            );
            if required.len() > 7 {
                out.push_str("    #[allow(clippy::too_many_arguments)]\n");
            }
            let args: Vec<String> = required
                .iter()
                .map(|f| format!("{}: impl Into<{}>", f.ident, field_type(f)))
                .collect();
            let _ = writeln!(
                out,
                "    pub fn new({}) -> Self {{\n        Self {{",
                args.join(", ")
            );
            for f in fields {
                if let Some(c) = &f.constant {
                    let _ = writeln!(out, "            {}: {}.to_owned(),", f.ident, lit(c));
                } else if f.patch {
                    let _ = writeln!(out, "            {}: Patch::Absent,", f.ident);
                } else if f.optional {
                    let _ = writeln!(out, "            {}: None,", f.ident);
                } else {
                    let _ = writeln!(out, "            {}: {}.into(),", f.ident, f.ident);
                }
            }
            out.push_str("            extra: Map::new(),\n        }\n    }\n");
        }
        for f in fields.iter().filter(|f| f.optional) {
            let setter = if matches!(
                f.ident.as_str(),
                "new" | "set" | "default" | "clone" | "fmt"
            ) {
                format!("set_{}", f.ident)
            } else {
                f.ident.clone()
            };
            let inner = inner_type(f);
            let _ = writeln!(out, "\n    /// Sets `{}`.", f.wire);
            let _ = writeln!(
                out,
                "    pub fn {setter}(mut self, value: impl Into<{inner}>) -> Self {{"
            );
            let wrap = if f.patch { "Patch::Value" } else { "Some" };
            if f.boxed {
                let _ = writeln!(
                    out,
                    "        self.{} = {wrap}(Box::new(value.into()));",
                    f.ident
                );
            } else {
                let _ = writeln!(out, "        self.{} = {wrap}(value.into());", f.ident);
            }
            out.push_str("        self\n    }\n");
            if f.patch {
                let _ = writeln!(
                    out,
                    "\n    /// Sends `\"{}\": null`: clears the field.\n    pub fn clear_{}(mut self) -> Self {{\n        self.{} = Patch::Null;\n        self\n    }}",
                    f.wire, f.ident, f.ident
                );
            }
        }
        out.push_str("\n    /// Sets a field this version does not model.\n    pub fn set(mut self, field: impl Into<String>, value: impl Into<Value>) -> Self {\n        self.extra.insert(field.into(), value.into());\n        self\n    }\n}\n");
        if required.is_empty() && !default {
            // Only constants are required: the default is `new()`, with
            // them filled in.
            let _ = writeln!(
                out,
                "\nimpl Default for {rust} {{\n    fn default() -> Self {{\n        Self::new()\n    }}\n}}"
            );
        }
    }
}

/// A union member that is an object of optional fields only.
struct OpenMember {
    variant: String,
    /// The member's Rust type (for the struct literal).
    rust: String,
    boxed: bool,
    fields: Vec<Field>,
}

impl Models<'_> {
    /// The members of union `name` that are objects with only optional
    /// (non-constant) fields, when there are at least two of them and
    /// fields of the same name have the same type in each, with every
    /// such field: the list answers that are an offset page or a
    /// checkpoint page (`{"clients": […], "start": 0, …}` or
    /// `{"clients": […], "next": "…"}`).
    fn open_members(
        &self,
        name: &str,
        members: &[(String, Ty, usize)],
    ) -> Option<(Vec<OpenMember>, Vec<Field>)> {
        let rust = type_name(name);
        let mut open = Vec::new();
        for m in self.spec.schemas[name]["oneOf"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let Some(spec) = ref_name(m) else { continue };
            let ty = self.types.ty(m);
            let Some((variant, _, _)) = members.iter().find(|(_, t, _)| *t == ty) else {
                continue;
            };
            if open.iter().any(|o: &OpenMember| o.variant == *variant) {
                continue;
            }
            if self.types.kind(spec) != Kind::Struct
                || is_secret_map(spec, &self.spec.schemas[spec])
            {
                continue;
            }
            let fields = self.fields(spec);
            if fields.is_empty()
                || fields
                    .iter()
                    .any(|f| !f.optional || f.patch || f.constant.is_some())
            {
                continue;
            }
            open.push(OpenMember {
                variant: variant.clone(),
                rust: ty.rust(),
                boxed: matches!(&ty, Ty::Named(t) if self.reaches(t, &rust)),
                fields,
            });
        }
        if open.len() < 2 {
            return None;
        }
        let mut all: Vec<Field> = Vec::new();
        for m in &open {
            for f in &m.fields {
                match all.iter().find(|a| a.wire == f.wire) {
                    Some(a) if a.ty != f.ty || a.ident != f.ident || a.boxed != f.boxed => {
                        return None;
                    }
                    Some(_) => {}
                    None => all.push(f.clone()),
                }
            }
        }
        all.sort_by(|a, b| a.wire.cmp(&b.wire));
        Some((open, all))
    }
}

/// The match arm of a union's `ByKeys` wire variant: the member with the
/// fewest fields first, taken when a key only it has is present (`next`
/// ⇒ the checkpoint page, `start`/`limit`/`total` ⇒ the offset page); with
/// none of those keys, the member with the fewest fields (an object of
/// the items alone is a checkpoint page without `next`: the last one,
/// since Auth0 sends an offset page only with `include_totals=true`, and
/// then always with its totals). Present fields the chosen member does not
/// have go to its `extra`, so nothing is lost.
fn emit_by_keys_choice(out: &mut String, open: &[OpenMember], all: &[Field]) {
    let mut order: Vec<&OpenMember> = open.iter().collect();
    order.sort_by_key(|m| m.fields.len());
    out.push_str("            Wire::ByKeys(w) => {\n");
    let literal = |m: &OpenMember| -> String {
        let mut moves = String::new();
        for f in all {
            if !m.fields.iter().any(|g| g.wire == f.wire) {
                let _ = writeln!(
                    moves,
                    "if let Some(v) = w.{} {{ extra.insert({}.to_owned(), serde_json::to_value(v).map_err(<D::Error as serde::de::Error>::custom)?); }}",
                    f.ident,
                    lit(&f.wire)
                );
            }
        }
        let mut s = String::new();
        if moves.is_empty() {
            let _ = writeln!(s, "let extra = w.extra;");
        } else {
            let _ = writeln!(s, "let mut extra = w.extra;\n{moves}");
        }
        let mut fields: Vec<String> = m
            .fields
            .iter()
            .map(|f| format!("{}: w.{}", f.ident, f.ident))
            .collect();
        fields.push("extra".to_owned());
        let value = format!("{} {{ {} }}", m.rust, fields.join(", "));
        let value = if m.boxed {
            format!("Box::new({value})")
        } else {
            value
        };
        let _ = writeln!(s, "Self::{}({value})", m.variant);
        s
    };
    let mut first = true;
    for m in &order {
        let unique: Vec<&Field> = m
            .fields
            .iter()
            .filter(|f| {
                !open
                    .iter()
                    .filter(|o| o.variant != m.variant)
                    .any(|o| o.fields.iter().any(|g| g.wire == f.wire))
            })
            .collect();
        if unique.is_empty() {
            continue;
        }
        let test: Vec<String> = unique
            .iter()
            .map(|f| format!("w.{}.is_some()", f.ident))
            .collect();
        let _ = writeln!(
            out,
            "{}if {} {{\n{}}}",
            if first { "" } else { " else " },
            test.join(" || "),
            literal(m)
        );
        first = false;
    }
    let fallback = literal(order[0]);
    if first {
        let _ = writeln!(out, "{{\n{fallback}}}");
    } else {
        let _ = writeln!(out, " else {{\n{fallback}}}");
    }
    out.push_str("            }\n");
}

/// `Deserialize` of a struct: one `Object::from_map` (`src/object.rs`)
/// that reads each key into its field's slot and the rest into `extra`.
/// It decodes what `#[derive(Deserialize)]` with a flattened `extra` did
/// (missing optional fields are `None`/`Patch::Absent`, `null` is `None`,
/// a missing required field fails, a constant must match) in two small
/// functions instead of the derive's twenty, which dominated the build.
fn emit_object_decode(out: &mut String, rust: &str, fields: &[Field]) {
    let _ = writeln!(
        out,
        "impl<'de> Deserialize<'de> for {rust} {{\n    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {{\n        object::decode(deserializer)\n    }}\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl object::Object for {rust} {{\n    const NAME: &'static str = {};\n",
        lit(rust)
    );
    let _ = writeln!(
        out,
        "    fn from_map<'de, A: serde::de::MapAccess<'de>>(mut de_map: A) -> Result<Self, A::Error> {{"
    );
    // Every field fills a slot once (a repeated member fails, as the
    // derive's `duplicate field` did); at the end a missing optional or
    // tri-state field takes its default (`None`, `Patch::Absent`) and a
    // missing required one fails.
    let required = |f: &Field| f.constant.is_some() || !(f.optional || f.patch);
    for f in fields {
        let _ = writeln!(out, "        let mut f_{} = None;", f.ident);
    }
    out.push_str("        let mut f_extra = Map::new();\n");
    out.push_str("        while let Some(de_key) = de_map.next_key::<object::Key<'de>>()? {\n");
    if fields.is_empty() {
        out.push_str("            f_extra.insert(de_key.into_string(), de_map.next_value()?);\n");
    } else {
        out.push_str("            match de_key.as_str() {\n");
        for f in fields {
            let value = match &f.constant {
                Some(c) => format!("object::constant(de_map.next_value()?, {})?", lit(c)),
                None => "de_map.next_value()?".to_owned(),
            };
            let _ = writeln!(
                out,
                "                {wire} => object::once(&mut f_{}, {wire}, {value})?,",
                f.ident,
                wire = lit(&f.wire),
            );
        }
        out.push_str("                _ => {\n                    f_extra.insert(de_key.into_string(), de_map.next_value()?);\n                }\n            }\n");
    }
    out.push_str("        }\n        object::note_extra(&f_extra);\n        Ok(Self {\n");
    for f in fields {
        if required(f) {
            let _ = writeln!(
                out,
                "            {}: object::missing(f_{}, {})?,",
                f.ident,
                f.ident,
                lit(&f.wire)
            );
        } else {
            let _ = writeln!(
                out,
                "            {}: f_{}.unwrap_or_default(),",
                f.ident, f.ident
            );
        }
    }
    out.push_str("            extra: f_extra,\n        })\n    }\n}\n\n");
}

fn inner_type(f: &Field) -> String {
    f.ty.rust()
}

fn field_type(f: &Field) -> String {
    let mut t = f.ty.rust();
    if f.boxed {
        t = format!("Box<{t}>");
    }
    if f.patch {
        t = format!("Patch<{t}>");
    } else if f.optional {
        t = format!("Option<{t}>");
    }
    t
}

/// An enum value for a doc line, in backticks.
fn doc_value(v: &str) -> String {
    if v.is_empty() {
        "The empty string.".to_owned()
    } else {
        format!("`{}`", v.replace('`', "'"))
    }
}

#[cfg(test)]
mod tests {
    use super::is_secret;

    #[test]
    fn secret_names() {
        for (owner, field) in [
            ("Client", "client_secret"),
            ("CreateUserRequestContent", "password"),
            ("UserIdentity", "access_token"),
            ("UserIdentity", "access_token_secret"),
            ("TwilioProviderCredentials", "auth_token"),
            ("PostClientCredentialRequestContent", "pem"),
            ("ActionSecretRequest", "value"),
            ("EmailProviderCredentialsSchemaApiKey", "api_key"),
            ("X", "privateKey"),
            ("ConnectionSigningKeySaml", "key"),
            ("ConnectionDecryptionKeySaml", "key"),
            ("EventStreamWebhookCustomHeaderAuth", "value"),
            ("EmailProviderCredentialsSchemaSmtpHost", "smtp_pass"),
            ("SetGuardianFactorDuoSettingsRequestContent", "skey"),
            ("ClientAddonAzureSb", "sas_key"),
            ("GetJobResponseContent", "location"),
            ("Client", "signing_keys"),
            ("ChangePasswordTicketResponseContent", "ticket"),
        ] {
            assert!(is_secret(owner, field), "{owner}.{field}");
        }
        for (owner, field) in [
            ("Client", "client_id"),
            ("Client", "token_endpoint_auth_method"),
            ("Role", "name"),
            ("Setting", "value"),
            ("RulesConfig", "key"),
            ("FormHiddenField", "key"),
            ("Action", "code"),
            ("ClientSigningKey", "cert"),
        ] {
            assert!(!is_secret(owner, field), "{owner}.{field}");
        }
    }
}
