//! Emits `generated/blocking/`: the Management API without `async`
//! (auth0-management's feature `blocking`).
//!
//! One file per top-level group, mirroring `generated/api/`: a struct per
//! group with the same name (`Roles`, `UsersRoles`, …) holding a
//! `&blocking::ManagementClient`, the same sub-group accessors, and per
//! operation a method with the same name and arguments that runs the async
//! method ([`super::operations`]) to completion on the client's runtime.
//! `…_pager` methods return the blocking `Pager` (an `Iterator`). Nothing
//! of a request is built here: each method calls the async one, so the two
//! cannot disagree on what is sent. `mod.rs` has the client's accessors and
//! a test naming every operation's blocking method.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::codegen::features::group_cfg_attr;
use crate::codegen::models::doc;
use crate::codegen::naming::lit;
use crate::codegen::operations::{Api, Paging, struct_name};
use crate::codegen::spec::{Body, Operation, Ty};

/// The declaration `generated/mod.rs` gets (after the tables).
pub(crate) const MOD_DECL: &str = "\n#[cfg(feature = \"blocking\")]\npub mod blocking;\n";

/// Files under `blocking/`: stem → code (with `mod`).
pub(crate) fn emit(api: &Api<'_>) -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    let tops: Vec<&Vec<String>> = api.groups.keys().filter(|k| k.len() == 1).collect();
    let mut mod_rs = String::from(
        "//! The resource groups of the Management API without `async`, one module per top-level group: each method runs the async method of the same name (`crate::api`) on the blocking client's runtime.\n\n",
    );
    // Each group behind its Cargo feature, like `generated/api/`.
    for top in &tops {
        let _ = writeln!(mod_rs, "{}\npub mod {};", group_cfg_attr(&top[0]), top[0]);
    }
    mod_rs.push('\n');
    for top in &tops {
        let _ = writeln!(
            mod_rs,
            "{}\npub use {}::*;",
            group_cfg_attr(&top[0]),
            top[0]
        );
    }
    mod_rs.push_str(
        "\nuse crate::blocking::ManagementClient;\nuse crate::client::ManagementService;\n\n",
    );
    mod_rs.push_str("impl<S: ManagementService> ManagementClient<S> {\n");
    for top in &tops {
        let name = struct_name(top);
        let _ = writeln!(mod_rs, "    /// The `{}` operations: [`{name}`].", top[0]);
        let _ = writeln!(mod_rs, "    {}", group_cfg_attr(&top[0]));
        let _ = writeln!(
            mod_rs,
            "    pub fn {}(&self) -> {name}<'_, S> {{\n        {name}::new(self)\n    }}\n",
            top[0]
        );
    }
    mod_rs.push_str("}\n\n");
    mod_rs.push_str(&every_method_test(api));
    files.insert("mod".to_owned(), mod_rs);
    for top in tops {
        files.insert(top[0].clone(), emit_top(api, top));
    }
    files
}

fn emit_top(api: &Api<'_>, top: &[String]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "//! The `{}` group and its sub-groups, blocking.\n",
        top[0]
    );
    out.push_str("#![allow(unused_imports)]\n\n");
    out.push_str("use std::collections::BTreeMap;\n\nuse serde_json::{Map, Value};\n\n");
    out.push_str("use crate::blocking::{ManagementClient, Pager};\nuse crate::client::ManagementService;\nuse crate::error::Error;\nuse crate::generated::api as a;\nuse crate::generated::models as m;\n\n");
    let groups: Vec<&Vec<String>> = api.groups.keys().filter(|k| k.starts_with(top)).collect();
    for g in groups {
        emit_group(api, &mut out, g);
    }
    out
}

fn emit_group(api: &Api<'_>, out: &mut String, group: &[String]) {
    let ty = struct_name(group);
    let chain: String = group.iter().map(|g| format!(".{g}()")).collect();
    let _ = writeln!(
        out,
        "/// The `{}` operations, blocking; from `auth0{chain}` on a [`ManagementClient`]. Each method runs the one of the same name of [`api::{ty}`](a::{ty}).\n///\n/// The handle is `Copy`; its methods take it by value.",
        group.join(".")
    );
    let _ = writeln!(
        out,
        "#[derive(Debug)]\npub struct {ty}<'a, S> {{\n    pub(crate) client: &'a ManagementClient<S>,\n}}\n"
    );
    let _ = writeln!(
        out,
        "impl<S> Clone for {ty}<'_, S> {{\n    fn clone(&self) -> Self {{\n        *self\n    }}\n}}\n"
    );
    let _ = writeln!(out, "impl<S> Copy for {ty}<'_, S> {{}}\n");
    let _ = writeln!(out, "impl<'a, S: ManagementService> {ty}<'a, S> {{");
    out.push_str("    pub(crate) fn new(client: &'a ManagementClient<S>) -> Self {\n        Self { client }\n    }\n\n");
    // Groups with only sub-groups have nothing to run.
    if !api.groups[group].is_empty() {
        let _ = writeln!(
            out,
            "    /// The async group this one runs.\n    pub(crate) fn run(self) -> a::{ty}<'a, S> {{\n        a::{ty}::new(self.client.as_async())\n    }}\n"
        );
    }
    for child in api.children(group) {
        let last = child.last().cloned().unwrap_or_default();
        let child_ty = struct_name(child);
        let _ = writeln!(out, "    /// The `{}` operations.", child.join("."));
        let _ = writeln!(
            out,
            "    pub fn {last}(self) -> {child_ty}<'a, S> {{\n        {child_ty}::new(self.client)\n    }}\n"
        );
    }
    for op in &api.groups[group] {
        emit_op(api, out, group, op);
    }
    out.push_str("}\n\n");
}

fn emit_op(api: &Api<'_>, out: &mut String, group: &[String], op: &Operation) {
    let ty = struct_name(group);
    let mut summary = op.summary.trim().to_owned();
    if !summary.is_empty() && !summary.ends_with(['.', '!', '?', ':']) {
        summary.push('.');
    }
    doc(out, "    ", &summary, &op.id);
    let _ = writeln!(
        out,
        "    ///\n    /// `{} /api/v2{}` (`{}`): blocking form of [`api::{ty}::{}`](a::{ty}::{}), which documents it.",
        op.method, op.path, op.id, op.name, op.name
    );
    // The async method's arguments, in its order: path parameters, query
    // parameters, body.
    let mut params: Vec<String> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for p in &op.path_params {
        params.push(format!("{}: {}", p.ident, api.arg_type(p)));
        names.push(p.ident.clone());
    }
    let path_params = params.clone();
    let path_names = names.clone();
    let params_name = Api::params_name(group, op);
    if !op.query.is_empty() {
        params.push(format!("params: &a::{params_name}"));
        names.push("params".to_owned());
    }
    match &op.body {
        Some(Body::Json { ty, .. }) => {
            let t = match ty {
                Ty::Vec(inner) => format!("[{}]", inner.rust_with("m::")),
                other => other.rust_with("m::"),
            };
            params.push(format!("body: &{t}"));
            names.push("body".to_owned());
        }
        Some(Body::Multipart { schema }) => {
            params.push(format!(
                "body: &m::{}",
                crate::codegen::naming::type_name(schema)
            ));
            names.push("body".to_owned());
        }
        None => {}
    }
    let ret = match &op.response {
        Some(t) => t.rust_with("m::"),
        None => "()".to_owned(),
    };
    let mut sig = vec!["self".to_owned()];
    sig.extend(params);
    let _ = writeln!(
        out,
        "    pub fn {}({}) -> Result<{ret}, Error> {{\n        self.client.block_on(self.run().{}({}))\n    }}\n",
        op.name,
        sig.join(", "),
        op.name,
        names.join(", ")
    );
    let pagings = api.paging(op);
    let both = pagings.len() > 1;
    for paging in &pagings {
        let (pager_name, item, kind) = match paging {
            Paging::Checkpoint { item, .. } if both => {
                (format!("{}_checkpoint_pager", op.name), item, "checkpoint")
            }
            Paging::Checkpoint { item, .. } => (format!("{}_pager", op.name), item, "checkpoint"),
            Paging::Offset { item, .. } => (format!("{}_pager", op.name), item, "offset"),
        };
        let mut sig = vec!["self".to_owned()];
        sig.extend(path_params.iter().cloned());
        sig.push(format!("params: a::{params_name}"));
        let mut args = path_names.clone();
        args.push("params".to_owned());
        let _ = writeln!(
            out,
            "    /// A blocking [`Pager`] over the {kind} pages of [`Self::{}`] (an `Iterator` of items): [`api::{ty}::{pager_name}`](a::{ty}::{pager_name}).",
            op.name
        );
        let _ = writeln!(
            out,
            "    pub fn {pager_name}({}) -> Pager<{}, S> {{\n        self.client.pager(self.run().{pager_name}({}))\n    }}\n",
            sig.join(", "),
            item.rust_with("m::"),
            args.join(", ")
        );
    }
}

/// A test naming every operation's blocking method: it compiles only if
/// each exists, and checks the list against `OPERATIONS`.
fn every_method_test(api: &Api<'_>) -> String {
    let mut out = String::new();
    out.push_str("#[cfg(all(test, feature = \"full\"))]\nmod tests {\n    use crate::client::ManagementService;\n    use crate::generated::OPERATIONS;\n\n");
    out.push_str("    fn methods<S: ManagementService>() -> Vec<&'static str> {\n        vec![\n");
    for op in &api.models.spec.ops {
        let _ = writeln!(
            out,
            "            {{\n                let _ = super::{}::<S>::{};\n                {}\n            }},",
            struct_name(&op.group),
            op.name,
            lit(&op.id)
        );
    }
    out.push_str("        ]\n    }\n\n");
    out.push_str("    #[test]\n    fn every_operation_has_a_blocking_method() {\n        let ids: Vec<&str> = OPERATIONS.iter().map(|o| o.0).collect();\n        assert_eq!(methods::<auth0_core::stack::DefaultService>(), ids);\n    }\n}\n");
    out
}
