//! Emits the resource groups: one struct per group (`Roles`,
//! `UsersRoles`, …), an `async fn` per operation, a `…Params` struct per
//! operation with query parameters, `…_pager` methods for paginated lists,
//! accessors from `ManagementClient` and from parent groups, the
//! operations table and the test-only response decoder.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::codegen::features::{FULL, group_cfg_attr};
use crate::codegen::models::{Models, doc};
use crate::codegen::naming::{lit, pascal};
use crate::codegen::spec::{Body, Kind, Operation, Param, Ty};

/// Query parameters that page a list. They are `u32` in every `…Params`
/// (the spec says `integer`): never negative, at most 100 per page and
/// 1,000 results deep, so `u32` rules out nonsense at compile time and
/// matches `Pager`'s own types; totals in a page (`Page::total`) are
/// `u64`.
const PAGING_PARAMS: &[&str] = &["page", "per_page", "take"];

/// Curated helpers (`src/resources/`) that sit on a generated group as
/// thin functions over its operations: a line for the group's rustdoc.
const CURATED: &[(&str, &str)] = &[
    (
        "connections",
        "Curated helper (`src/resources/connections.rs`): [`Self::all`] (every connection, through checkpoint paging).",
    ),
    (
        "users",
        "Curated helper (`src/resources/users.rs`): [`Self::list_by_email`] (every user with an email address, all fields).",
    ),
];

/// The names of those helpers: no generated method may take them.
const CURATED_NAMES: &[(&str, &[&str])] =
    &[("connections", &["all"]), ("users", &["list_by_email"])];

/// Operations whose operationId named another operation in the 2025
/// description (see `spec/management/README.md`): Auth0 added `PUT`s of the
/// Guardian push-notification providers, gave them the old `set…` ids and
/// renamed the `PATCH`es `update…`. The rustdoc says so, because the same
/// method name now sends a different request.
const CHANGED_IDS: &[(&str, &str)] = &[
    (
        "guardian_factors_pushNotification_setApnsProvider",
        "Since the 2026 API description this sends `PUT` (the whole configuration); until then `set_apns_provider` sent the `PATCH` that is now [`Self::update_apns_provider`].",
    ),
    (
        "guardian_factors_pushNotification_setFcmProvider",
        "Since the 2026 API description this sends `PUT` (the whole configuration); until then `set_fcm_provider` sent the `PATCH` that is now [`Self::update_fcm_provider`].",
    ),
    (
        "guardian_factors_pushNotification_setFcmv1Provider",
        "Since the 2026 API description this sends `PUT` (the whole configuration); until then `set_fcmv1_provider` sent the `PATCH` that is now [`Self::update_fcmv1_provider`].",
    ),
    (
        "guardian_factors_pushNotification_updateApnsProvider",
        "Until the 2026 API description this `PATCH` was `set_apns_provider` (which now sends `PUT`).",
    ),
    (
        "guardian_factors_pushNotification_updateFcmProvider",
        "Until the 2026 API description this `PATCH` was `set_fcm_provider` (which now sends `PUT`).",
    ),
    (
        "guardian_factors_pushNotification_updateFcmv1Provider",
        "Until the 2026 API description this `PATCH` was `set_fcmv1_provider` (which now sends `PUT`).",
    ),
];

/// Lists the description answers with a bare array although Auth0 pages
/// them by checkpoint (`from`/`take`): operationId → the items' key in the
/// page object. The 2026 description and its wiremock stubs give
/// `GET /event-streams/{id}/deliveries` a bare array of deliveries, while
/// node-auth0 (v6.4) and go-auth0 read `{"deliveries": [...], "next":
/// "<cursor>"}` and send `next` back as `from`. The generated `list` and
/// `list_pager` read both: the array is one page without a cursor.
const ARRAY_CHECKPOINT_LISTS: &[(&str, &str)] = &[("eventStreams_deliveries_list", "deliveries")];

/// How a list operation pages.
pub(crate) enum Paging {
    Offset { key: String, item: Ty },
    Checkpoint { key: String, item: Ty },
}

pub(crate) struct Api<'a> {
    pub(crate) models: &'a Models<'a>,
    /// Group path → its operations (every prefix of a path is a group).
    pub(crate) groups: BTreeMap<Vec<String>, Vec<&'a Operation>>,
    /// operationId → release lifecycle (`GA`, `EA`, `beta`).
    lifecycle: &'a BTreeMap<String, String>,
}

pub(crate) fn struct_name(group: &[String]) -> String {
    pascal(&group.join("_"))
}

impl<'a> Api<'a> {
    pub(crate) fn new(models: &'a Models<'a>, lifecycle: &'a BTreeMap<String, String>) -> Self {
        let mut groups: BTreeMap<Vec<String>, Vec<&Operation>> = BTreeMap::new();
        for op in &models.spec.ops {
            for len in 1..=op.group.len() {
                groups.entry(op.group[..len].to_vec()).or_default();
            }
            if let Some(list) = groups.get_mut(&op.group) {
                list.push(op);
            }
        }
        Api {
            models,
            groups,
            lifecycle,
        }
    }

    /// The Rust name of a group's struct.
    fn group_type(group: &[String]) -> String {
        struct_name(group)
    }

    pub(crate) fn children(&self, group: &[String]) -> Vec<&Vec<String>> {
        self.groups
            .keys()
            .filter(|k| k.len() == group.len() + 1 && k.starts_with(group))
            .collect()
    }

    /// How a list operation pages: none, offset, checkpoint, or both (the
    /// 2026 description lets many lists choose with their query: offset
    /// with `page`/`per_page`, checkpoint with `from`/`take`).
    pub(crate) fn paging(&self, op: &Operation) -> Vec<Paging> {
        let has = |n: &str| op.query.iter().any(|p| p.name == n);
        if let Some(Ty::Vec(item)) = &op.response {
            let key = ARRAY_CHECKPOINT_LISTS
                .iter()
                .find(|(id, _)| *id == op.id)
                .map(|(_, key)| *key);
            return match key {
                Some(key) if has("from") && has("take") => vec![Paging::Checkpoint {
                    key: key.to_owned(),
                    item: (**item).clone(),
                }],
                _ => Vec::new(),
            };
        }
        let Some(Ty::Named(resp)) = &op.response else {
            return Vec::new();
        };
        let Some(schema) = self.schema(resp) else {
            return Vec::new();
        };
        // One page object, or (2026) a `oneOf` of the bare array and the
        // page objects: each member with one array of the same items pages.
        let members: Vec<&serde_json::Value> = match schema["oneOf"].as_array() {
            Some(list) => list
                .iter()
                .filter_map(
                    |m| match m.get("$ref").and_then(serde_json::Value::as_str) {
                        Some(r) => self
                            .models
                            .spec
                            .schemas
                            .get(r.rsplit('/').next().unwrap_or_default()),
                        None => None,
                    },
                )
                .collect(),
            None => vec![schema],
        };
        let mut out = Vec::new();
        let mut offset_done = false;
        let mut checkpoint_done = false;
        for member in members {
            let Some(props) = member["properties"].as_object() else {
                continue;
            };
            let arrays: Vec<(&String, &serde_json::Value)> =
                props.iter().filter(|(_, p)| p["type"] == "array").collect();
            let [(key, prop)] = arrays.as_slice() else {
                continue;
            };
            let item = match self.models.types.ty(prop) {
                Ty::Vec(t) => *t,
                _ => continue,
            };
            let checkpoint_shape = props.contains_key("next");
            let offset_shape =
                !checkpoint_shape || props.contains_key("start") || props.contains_key("total");
            if !offset_done && offset_shape && has("page") && has("per_page") {
                offset_done = true;
                out.push(Paging::Offset {
                    key: (*key).clone(),
                    item: item.clone(),
                });
            }
            if !checkpoint_done && checkpoint_shape && has("from") && has("take") {
                checkpoint_done = true;
                out.push(Paging::Checkpoint {
                    key: (*key).clone(),
                    item,
                });
            }
        }
        out
    }

    /// The spec schema of a generated type.
    fn schema(&self, rust: &str) -> Option<&'a serde_json::Value> {
        self.models
            .spec
            .schemas
            .iter()
            .find(|(k, _)| crate::codegen::naming::type_name(k) == rust)
            .map(|(_, v)| v)
    }

    /// True when the response type is a `oneOf` (the 2026 list answers: the
    /// bare array or a page object), which decodes every answer itself.
    pub(crate) fn union_response(&self, op: &Operation) -> bool {
        match &op.response {
            Some(Ty::Named(n)) => self.schema(n).is_some_and(|s| s.get("oneOf").is_some()),
            _ => false,
        }
    }

    /// Files under `api/`: stem → code; plus `mod.rs`.
    pub(crate) fn emit(&self) -> BTreeMap<String, String> {
        let mut files = BTreeMap::new();
        let mut mod_rs = String::new();
        mod_rs.push_str(
            "//! The resource groups of the Management API, one module per top-level group.\n\n",
        );
        let tops: Vec<&Vec<String>> = self.groups.keys().filter(|k| k.len() == 1).collect();
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
        mod_rs.push_str("\n#[allow(unused_imports)]\nuse crate::client::{ManagementClient, ManagementService};\n\n");
        mod_rs.push_str("impl<S: ManagementService> ManagementClient<S> {\n");
        for top in &tops {
            let name = struct_name(top);
            let _ = writeln!(mod_rs, "    /// The `{}` operations: [`{name}`].", top[0]);
            let _ = writeln!(
                mod_rs,
                "    ///\n    /// Needs the `{}` feature (on by default).\n    {}",
                top[0],
                group_cfg_attr(&top[0])
            );
            let _ = writeln!(
                mod_rs,
                "    pub fn {}(&self) -> {name}<'_, S> {{\n        {name}::new(self)\n    }}\n",
                top[0]
            );
        }
        mod_rs.push_str("}\n");
        files.insert("mod".to_owned(), mod_rs);
        for top in tops {
            files.insert(top[0].clone(), self.emit_top(top));
        }
        files
    }

    fn emit_top(&self, top: &[String]) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "//! The `{}` group and its sub-groups.\n", top[0]);
        out.push_str("#![allow(unused_imports)]\n\n");
        out.push_str("use std::collections::BTreeMap;\n\nuse serde_json::{Map, Value};\n\n");
        out.push_str("use crate::client::{ManagementClient, ManagementService};\nuse crate::error::Error;\nuse crate::generated::models as m;\nuse crate::model_support::multipart;\nuse crate::pagination::Pager;\nuse crate::request::{ApiPath, ApiRequest, Query, QueryParams};\n\n");
        let groups: Vec<&Vec<String>> = self.groups.keys().filter(|k| k.starts_with(top)).collect();
        for g in groups {
            self.emit_group(&mut out, g);
        }
        out
    }

    fn emit_group(&self, out: &mut String, group: &[String]) {
        let ty = Self::group_type(group);
        let ops = &self.groups[group];
        let chain: String = group.iter().map(|g| format!(".{g}()")).collect();
        let _ = writeln!(
            out,
            "/// The `{}` operations; from `auth0{chain}`.",
            group.join(".")
        );
        out.push_str("///\n/// The handle is `Copy`; its methods take it by value, so their futures borrow only the client.\n");
        if let Some((_, note)) = CURATED.iter().find(|(g, _)| *g == group.join(".")) {
            let _ = writeln!(out, "///\n/// {note}");
        }
        if group.len() == 1 {
            self.example(out, group);
        }
        // `client` is visible to the crate so the curated helpers
        // (`resources`) can sit on the same handle.
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
        let mut names: BTreeSet<String> = BTreeSet::new();
        names.insert("new".to_owned());
        if let Some((_, helpers)) = CURATED_NAMES.iter().find(|(g, _)| *g == group.join(".")) {
            for n in *helpers {
                names.insert((*n).to_owned());
            }
        }
        for child in self.children(group) {
            let last = child.last().cloned().unwrap_or_default();
            assert_unique(&mut names, &last, &child.join("."));
            let child_ty = struct_name(child);
            let _ = writeln!(out, "    /// The `{}` operations.", child.join("."));
            let _ = writeln!(
                out,
                "    pub fn {last}(self) -> {child_ty}<'a, S> {{\n        {child_ty}::new(self.client)\n    }}\n"
            );
        }
        let mut params = String::new();
        for op in ops {
            assert_unique(&mut names, &op.name, &op.id);
            self.emit_op(out, &mut params, group, op);
        }
        out.push_str("}\n\n");
        out.push_str(&params);
    }

    pub(crate) fn params_name(group: &[String], op: &Operation) -> String {
        format!("{}{}Params", struct_name(group), pascal(&op.name))
    }

    fn path_expr(op: &Operation) -> String {
        let mut expr = String::new();
        for (i, seg) in op.path.trim_start_matches('/').split('/').enumerate() {
            let value = match seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => {
                    let p = op.path_params.iter().find(|p| p.name == name);
                    match p {
                        Some(p) if matches!(p.ty, Ty::Named(_)) => format!("{}.as_str()", p.ident),
                        Some(p) => p.ident.clone(),
                        None => lit(name),
                    }
                }
                None => lit(seg),
            };
            if i == 0 {
                let _ = write!(expr, "ApiPath::new({value})");
            } else {
                let _ = write!(expr, ".segment({value})");
            }
        }
        expr
    }

    /// `.operation(id, template)`: the span of the call names the
    /// operation and its path template, never the ids in the path.
    fn operation_expr(op: &Operation) -> String {
        format!(
            ".operation({}, {})",
            lit(&op.id),
            lit(&format!("/api/v2{}", op.path))
        )
    }

    pub(crate) fn arg_type(&self, p: &Param) -> String {
        match &p.ty {
            Ty::Named(n) if self.models.types.kind(&spec_of(self, n)) == Kind::Enum => {
                format!("&m::{n}")
            }
            _ => "&str".to_owned(),
        }
    }

    fn emit_op(&self, out: &mut String, params_out: &mut String, group: &[String], op: &Operation) {
        let mut text = op.summary.trim().to_owned();
        if !text.is_empty() && !text.ends_with(['.', '!', '?', ':']) {
            text.push('.');
        }
        if !op.description.is_empty() && op.description != op.summary {
            text.push_str("\n\n");
            text.push_str(&op.description);
        }
        doc(out, "    ", &text, &op.id);
        let _ = writeln!(
            out,
            "    ///\n    /// `{} /api/v2{}` (`{}`).",
            op.method, op.path, op.id
        );
        match self.lifecycle.get(&op.id).map(String::as_str) {
            Some("GA") => out.push_str("    ///\n    /// Lifecycle: generally available.\n"),
            Some("EA") => out.push_str("    ///\n    /// Lifecycle: **early access** — the tenant must be enabled for it, and the API may still change.\n"),
            Some("beta") => out.push_str("    ///\n    /// Lifecycle: **beta** — the tenant must be enabled for it, and the API may change or go away.\n"),
            Some(other) => {
                let _ = writeln!(out, "    ///\n    /// Lifecycle: {other}.");
            }
            None => {}
        }
        if let Some((_, note)) = CHANGED_IDS.iter().find(|(id, _)| *id == op.id) {
            let _ = writeln!(out, "    ///\n    /// {note}");
        }
        if let Some((_, key)) = ARRAY_CHECKPOINT_LISTS.iter().find(|(id, _)| *id == op.id) {
            let _ = writeln!(
                out,
                "    ///\n    /// Reads the bare array the API description gives and the checkpoint page `{{\"{key}\": [...], \"next\": \"…\"}}` Auth0's SDKs read (the items of either); [`Self::{}_pager`] follows `next` as `from`.",
                op.name
            );
        }
        let mut args: Vec<String> = vec!["self".to_owned()];
        for p in &op.path_params {
            args.push(format!("{}: {}", p.ident, self.arg_type(p)));
        }
        let params_name = Self::params_name(group, op);
        if !op.query.is_empty() {
            args.push(format!("params: &{params_name}"));
            self.emit_params(params_out, &params_name, op);
        }
        let mut body_stmt = String::new();
        match &op.body {
            Some(Body::Json { ty, .. }) => {
                let t = match ty {
                    Ty::Vec(inner) => format!("[{}]", inner.rust_with("m::")),
                    other => other.rust_with("m::"),
                };
                args.push(format!("body: &{t}"));
                body_stmt = ".json(body)?".to_owned();
            }
            Some(Body::Multipart { schema }) => {
                args.push(format!(
                    "body: &m::{}",
                    crate::codegen::naming::type_name(schema)
                ));
            }
            None => {}
        }
        let pagings = self.paging(op);
        let paging = if self.union_response(op) {
            None
        } else {
            pagings.first()
        };
        let ret = match &op.response {
            Some(t) => t.rust_with("m::"),
            None => "()".to_owned(),
        };
        let method = op.method.to_ascii_lowercase();
        let query = if op.query.is_empty() {
            ""
        } else {
            ".params(params)"
        };
        let _ = writeln!(
            out,
            "    pub async fn {}({}) -> Result<{ret}, Error> {{",
            op.name,
            args.join(", ")
        );
        let _ = writeln!(
            out,
            "        let request = ApiRequest::{method}({}){}{query}{body_stmt};",
            Self::path_expr(op),
            Self::operation_expr(op)
        );
        match (&op.body, &op.response, paging) {
            (Some(Body::Multipart { schema }), _, _) => {
                let files: Vec<String> = self.models.spec.schemas[schema]["properties"]
                    .as_object()
                    .into_iter()
                    .flatten()
                    .filter(|(_, p)| p["format"] == "binary")
                    .map(|(k, _)| lit(k))
                    .collect();
                let _ = writeln!(
                    out,
                    "        let (content_type, bytes) = multipart(body, &[{}])?;",
                    files.join(", ")
                );
                if op.response.is_some() {
                    out.push_str("        Ok(self.client.execute_multipart(request, &content_type, bytes).await?.data)\n");
                } else {
                    out.push_str("        self.client.execute_multipart::<Value>(request, &content_type, bytes).await.map(|_| ())\n");
                }
            }
            (_, None, _) => {
                out.push_str("        self.client.execute_empty(request).await.map(|_| ())\n")
            }
            (_, Some(Ty::Vec(_)), Some(Paging::Checkpoint { key, .. })) => {
                // A bare array (the description), or a checkpoint page
                // object whose items are under `key` (what Auth0's SDKs read).
                let _ = writeln!(
                    out,
                    "        Ok(self.client.execute_items(request, {}).await?.data)",
                    lit(key)
                );
            }
            (_, Some(_), Some(Paging::Offset { key, .. } | Paging::Checkpoint { key, .. })) => {
                // A page object, or the bare array Auth0 answers when no
                // paging parameter asks for the object.
                let _ = writeln!(
                    out,
                    "        Ok(self.client.execute_list(request, {}).await?.data)",
                    lit(key)
                );
            }
            (_, Some(_), _) => {
                // The model alone (no `ApiResponse` around it to move).
                out.push_str("        self.client.execute_data(request).await\n")
            }
        }
        out.push_str("    }\n\n");
        let both = pagings.len() > 1;
        for paging in &pagings {
            let path_args: Vec<String> = op
                .path_params
                .iter()
                .map(|p| format!("{}: {}", p.ident, self.arg_type(p)))
                .collect();
            let mut sig = vec!["self".to_owned()];
            sig.extend(path_args);
            sig.push(format!("params: {params_name}"));
            let pager_name = match paging {
                Paging::Checkpoint { .. } if both => format!("{}_checkpoint_pager", op.name),
                _ => format!("{}_pager", op.name),
            };
            let (item, key, make) = match paging {
                Paging::Offset { key, item } => (
                    item,
                    key,
                    format!(
                        "Pager::offset(self.client.clone(), request, {}, params.page.unwrap_or(0), params.per_page.unwrap_or({}))",
                        lit(key),
                        default_page_size(op, "per_page")
                    ),
                ),
                Paging::Checkpoint { key, item } => (
                    item,
                    key,
                    format!(
                        "Pager::checkpoint(self.client.clone(), request, {}, params.from.clone(), params.take.unwrap_or({}))",
                        lit(key),
                        default_page_size(op, "take")
                    ),
                ),
            };
            let kind = if matches!(paging, Paging::Offset { .. }) {
                "offset (`page`/`per_page`, totals requested)"
            } else {
                "checkpoint (`from`/`take`)"
            };
            let _ = writeln!(
                out,
                "    /// A [`Pager`] over the `{key}` of [`Self::{}`]: {kind} pages, starting where `params` says.",
                op.name
            );
            let _ = writeln!(
                out,
                "    pub fn {pager_name}({}) -> Pager<{}, S> {{",
                sig.join(", "),
                item.rust_with("m::")
            );
            let _ = writeln!(
                out,
                "        let request = ApiRequest::{method}({}){}.params(&params);",
                Self::path_expr(op),
                Self::operation_expr(op)
            );
            let _ = writeln!(out, "        {make}\n    }}\n");
        }
    }

    fn query_ty(&self, p: &Param) -> (String, String) {
        // (stored type, setter argument type)
        match &p.ty {
            Ty::Vec(inner) => {
                let t = inner.rust_with("m::");
                (format!("Vec<{t}>"), t)
            }
            Ty::I64 if PAGING_PARAMS.contains(&p.name.as_str()) => {
                ("u32".to_owned(), "u32".to_owned())
            }
            other => {
                let t = other.rust_with("m::");
                (t.clone(), t)
            }
        }
    }

    fn emit_params(&self, out: &mut String, name: &str, op: &Operation) {
        let required: Vec<&Param> = op.query.iter().filter(|p| p.required).collect();
        let _ = writeln!(
            out,
            "/// Query parameters of `{} {}` (`{}`).",
            op.method, op.path, op.id
        );
        if required.is_empty() {
            out.push_str("#[derive(Debug, Clone, Default, PartialEq)]\n");
        } else {
            out.push_str("#[derive(Debug, Clone, PartialEq)]\n");
        }
        let _ = writeln!(out, "#[must_use]\npub struct {name} {{");
        for p in &op.query {
            let (stored, _) = self.query_ty(p);
            if p.required || matches!(p.ty, Ty::Vec(_)) {
                let _ = writeln!(out, "    {}: {stored},", p.ident);
            } else {
                let _ = writeln!(out, "    {}: Option<{stored}>,", p.ident);
            }
        }
        out.push_str("}\n\n");
        let _ = writeln!(out, "impl {name} {{");
        if required.is_empty() {
            out.push_str("    /// No parameters set.\n    pub fn new() -> Self {\n        Self::default()\n    }\n");
        } else {
            out.push_str("    /// The required parameters.\n");
            let args: Vec<String> = required
                .iter()
                .map(|p| format!("{}: impl Into<{}>", p.ident, self.query_ty(p).0))
                .collect();
            let _ = writeln!(
                out,
                "    pub fn new({}) -> Self {{\n        Self {{",
                args.join(", ")
            );
            for p in &op.query {
                if p.required {
                    let _ = writeln!(out, "            {}: {}.into(),", p.ident, p.ident);
                } else if matches!(p.ty, Ty::Vec(_)) {
                    let _ = writeln!(out, "            {}: Vec::new(),", p.ident);
                } else {
                    let _ = writeln!(out, "            {}: None,", p.ident);
                }
            }
            out.push_str("        }\n    }\n");
        }
        for p in op.query.iter().filter(|p| !p.required) {
            out.push('\n');
            doc(out, "    ", &p.doc, &format!("Sets `{}`.", p.name));
            let (_, arg) = self.query_ty(p);
            let setter = if p.ident == "new" {
                "set_new".to_owned()
            } else {
                p.ident.clone()
            };
            if matches!(p.ty, Ty::Vec(_)) {
                out.push_str("    ///\n    /// Repeatable: each call adds one value (sent as a repeated key).\n");
                let _ = writeln!(
                    out,
                    "    pub fn {setter}(mut self, value: impl Into<{arg}>) -> Self {{\n        self.{}.push(value.into());\n        self\n    }}",
                    p.ident
                );
                // Every array parameter holds strings or string enums, both
                // `From<&str>`: a slice of anything string-like sets them all.
                let _ = writeln!(
                    out,
                    "\n    /// Adds every value of `values` to `{}` (sent as repeated keys): `&[\"a\", \"b\"]`, `&vec_of_strings`, ….\n    pub fn {setter}_all(mut self, values: &[impl AsRef<str>]) -> Self {{\n        self.{}.extend(values.iter().map(|v| {arg}::from(v.as_ref())));\n        self\n    }}",
                    p.name, p.ident
                );
            } else if matches!(p.ty, Ty::I64) && PAGING_PARAMS.contains(&p.name.as_str()) {
                // A plain `u32`, so `per_page(100)` infers the literal.
                let _ = writeln!(
                    out,
                    "    pub fn {setter}(mut self, value: u32) -> Self {{\n        self.{} = Some(value);\n        self\n    }}",
                    p.ident
                );
            } else {
                let _ = writeln!(
                    out,
                    "    pub fn {setter}(mut self, value: impl Into<{arg}>) -> Self {{\n        self.{} = Some(value.into());\n        self\n    }}",
                    p.ident
                );
            }
        }
        out.push_str("}\n\n");
        let _ = writeln!(
            out,
            "impl QueryParams for {name} {{\n    fn append_to(&self, query: &mut Query) {{"
        );
        for p in &op.query {
            let key = lit(&p.name);
            let expr = match (&p.ty, p.required) {
                (Ty::Vec(_), _) => format!("query.push_all({key}, &self.{});", p.ident),
                (Ty::String, true) => format!("query.push({key}, &self.{});", p.ident),
                (_, true) => format!("query.push({key}, &self.{});", p.ident),
                (Ty::String, false) => {
                    format!("query.push_opt({key}, self.{}.as_deref());", p.ident)
                }
                (Ty::Named(_), false) => {
                    format!("query.push_opt({key}, self.{}.as_ref());", p.ident)
                }
                (_, false) => format!("query.push_opt({key}, self.{});", p.ident),
            };
            let _ = writeln!(out, "        {expr}");
        }
        out.push_str("    }\n}\n\n");
    }

    /// A compiled `no_run` example for a top-level group: the simplest
    /// operation of the group (or of a sub-group) that needs no body.
    fn example(&self, out: &mut String, top: &[String]) {
        let mut best: Option<(usize, String)> = None;
        for (g, ops) in self.groups.iter().filter(|(k, _)| k.starts_with(top)) {
            for op in ops {
                if op.body.is_some()
                    || op.query.iter().any(|p| p.required)
                    || op.path_params.iter().any(|p| !matches!(p.ty, Ty::String))
                {
                    continue;
                }
                let rank = g.len() * 10
                    + match op.name.as_str() {
                        "list" => 0,
                        "get" => 1,
                        _ => 5,
                    }
                    + op.path_params.len();
                let chain: String = g.iter().map(|s| format!(".{s}()")).collect();
                let mut args: Vec<String> = op.path_params.iter().map(|p| lit(&p.ident)).collect();
                if !op.query.is_empty() {
                    args.push(format!(
                        "&auth0_management::api::{}::new()",
                        Self::params_name(g, op)
                    ));
                }
                let call = format!("auth0{chain}.{}({})", op.name, args.join(", "));
                if best.as_ref().is_none_or(|(r, _)| rank < *r) {
                    best = Some((rank, call));
                }
            }
        }
        out.push_str("///\n/// ```no_run\n/// # async fn example(auth0: auth0_management::ManagementClient) -> Result<(), auth0_management::Error> {\n");
        match best {
            Some((_, call)) => {
                let _ = writeln!(
                    out,
                    "/// let answer = {call}.await?;\n/// # let _ = answer;"
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "/// let group = auth0.{}();\n/// # let _ = group;",
                    top[0]
                );
            }
        }
        out.push_str("/// # Ok(()) }\n/// ```\n");
    }

    /// `generated/mod.rs`'s tables: every operation, and a decoder from
    /// operation id to response type for the stub tests.
    pub(crate) fn tables(&self) -> String {
        let mut out = String::new();
        out.push_str("/// Every operation of the Management API v2 as (`operationId`, HTTP method, path template), sorted by id. Each is reachable through a typed method: `users_roles_list` is `auth0.users().roles().list(…)`.\n");
        out.push_str("pub const OPERATIONS: &[(&str, &str, &str)] = &[\n");
        for op in &self.models.spec.ops {
            let _ = writeln!(
                out,
                "    ({}, {}, {}),",
                lit(&op.id),
                lit(&op.method),
                lit(&op.path)
            );
        }
        out.push_str("];\n\n");
        out.push_str("/// Decodes `body` into the response type of `operation_id` and encodes it again: `None` for an unknown id (or one whose group's feature is off), `Some(Ok(None))` for an operation without a response body. For the stub tests.\n///\n/// Generic so that its (large) code is only built by the tests that call it.\n");
        out.push_str("#[doc(hidden)]\n#[allow(unused_variables)]\npub fn round_trip_response<B: AsRef<str> + ?Sized>(operation_id: &str, body: &B) -> Option<Result<Option<Value>, serde_json::Error>> {\n");
        out.push_str("    #[allow(dead_code)]\n    fn round<T: DeserializeOwned + Serialize>(body: &str) -> Result<Option<Value>, serde_json::Error> {\n        let decoded: T = serde_json::from_str(body)?;\n        serde_json::to_value(&decoded).map(Some)\n    }\n    let body = body.as_ref();\n");
        out.push_str("    Some(match operation_id {\n");
        for op in &self.models.spec.ops {
            let _ = writeln!(out, "        {}", group_cfg_attr(&op.group[0]));
            match &op.response {
                Some(t) => {
                    let _ = writeln!(
                        out,
                        "        {} => round::<{}>(body),",
                        lit(&op.id),
                        t.rust_with("models::")
                    );
                }
                None => {
                    let _ = writeln!(out, "        {} => Ok(None),", lit(&op.id));
                }
            }
        }
        out.push_str("        _ => return None,\n    })\n}\n\n");
        // A unit test naming every operation's method: it compiles only if
        // each exists, and checks the list against `OPERATIONS`.
        let _ = writeln!(out, "#[cfg(all(test, feature = {}))]", lit(FULL));
        out.push_str("mod tests {\n    use super::OPERATIONS;\n    use crate::client::ManagementService;\n\n");
        out.push_str(
            "    fn methods<S: ManagementService>() -> Vec<&'static str> {\n        vec![\n",
        );
        for op in &self.models.spec.ops {
            let ty = format!("crate::api::{}", Self::group_type(&op.group));
            let method = &op.name;
            let _ = writeln!(
                out,
                "            {{\n                let _ = {ty}::<S>::{method};\n                {}\n            }},",
                lit(&op.id)
            );
        }
        out.push_str("        ]\n    }\n\n");
        out.push_str("    #[test]\n    fn every_operation_has_a_method() {\n        let ids: Vec<&str> = OPERATIONS.iter().map(|o| o.0).collect();\n        assert_eq!(methods::<auth0_core::stack::DefaultService>(), ids);\n        assert_eq!(ids.len(), 452);\n    }\n}\n");
        out
    }
}

fn spec_of(api: &Api<'_>, rust: &str) -> String {
    api.models
        .spec
        .schemas
        .keys()
        .find(|k| crate::codegen::naming::type_name(k) == rust)
        .cloned()
        .unwrap_or_default()
}

fn assert_unique(names: &mut BTreeSet<String>, name: &str, id: &str) {
    if !names.insert(name.to_owned()) {
        eprintln!(
            "xtask: codegen: method `{name}` of `{id}` clashes with another method of its group"
        );
    }
}

/// The page size a pager asks for when the caller sets none: 50, or less
/// when the parameter's description names a smaller maximum (the 2026
/// description states bounds in prose only: `/users/{id}/connected-accounts`'
/// `take` says "Defaults to 10 with a maximum of 20", and Auth0 refuses a
/// larger one).
fn default_page_size(op: &Operation, param: &str) -> u32 {
    const DEFAULT: u32 = 50;
    op.query
        .iter()
        .find(|p| p.name == param)
        .and_then(|p| stated_maximum(&p.doc))
        .map_or(DEFAULT, |max| max.clamp(1, DEFAULT))
}

/// The number after "maximum", "maximum of" or "max" in a parameter's
/// description, if any.
fn stated_maximum(doc: &str) -> Option<u32> {
    let lower = doc.to_ascii_lowercase();
    let (_, after) = lower.split_once("max")?;
    let after = after.strip_prefix("imum").unwrap_or(after).trim_start();
    let after = after.strip_prefix("of").unwrap_or(after).trim_start();
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod page_size_tests {
    use super::stated_maximum;

    #[test]
    fn the_maximum_a_description_states_is_read() {
        assert_eq!(
            stated_maximum("Number of results to return.  Defaults to 10 with a maximum of 20"),
            Some(20)
        );
        assert_eq!(
            stated_maximum("Number of experiments to return per page. Defaults to 25, maximum 50."),
            Some(50)
        );
        assert_eq!(stated_maximum("Results per page. Max 100."), Some(100));
        assert_eq!(
            stated_maximum(
                "The maximum number of results to be returned by the server. 20 by default"
            ),
            None
        );
        assert_eq!(
            stated_maximum("Number of results per page. Defaults to 5."),
            None
        );
    }
}
