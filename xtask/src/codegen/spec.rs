//! Reading the OpenAPI description into the generator's model: named
//! schemas (with request bodies that the spec writes inline given names),
//! operations with their parameters, bodies and responses, and the Rust
//! type each schema maps to.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::codegen::naming::{ident, snake, type_name};

/// A Rust type expression the generator emits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Ty {
    String,
    I64,
    F64,
    Bool,
    /// Any JSON value.
    Value,
    /// A free-form JSON object.
    Map,
    Vec(Box<Ty>),
    /// An object whose values all have one type.
    StrMap(Box<Ty>),
    /// A generated model (struct, enum or union) by Rust name.
    Named(String),
}

impl Ty {
    /// The type as Rust source (models are in scope as `super::X` users
    /// import; `Map`/`Value` from serde_json).
    pub(crate) fn rust(&self) -> String {
        self.rust_with("")
    }

    /// The type as Rust source with models named through `prefix`
    /// (e.g. `m::`).
    pub(crate) fn rust_with(&self, prefix: &str) -> String {
        match self {
            Ty::String => "String".to_owned(),
            Ty::I64 => "i64".to_owned(),
            Ty::F64 => "f64".to_owned(),
            Ty::Bool => "bool".to_owned(),
            Ty::Value => "Value".to_owned(),
            Ty::Map => "Map<String, Value>".to_owned(),
            Ty::Vec(t) => format!("Vec<{}>", t.rust_with(prefix)),
            Ty::StrMap(t) => format!("BTreeMap<String, {}>", t.rust_with(prefix)),
            Ty::Named(n) => format!("{prefix}{n}"),
        }
    }

    /// Free-form JSON somewhere at the top (shown by keys only).
    pub(crate) fn is_free_form(&self) -> bool {
        match self {
            Ty::Value | Ty::Map | Ty::StrMap(_) => true,
            Ty::Vec(t) => t.is_free_form(),
            _ => false,
        }
    }
}

/// What a named schema becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Struct,
    Enum,
    Union,
    Alias,
}

/// Where a parameter goes.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    /// The name on the wire.
    pub(crate) name: String,
    /// The Rust identifier.
    pub(crate) ident: String,
    pub(crate) ty: Ty,
    pub(crate) required: bool,
    pub(crate) doc: String,
}

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    Json {
        ty: Ty,
        schema: String,
    },
    /// `multipart/form-data`; the named schema's fields become form parts.
    Multipart {
        schema: String,
    },
}

/// One operation of the API.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub(crate) id: String,
    /// Upper-case HTTP method.
    pub(crate) method: String,
    pub(crate) path: String,
    /// The resource group path, snake case (`["users", "roles"]`).
    pub(crate) group: Vec<String>,
    /// The method name, snake case.
    pub(crate) name: String,
    pub(crate) summary: String,
    pub(crate) description: String,
    pub(crate) path_params: Vec<Param>,
    pub(crate) query: Vec<Param>,
    pub(crate) body: Option<Body>,
    /// `None` for `204` answers.
    pub(crate) response: Option<Ty>,
}

/// The whole description as the generator uses it.
#[derive(Debug)]
pub(crate) struct Spec {
    /// Schemas by spec name: the components plus named inline bodies.
    pub(crate) schemas: BTreeMap<String, Value>,
    pub(crate) ops: Vec<Operation>,
}

const METHODS: &[&str] = &["get", "post", "put", "patch", "delete"];

/// The 2026 description (written by a newer Fern) names every constant
/// field as a one-value enum schema (`"type": {"$ref": "…Type"}` with
/// `"enum": ["ACTIVECAMPAIGN"]`) where the older one wrote it inline as
/// `"const"`. A *required* property of that kind is a constant again, so
/// it is filled in by `new` and tells `oneOf` members apart when decoding.
/// Optional ones stay enums (Auth0 may add values).
fn inline_constants(schemas: &mut BTreeMap<String, Value>) {
    let single: BTreeMap<String, String> = schemas
        .iter()
        .filter_map(|(name, s)| match s["enum"].as_array().map(Vec::as_slice) {
            Some([Value::String(v)]) if s["type"] == "string" => Some((name.clone(), v.clone())),
            _ => None,
        })
        .collect();
    for schema in schemas.values_mut() {
        let required: Vec<String> = schema["required"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect();
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            continue;
        };
        for name in &required {
            let Some(prop) = props.get_mut(name) else {
                continue;
            };
            let target = ref_name(prop).and_then(|r| single.get(r)).cloned();
            if let Some(value) = target {
                *prop = serde_json::json!({ "type": "string", "const": value });
            }
        }
    }
}

impl Spec {
    pub(crate) fn load(text: &str) -> Result<Spec, String> {
        let root: Value =
            serde_json::from_str(text).map_err(|e| format!("the spec is not JSON: {e}"))?;
        let mut schemas: BTreeMap<String, Value> = root["components"]["schemas"]
            .as_object()
            .ok_or("the spec has no components.schemas")?
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        inline_constants(&mut schemas);
        let paths = root["paths"].as_object().ok_or("the spec has no paths")?;
        let mut ops = Vec::new();
        let mut raw_ops = Vec::new();
        for (path, item) in paths {
            for method in METHODS {
                if let Some(op) = item.get(*method) {
                    raw_ops.push((path.clone(), method.to_ascii_uppercase(), op.clone()));
                }
            }
        }
        // Name the inline request bodies first, so types can be resolved.
        let mut body_names: BTreeMap<String, String> = BTreeMap::new();
        for (_, _, op) in &raw_ops {
            let id = op["operationId"]
                .as_str()
                .ok_or("an operation has no operationId")?;
            let Some(content) = op["requestBody"]["content"].as_object() else {
                continue;
            };
            let Some((_, media)) = content.iter().next() else {
                continue;
            };
            let schema = &media["schema"];
            if schema.get("$ref").is_some() {
                continue;
            }
            let name = body_name(id, op, &schemas);
            schemas.insert(name.clone(), schema.clone());
            body_names.insert(id.to_owned(), name);
        }
        let types = Types { schemas: &schemas };
        for (path, method, op) in &raw_ops {
            ops.push(types.operation(path, method, op, &body_names)?);
        }
        ops.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Spec { schemas, ops })
    }

    pub(crate) fn types(&self) -> Types<'_> {
        Types {
            schemas: &self.schemas,
        }
    }
}

/// A name for an inline request body: the response's `…ResponseContent`
/// name with `Request`, else `<OperationId>RequestContent`.
fn body_name(id: &str, op: &Value, schemas: &BTreeMap<String, Value>) -> String {
    let from_response = op["responses"]
        .as_object()
        .into_iter()
        .flat_map(|r| r.iter())
        .filter(|(code, _)| code.starts_with('2'))
        .filter_map(|(_, r)| r["content"]["application/json"]["schema"]["$ref"].as_str())
        .filter_map(|r| r.rsplit('/').next())
        .filter_map(|n| n.strip_suffix("ResponseContent"))
        .map(|stem| format!("{stem}RequestContent"))
        .next();
    if let Some(name) = from_response
        && !schemas.contains_key(&name)
    {
        return name;
    }
    let mut name = crate::codegen::naming::pascal(id);
    name.push_str("RequestContent");
    while schemas.contains_key(&name) {
        name.push('_');
    }
    name
}

/// Resolves schemas to Rust types.
#[derive(Clone, Copy)]
pub(crate) struct Types<'a> {
    pub(crate) schemas: &'a BTreeMap<String, Value>,
}

/// The schema name a `$ref` points to.
pub(crate) fn ref_name(schema: &Value) -> Option<&str> {
    schema.get("$ref")?.as_str()?.rsplit('/').next()
}

impl<'a> Types<'a> {
    pub(crate) fn kind(&self, name: &str) -> Kind {
        kind_of(self.schemas.get(name).unwrap_or(&Value::Null))
    }

    /// The Rust type of a schema; aliases are resolved to their target.
    pub(crate) fn ty(&self, schema: &Value) -> Ty {
        self.ty_depth(schema, 0)
    }

    fn ty_depth(&self, schema: &Value, depth: usize) -> Ty {
        if depth > 32 {
            return Ty::Value;
        }
        if let Some(name) = ref_name(schema) {
            return match self.schemas.get(name) {
                Some(target) if is_secret_map(name, target) => Ty::Named(type_name(name)),
                Some(target) if kind_of(target) == Kind::Alias => self.ty_depth(target, depth + 1),
                Some(_) => Ty::Named(type_name(name)),
                None => Ty::Value,
            };
        }
        if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
            return Ty::Value;
        }
        match schema.get("type").and_then(Value::as_str) {
            Some("string") => Ty::String,
            Some("integer") => Ty::I64,
            Some("number") => Ty::F64,
            Some("boolean") => Ty::Bool,
            Some("array") => Ty::Vec(Box::new(
                schema
                    .get("items")
                    .map_or(Ty::Value, |i| self.ty_depth(i, depth + 1)),
            )),
            Some("object") => match schema.get("additionalProperties") {
                Some(Value::Object(inner)) if !inner.is_empty() => Ty::StrMap(Box::new(
                    self.ty_depth(&Value::Object(inner.clone()), depth + 1),
                )),
                _ => Ty::Map,
            },
            _ => Ty::Value,
        }
    }

    fn param(&self, p: &Value) -> Param {
        let name = p["name"].as_str().unwrap_or_default().to_owned();
        Param {
            ident: ident(&name),
            ty: self.ty(&p["schema"]),
            required: p["required"].as_bool().unwrap_or(false),
            doc: p["description"].as_str().unwrap_or_default().to_owned(),
            name,
        }
    }

    fn operation(
        &self,
        path: &str,
        method: &str,
        op: &Value,
        body_names: &BTreeMap<String, String>,
    ) -> Result<Operation, String> {
        let id = op["operationId"].as_str().unwrap_or_default().to_owned();
        let mut parts: Vec<&str> = id.split('_').collect();
        let name = parts
            .pop()
            .map(snake)
            .ok_or(format!("bad operationId {id}"))?;
        if parts.is_empty() {
            return Err(format!("operationId {id} has no group"));
        }
        let group = parts.iter().map(|p| snake(p)).collect();
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        // Path parameters in the order they appear in the path.
        let mut path_params: Vec<Param> = Vec::new();
        for seg in path.split('/') {
            if let Some(n) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                let p = params
                    .iter()
                    .find(|p| p["in"] == "path" && p["name"] == n)
                    .map(|p| self.param(p))
                    .unwrap_or_else(|| Param {
                        name: n.to_owned(),
                        ident: ident(n),
                        ty: Ty::String,
                        required: true,
                        doc: String::new(),
                    });
                path_params.push(p);
            }
        }
        let query = params
            .iter()
            .filter(|p| p["in"] == "query")
            .map(|p| self.param(p))
            .collect();
        let body = match op["requestBody"]["content"].as_object() {
            Some(content) => content.iter().next().map(|(media, m)| {
                let schema = ref_name(&m["schema"])
                    .map(str::to_owned)
                    .or_else(|| body_names.get(&id).cloned())
                    .unwrap_or_default();
                if media.starts_with("multipart/") {
                    Body::Multipart { schema }
                } else {
                    let ty = if m["schema"].get("$ref").is_some() {
                        self.ty(&m["schema"])
                    } else {
                        Ty::Named(type_name(&schema))
                    };
                    Body::Json { ty, schema }
                }
            }),
            None => None,
        };
        let response = op["responses"]
            .as_object()
            .into_iter()
            .flat_map(|r| r.iter())
            .filter(|(code, _)| code.starts_with('2'))
            .find_map(|(_, r)| r["content"]["application/json"].get("schema"))
            .map(|s| self.ty(s));
        Ok(Operation {
            id,
            method: method.to_owned(),
            path: path.to_owned(),
            group,
            name,
            summary: op["summary"].as_str().unwrap_or_default().to_owned(),
            description: op["description"].as_str().unwrap_or_default().to_owned(),
            path_params,
            query,
            body,
            response,
        })
    }
}

/// A free-form object of secrets (hook secrets): generated as a newtype
/// whose `Debug` shows the names only, not as a plain map alias.
pub(crate) fn is_secret_map(name: &str, schema: &Value) -> bool {
    name.contains("Secret")
        && kind_of(schema) == Kind::Alias
        && schema["type"] == "object"
        && schema.get("properties").is_none()
}

pub(crate) fn kind_of(schema: &Value) -> Kind {
    if schema.get("enum").is_some() {
        Kind::Enum
    } else if schema.get("oneOf").is_some() || schema.get("anyOf").is_some() {
        Kind::Union
    } else if schema.get("properties").is_some_and(Value::is_object) {
        Kind::Struct
    } else {
        Kind::Alias
    }
}
