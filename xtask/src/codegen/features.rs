//! Cargo features per resource group: each top-level group (`users`,
//! `clients`, …) is a feature of `auth0-management`, and every model is
//! compiled only when a group that reaches it is on.
//!
//! A group *reaches* a model when its operations name it (path and query
//! parameter enums, bodies, responses, pager items) or a model it reaches
//! names it (fields, union members, the type an alias stands for),
//! transitively. The references are read from the generated code itself
//! (comments and enum variant names left out), so the gates are exactly
//! what the compiler needs: a model is `#[cfg(any(feature = "g1", …))]`
//! over the groups that reach it. A model no operation reaches is compiled
//! with the `full` feature only.
//!
//! [`group_cfg_attr`] is the one place that spells a group's gate; every
//! generated file that depends on a group (the `api` modules, the blocking
//! mirror, the operation tables) uses it.

use std::collections::{BTreeMap, BTreeSet};

/// The feature that turns every group on (and compiles the models no
/// operation reaches).
pub(crate) const FULL: &str = "full";

/// The `#[cfg(...)]` attribute of code that belongs to the top-level group
/// `group` (`#[cfg(feature = "users")]`).
pub(crate) fn group_cfg_attr(group: &str) -> String {
    format!("#[cfg(feature = \"{group}\")]")
}

/// The `#[cfg(...)]` attribute of code needed by any of `groups`
/// (`full` when the set is empty).
pub(crate) fn groups_cfg_attr(groups: &BTreeSet<String>) -> String {
    let mut it = groups.iter();
    match (it.next(), it.next()) {
        (None, _) => group_cfg_attr(FULL),
        (Some(one), None) => group_cfg_attr(one),
        _ => {
            let all: Vec<String> = groups
                .iter()
                .map(|g| format!("feature = \"{g}\""))
                .collect();
            format!("#[cfg(any({}))]", all.join(", "))
        }
    }
}

/// The model names (among `names`) that `code` refers to: identifiers
/// outside comments, leaving out the names of enum variants (`Name(`,
/// `Name =`, `Self::Name`, `Wire::Name`), which may spell a model's name
/// without using it.
pub(crate) fn references(code: &str, names: &BTreeSet<&str>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in code.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("//") {
            continue;
        }
        let bytes = line.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let c = bytes[i];
            if c == b'"' {
                // Skip string literals (serde renames, Debug names).
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
                i += 1;
                continue;
            }
            if c.is_ascii_alphabetic() || c == b'_' {
                let start = i;
                while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                    i += 1;
                }
                let word = &line[start..i];
                if !names.contains(word) {
                    continue;
                }
                let before = &line[..start];
                let after = &line[i..];
                let variant = after.starts_with('(')
                    || after.starts_with(" =")
                    || before.ends_with("Self::")
                    || before.ends_with("Wire::");
                if !variant {
                    out.insert(word.to_owned());
                }
                continue;
            }
            i += 1;
        }
    }
    out
}

/// For every model, the top-level groups that reach it.
///
/// `models`: model name → its generated code; `groups`: top-level group →
/// the code of its `api` module.
pub(crate) fn reach(
    models: &BTreeMap<String, String>,
    groups: &BTreeMap<String, String>,
) -> BTreeMap<String, BTreeSet<String>> {
    let names: BTreeSet<&str> = models.keys().map(String::as_str).collect();
    let edges: BTreeMap<&str, BTreeSet<String>> = models
        .iter()
        .map(|(name, code)| {
            let mut refs = references(code, &names);
            refs.remove(name);
            (name.as_str(), refs)
        })
        .collect();
    let mut out: BTreeMap<String, BTreeSet<String>> = models
        .keys()
        .map(|n| (n.clone(), BTreeSet::new()))
        .collect();
    for (group, code) in groups {
        let mut stack: Vec<String> = references(code, &names).into_iter().collect();
        let mut seen: BTreeSet<String> = BTreeSet::new();
        while let Some(model) = stack.pop() {
            if !seen.insert(model.clone()) {
                continue;
            }
            if let Some(set) = out.get_mut(&model) {
                set.insert(group.clone());
            }
            if let Some(next) = edges.get(model.as_str()) {
                stack.extend(next.iter().filter(|n| !seen.contains(*n)).cloned());
            }
        }
    }
    out
}

/// Puts `attr` before every top-level item of `code` (generated, not yet
/// formatted: items start at column 0, their bodies are indented, and the
/// doc comments and attributes of an item come right before it).
pub(crate) fn gate_items(code: &str, attr: &str) -> String {
    let mut out = String::with_capacity(code.len() + 256);
    let mut in_attrs = false;
    for line in code.split_inclusive('\n') {
        let top = !line.starts_with([' ', '\t', '\n', '\r']);
        if top {
            let is_attr = line.starts_with("///") || line.starts_with("#[");
            let is_item = [
                "pub ",
                "impl",
                "string_enum!",
                "fn ",
                "const ",
                "struct ",
                "enum ",
                "type ",
            ]
            .iter()
            .any(|k| line.starts_with(k));
            if is_attr {
                if !in_attrs {
                    out.push_str(attr);
                    out.push('\n');
                    in_attrs = true;
                }
            } else {
                if is_item && !in_attrs {
                    out.push_str(attr);
                    out.push('\n');
                }
                in_attrs = false;
            }
        }
        out.push_str(line);
    }
    out
}

/// Fails unless the crate's manifest (`manifest`, its text) declares a
/// feature per group and lists every group in `full`.
pub(crate) fn check_manifest(manifest: &str, groups: &[&str]) -> Result<(), String> {
    let Some(full) = manifest
        .split_once(&format!("\n{FULL} = ["))
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(list, _)| list)
    else {
        return Err(format!(
            "auth0-management's Cargo.toml has no `{FULL}` feature"
        ));
    };
    let in_full: BTreeSet<&str> = full
        .split(',')
        .map(|s| s.trim().trim_matches('"'))
        .filter(|s| !s.is_empty())
        .collect();
    let mut missing = Vec::new();
    for g in groups {
        if !manifest.contains(&format!("\n{g} = []")) || !in_full.contains(g) {
            missing.push(*g);
        }
    }
    let extra: Vec<&&str> = in_full.iter().filter(|f| !groups.contains(f)).collect();
    if missing.is_empty() && extra.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "crates/auth0-management/Cargo.toml's features do not match the generated groups: add `<group> = []` and list it in `{FULL}` for {missing:?}; remove {extra:?}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_skip_comments_strings_and_variants() {
        let names: BTreeSet<&str> = ["Client", "Role", "Kind", "User"].into_iter().collect();
        let code = "/// Links [`User`].\npub struct A {\n    pub c: Option<Client>,\n    pub r: Vec<m::Role>,\n}\nimpl X { fn f() { f.debug_struct(\"User\"); Self::Kind; } }\nenum U { Kind(String), }\n";
        let refs = references(code, &names);
        assert_eq!(
            refs.into_iter().collect::<Vec<_>>(),
            vec!["Client".to_owned(), "Role".to_owned()]
        );
    }

    #[test]
    fn reach_is_transitive_and_per_group() {
        let models: BTreeMap<String, String> = [
            ("A", "pub struct A { pub b: B }\n"),
            ("B", "pub struct B { pub c: Vec<C> }\n"),
            ("C", "pub struct C {}\n"),
            ("D", "pub struct D {}\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let groups: BTreeMap<String, String> = [
            ("users", "fn f(body: &m::A) {}\n"),
            ("roles", "fn g() -> m::C {}\n"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let reach = reach(&models, &groups);
        let set = |n: &str| reach[n].iter().cloned().collect::<Vec<_>>();
        assert_eq!(set("A"), vec!["users"]);
        assert_eq!(set("B"), vec!["users"]);
        assert_eq!(set("C"), vec!["roles", "users"]);
        assert!(set("D").is_empty());
        assert_eq!(
            groups_cfg_attr(&reach["C"]),
            "#[cfg(any(feature = \"roles\", feature = \"users\"))]"
        );
        assert_eq!(groups_cfg_attr(&reach["D"]), "#[cfg(feature = \"full\")]");
    }

    #[test]
    fn gates_every_top_level_item() {
        let code = "/// Doc.\n#[derive(Debug)]\npub struct A {\n    /// field\n    pub a: u8,\n}\n\nimpl A {\n    fn f() {}\n}\nstring_enum! {\n    pub enum E { X = \"x\", }\n}\npub type B = A;\n";
        let gated = gate_items(code, "#[cfg(feature = \"g\")]");
        assert_eq!(gated.matches("#[cfg(feature = \"g\")]").count(), 4);
        assert!(
            gated.starts_with("#[cfg(feature = \"g\")]\n/// Doc.\n#[derive(Debug)]\npub struct A")
        );
    }
}
