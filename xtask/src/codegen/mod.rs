//! `cargo xtask codegen`: generates `crates/auth0-management/src/generated/`
//! from the Management API's OpenAPI description
//! (`spec/management/auth0-management-openapi.json`, vendored with its
//! provenance in `spec/management/README.md`) and the operations' release
//! lifecycle (`spec/management/lifecycle.json`, see [`lifecycle`]).
//!
//! - [`spec`] reads the description (schemas, operations, parameters);
//! - [`naming`] turns spec names into Rust names and prose into rustdoc;
//! - [`dedupe`] finds identical schemas, which share one type;
//! - [`models`] emits one type per class of identical schemas (aliases
//!   for the other names);
//! - [`operations`] emits the resource groups and their operations;
//! - [`features`] gates every group and model behind the Cargo features of
//!   the groups that reach it;
//! - [`blocking`] emits their blocking mirror (feature `blocking`);
//! - [`writer`] formats, writes or checks the files.

mod blocking;
mod dedupe;
pub(crate) mod features;
pub(crate) mod lifecycle;
mod models;
mod naming;
mod operations;
/// auth0-core's one list of secret names (`auth0_core::secrets`), read from
/// its source so xtask needs no dependency on the HTTP stack.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../crates/auth0-core/src/secrets/keys.rs"]
mod secret_keys;
mod spec;
mod writer;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use crate::root;

/// The spec, relative to the workspace root.
pub(crate) const SPEC: &str = "spec/management/auth0-management-openapi.json";
/// The crate's manifest (its features are the groups), relative to the workspace root.
const MANIFEST: &str = "crates/auth0-management/Cargo.toml";
/// The output directory, relative to the workspace root.
const OUT: &str = "crates/auth0-management/src/generated";

/// Generates the files; with `check`, only compares them with the
/// committed ones and fails if any differs.
pub(crate) fn run(check: bool) -> Result<(), String> {
    let spec_path = root().join(SPEC);
    let text = std::fs::read_to_string(&spec_path)
        .map_err(|e| format!("could not read {}: {e}", spec_path.display()))?;
    let lifecycle = lifecycle::load()?;
    let files = generate(&text, &lifecycle)?;
    let groups: Vec<&str> = files
        .keys()
        .filter_map(|p| p.strip_prefix("api").ok())
        .filter_map(|p| p.file_stem().and_then(|s| s.to_str()))
        .filter(|s| *s != "mod")
        .collect();
    let manifest_path = root().join(MANIFEST);
    let manifest = std::fs::read_to_string(&manifest_path)
        .map_err(|e| format!("could not read {}: {e}", manifest_path.display()))?;
    features::check_manifest(&manifest, &groups)?;
    writer::sync(&root().join(OUT), &files, check)
}

/// Every generated file (path relative to `generated/` → formatted code).
fn generate(
    text: &str,
    lifecycle: &BTreeMap<String, String>,
) -> Result<BTreeMap<PathBuf, String>, String> {
    let spec = spec::Spec::load(text)?;
    let models = models::Models::new(&spec);
    let api = operations::Api::new(&models, lifecycle);
    let mut raw: BTreeMap<PathBuf, String> = BTreeMap::new();

    let api_files = api.emit();
    // Every model is compiled only with a group that reaches it.
    let items = models.emit_items();
    let codes: BTreeMap<String, String> = items.iter().cloned().collect();
    let groups: BTreeMap<String, String> = api_files
        .iter()
        .filter(|(stem, _)| *stem != "mod")
        .map(|(stem, code)| (stem.clone(), code.clone()))
        .collect();
    let reach = features::reach(&codes, &groups);
    let gated: Vec<(String, String)> = items
        .into_iter()
        .map(|(rust, code)| {
            let attr = features::groups_cfg_attr(&reach[&rust]);
            let code = features::gate_items(&code, &attr);
            (rust, code)
        })
        .collect();
    let model_files = models::Models::files(gated);
    let mut models_mod = String::from(
        "//! The Management API's models: one type per distinct schema of the API description; identical schemas share one type, the other names are aliases of it.\n//!\n//! Objects are structs whose unknown fields are kept in `extra`; string enums keep values they do not know in `Other`; `oneOf` schemas are enums decoded by trying their members most specific first, with `Other` for JSON that fits no member. `Debug` redacts secrets and shows free-form JSON by keys only.\n//!\n//! Each model is compiled with the Cargo features of the groups that reach it (`docs/MANAGEMENT.md`, \"Cargo features\"); a file may be empty without some of them.\n\n#![allow(unused_imports)]\n\n",
    );
    for stem in model_files.keys() {
        let _ = writeln!(models_mod, "mod {};", module_name(stem));
    }
    models_mod.push('\n');
    for stem in model_files.keys() {
        let _ = writeln!(models_mod, "pub use {}::*;", module_name(stem));
    }
    raw.insert(PathBuf::from("models/mod.rs"), models_mod);
    for (stem, code) in model_files {
        let mut file = format!(
            "//! Models whose names start with `{}` (part of the models module).\n\n#![allow(unused_imports)]\n\nuse std::collections::BTreeMap;\nuse std::fmt;\n\nuse serde::{{Deserialize, Serialize}};\nuse serde_json::{{Map, Value}};\n\nuse super::*;\nuse crate::model_support::{{Keys, REDACTED, other, string_enum}};\nuse crate::object;\nuse crate::patch::Patch;\n\n",
            stem.chars().next().unwrap_or('_').to_ascii_uppercase()
        );
        file.push_str(&code);
        raw.insert(
            PathBuf::from(format!("models/{}.rs", module_name(&stem))),
            file,
        );
    }
    for (stem, code) in api_files {
        raw.insert(PathBuf::from(format!("api/{stem}.rs")), code);
    }
    for (stem, code) in blocking::emit(&api) {
        raw.insert(PathBuf::from(format!("blocking/{stem}.rs")), code);
    }
    let mut root_mod = String::from(
        "//! Every operation of the Management API v2, generated from its OpenAPI description by `cargo xtask codegen` (see `docs/MANAGEMENT.md`).\n//!\n//! [`api`] has the resource groups (`auth0.roles()`, `auth0.users().roles()`, …) and their query parameter types; [`models`] has the request and response types.\n\n#![allow(clippy::large_enum_variant, clippy::too_many_arguments, clippy::doc_lazy_continuation)]\n\npub mod api;\npub mod models;\n\n#[allow(unused_imports)]\nuse std::collections::BTreeMap;\n\nuse serde::Serialize;\nuse serde::de::DeserializeOwned;\nuse serde_json::{Map, Value};\n\n",
    );
    root_mod.push_str(&api.tables());
    root_mod.push_str(blocking::MOD_DECL);
    raw.insert(PathBuf::from("mod.rs"), root_mod);

    let mut out = BTreeMap::new();
    for (path, code) in raw {
        let code = format!("{}{code}", writer::HEADER);
        let formatted = writer::rustfmt(&code, &path.display().to_string())?;
        out.insert(path, formatted);
    }
    Ok(out)
}

/// Model file stems are letters; `r#`-free module names.
fn module_name(stem: &str) -> String {
    match stem {
        "" => "other".to_owned(),
        s if ["as", "do", "fn", "if", "in"].contains(&s) => format!("{s}_"),
        s => s.to_owned(),
    }
}
