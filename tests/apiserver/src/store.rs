//! Object storage with kube-apiserver's write semantics: resourceVersion on every write,
//! 409 on a stale one, generation for custom resources, patches, selectors and paging.

use std::collections::BTreeMap;

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::resources::ResourceType;

/// An API error, rendered as a `Status` body.
#[derive(Debug, Clone)]
pub struct ApiError {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    pub details: Option<Value>,
}

impl ApiError {
    pub fn new(code: u16, reason: &'static str, message: impl Into<String>) -> ApiError {
        ApiError { code, reason, message: message.into(), details: None }
    }

    fn with_details(mut self, resource: &ResourceType, name: &str) -> ApiError {
        let mut details = json!({"name": name, "kind": resource.plural});
        if !resource.group.is_empty() {
            details["group"] = json!(resource.group);
        }
        self.details = Some(details);
        self
    }

    pub fn status(&self) -> Value {
        let mut body = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            body["details"] = details.clone();
        }
        body
    }

    pub fn not_found(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(404, "NotFound", format!("{} \"{name}\" not found", qualified(resource)))
            .with_details(resource, name)
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(400, "BadRequest", message)
    }

    pub fn invalid(resource: &ResourceType, name: &str, cause: &str) -> ApiError {
        ApiError::new(422, "Invalid", format!("{} \"{name}\" is invalid: {cause}", qualified_kind(resource)))
            .with_details(resource, name)
    }

    fn conflict(resource: &ResourceType, name: &str) -> ApiError {
        ApiError::new(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; \
                 please apply your changes to the latest version and try again",
                qualified(resource)
            ),
        )
        .with_details(resource, name)
    }
}

/// `secrets` for core resources, `gateways.networking.istio.io` for the others.
pub fn qualified(resource: &ResourceType) -> String {
    if resource.group.is_empty() {
        resource.plural.to_string()
    } else {
        format!("{}.{}", resource.plural, resource.group)
    }
}

fn qualified_kind(resource: &ResourceType) -> String {
    if resource.group.is_empty() { resource.kind.to_string() } else { format!("{}.{}", resource.kind, resource.group) }
}

type Key = (String, String, String, String); // group, plural, namespace, name

/// How a PATCH body is to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    Merge,
    Json,
    StrategicMerge,
    Apply,
}

#[derive(Debug, Default)]
pub struct ListOptions {
    pub label_selector: Option<String>,
    pub field_selector: Option<String>,
    pub limit: Option<usize>,
    pub continue_token: Option<String>,
}

#[derive(Default)]
pub struct Store {
    objects: BTreeMap<Key, Value>,
    revision: u64,
    uids: u64,
}

fn key(resource: &ResourceType, namespace: Option<&str>, name: &str) -> Key {
    (
        resource.group.to_string(),
        resource.plural.to_string(),
        namespace.unwrap_or_default().to_string(),
        name.to_string(),
    )
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    // Civil-from-days (Howard Hinnant); avoids a date crate for one timestamp.
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, (rem / 60) % 60, rem % 60)
}

impl Store {
    pub fn revision(&self) -> u64 {
        self.revision
    }

    fn next_revision(&mut self) -> String {
        self.revision += 1;
        self.revision.to_string()
    }

    pub fn namespace_exists(&self, namespace: &str) -> bool {
        self.objects.contains_key(&(String::new(), "namespaces".into(), String::new(), namespace.into()))
    }

    pub fn get(&self, resource: &ResourceType, namespace: Option<&str>, name: &str) -> Result<Value, ApiError> {
        self.objects.get(&key(resource, namespace, name)).cloned().ok_or_else(|| ApiError::not_found(resource, name))
    }

    pub fn list(
        &self,
        resource: &ResourceType,
        namespace: Option<&str>,
        options: &ListOptions,
    ) -> Result<(Vec<Value>, Option<String>, usize), ApiError> {
        let labels = match &options.label_selector {
            Some(text) => parse_label_selector(text)?,
            None => vec![],
        };
        let fields = match &options.field_selector {
            Some(text) => parse_field_selector(text)?,
            None => vec![],
        };
        let start_after = match &options.continue_token {
            Some(token) => Some(decode_continue(token)?),
            None => None,
        };
        let matching: Vec<(&Key, &Value)> = self
            .objects
            .iter()
            .filter(|(k, _)| k.0 == resource.group && k.1 == resource.plural)
            .filter(|(k, _)| namespace.is_none_or(|ns| k.2 == ns))
            .filter(|(k, _)| start_after.as_ref().is_none_or(|(ns, name)| (&k.2, &k.3) > (ns, name)))
            .filter(|(_, v)| labels.iter().all(|req| req.matches(v)))
            .filter(|(_, v)| fields.iter().all(|req| req.matches(v)))
            .collect();
        let limit = options.limit.filter(|l| *l > 0).unwrap_or(usize::MAX);
        let page: Vec<Value> = matching.iter().take(limit).map(|(_, v)| (*v).clone()).collect();
        let remaining = matching.len().saturating_sub(page.len());
        let next = if remaining > 0 {
            matching.get(page.len().saturating_sub(1)).map(|(k, _)| encode_continue(&k.2, &k.3))
        } else {
            None
        };
        Ok((page, next, remaining))
    }

    /// Stores a new object. `dry_run` computes the result without keeping it.
    pub fn create(
        &mut self,
        resource: &ResourceType,
        namespace: Option<&str>,
        mut object: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        if !object.is_object() {
            return Err(ApiError::bad_request("the body of the request was not a JSON object"));
        }
        let name = object_name(&object).unwrap_or_default();
        let name = if name.is_empty() {
            match object.pointer("/metadata/generateName").and_then(Value::as_str) {
                Some(prefix) => {
                    self.uids += 1;
                    format!("{prefix}{:05x}", self.uids)
                }
                None => {
                    return Err(ApiError::invalid(
                        resource,
                        "",
                        "metadata.name: Required value: name or generateName is required",
                    ));
                }
            }
        } else {
            name
        };
        if let Some(ns) = namespace {
            if let Some(body_ns) = object.pointer("/metadata/namespace").and_then(Value::as_str)
                && body_ns != ns
            {
                return Err(ApiError::bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request",
                ));
            }
            if !self.namespace_exists(ns) {
                let mut missing = ApiError::new(404, "NotFound", format!("namespaces \"{ns}\" not found"));
                missing.details = Some(json!({"name": ns, "kind": "namespaces"}));
                return Err(missing);
            }
        }
        let k = key(resource, namespace, &name);
        if self.objects.contains_key(&k) {
            return Err(ApiError::new(
                409,
                "AlreadyExists",
                format!("{} \"{name}\" already exists", qualified(resource)),
            )
            .with_details(resource, &name));
        }
        normalize(resource, &mut object)?;
        self.uids += 1;
        let uid = format!("00000000-0000-4000-8000-{:012x}", self.uids);
        let revision = self.next_revision();
        let meta = metadata_mut(&mut object);
        meta.insert("name".into(), json!(name));
        if let Some(ns) = namespace {
            meta.insert("namespace".into(), json!(ns));
        }
        meta.insert("uid".into(), json!(uid));
        meta.insert("resourceVersion".into(), json!(revision));
        meta.insert("creationTimestamp".into(), json!(now_rfc3339()));
        meta.remove("generateName");
        if resource.custom {
            meta.insert("generation".into(), json!(1));
        }
        object["apiVersion"] = json!(resource.api_version(resource.storage_version()));
        object["kind"] = json!(resource.kind);
        if dry_run {
            self.revision -= 1;
        } else {
            self.objects.insert(k, object.clone());
        }
        Ok(object)
    }

    /// PUT: replace the object; a stale resourceVersion is a 409.
    pub fn update(
        &mut self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        mut object: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let current = self.get(resource, namespace, name)?;
        if object_name(&object).as_deref() != Some(name) {
            return Err(ApiError::bad_request("the name of the object does not match the name on the URL"));
        }
        let sent_revision = object.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("");
        if sent_revision.is_empty() && resource.custom {
            return Err(ApiError::invalid(
                resource,
                name,
                "metadata.resourceVersion: Invalid value: 0x0: must be specified for an update",
            ));
        }
        if !sent_revision.is_empty() && sent_revision != revision_of(&current) {
            return Err(ApiError::conflict(resource, name));
        }
        normalize(resource, &mut object)?;
        self.commit(resource, namespace, name, &current, object, dry_run)
    }

    /// PATCH in any of the four kinds; a patch that carries a stale resourceVersion is a 409.
    pub fn patch(
        &mut self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        kind: PatchKind,
        body: &[u8],
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let current = match self.get(resource, namespace, name) {
            Ok(current) => current,
            Err(missing) if kind == PatchKind::Apply => {
                let object = parse_apply_body(body)?;
                let _ = missing;
                return self.create(resource, namespace, object, dry_run);
            }
            Err(missing) => return Err(missing),
        };
        let mut patched = current.clone();
        match kind {
            PatchKind::Json => {
                let operations: json_patch::Patch = serde_json::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
                json_patch::patch(&mut patched, &operations).map_err(|e| {
                    ApiError::new(
                        422,
                        "Invalid",
                        format!("the server rejected our request due to an error in our request: {e}"),
                    )
                })?;
            }
            PatchKind::Merge | PatchKind::StrategicMerge => {
                let merge: Value = serde_json::from_slice(body)
                    .map_err(|e| ApiError::bad_request(format!("error decoding patch: {e}")))?;
                json_patch::merge(&mut patched, &merge);
            }
            PatchKind::Apply => {
                let applied = parse_apply_body(body)?;
                json_patch::merge(&mut patched, &applied);
            }
        }
        let sent_revision = patched.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("");
        if !sent_revision.is_empty() && sent_revision != revision_of(&current) {
            return Err(ApiError::conflict(resource, name));
        }
        if object_name(&patched).as_deref() != Some(name) {
            return Err(ApiError::bad_request("metadata.name: Invalid value: the name of the object cannot change"));
        }
        normalize(resource, &mut patched)?;
        self.commit(resource, namespace, name, &current, patched, dry_run)
    }

    pub fn delete(
        &mut self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        let k = key(resource, namespace, name);
        let existing = self.objects.get(&k).cloned().ok_or_else(|| ApiError::not_found(resource, name))?;
        if !dry_run {
            self.objects.remove(&k);
            self.revision += 1;
        }
        Ok(existing)
    }

    /// Changes an object as another client would: bumps an annotation and the resourceVersion.
    pub fn touch(&mut self, resource: &ResourceType, namespace: Option<&str>, name: &str) {
        let revision = self.next_revision();
        if let Some(object) = self.objects.get_mut(&key(resource, namespace, name)) {
            let meta = metadata_mut(object);
            let annotations = meta.entry("annotations").or_insert_with(|| json!({}));
            if !annotations.is_object() {
                *annotations = json!({});
            }
            let count = annotations
                .get("test.kubectl-mtls.io/concurrent-writes")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
                + 1;
            annotations["test.kubectl-mtls.io/concurrent-writes"] = json!(count.to_string());
            meta.insert("resourceVersion".into(), json!(revision));
        }
    }

    fn commit(
        &mut self,
        resource: &ResourceType,
        namespace: Option<&str>,
        name: &str,
        current: &Value,
        mut object: Value,
        dry_run: bool,
    ) -> Result<Value, ApiError> {
        // Fields the server owns are kept from the stored object, whatever the client sent.
        for field in ["uid", "creationTimestamp", "name", "namespace"] {
            if let Some(value) = current.pointer(&format!("/metadata/{field}")) {
                metadata_mut(&mut object).insert(field.into(), value.clone());
            }
        }
        object["apiVersion"] = json!(resource.api_version(resource.storage_version()));
        object["kind"] = json!(resource.kind);
        if resource.custom {
            let generation = current.pointer("/metadata/generation").and_then(Value::as_i64).unwrap_or(1);
            let bumped = if object.get("spec") != current.get("spec") { generation + 1 } else { generation };
            metadata_mut(&mut object).insert("generation".into(), json!(bumped));
        }
        if object == *current {
            // A no-op write keeps its resourceVersion, like the real server.
            return Ok(object);
        }
        let revision = if dry_run { (self.revision + 1).to_string() } else { self.next_revision() };
        metadata_mut(&mut object).insert("resourceVersion".into(), json!(revision));
        if !dry_run {
            self.objects.insert(key(resource, namespace, name), object.clone());
        }
        Ok(object)
    }
}

pub fn object_name(object: &Value) -> Option<String> {
    object.pointer("/metadata/name").and_then(Value::as_str).map(str::to_string)
}

fn revision_of(object: &Value) -> &str {
    object.pointer("/metadata/resourceVersion").and_then(Value::as_str).unwrap_or("")
}

fn metadata_mut(object: &mut Value) -> &mut Map<String, Value> {
    if !object.get("metadata").is_some_and(Value::is_object) {
        object["metadata"] = json!({});
    }
    match object.get_mut("metadata") {
        Some(Value::Object(map)) => map,
        _ => unreachable!("metadata was just made an object"),
    }
}

fn parse_apply_body(body: &[u8]) -> Result<Value, ApiError> {
    let text = std::str::from_utf8(body).map_err(|_| ApiError::bad_request("apply patch is not UTF-8"))?;
    serde_json::from_str(text)
        .or_else(|_| serde_saphyr::from_str::<Value>(text))
        .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))
}

/// Type-specific normalisation on every write: a Secret's `stringData` folds into `data`,
/// and `data` values must be base64.
fn normalize(resource: &ResourceType, object: &mut Value) -> Result<(), ApiError> {
    metadata_mut(object).remove("managedFields");
    if resource.group.is_empty() && resource.plural == "secrets" {
        let name = object_name(object).unwrap_or_default();
        if let Some(Value::Object(string_data)) = object.as_object_mut().and_then(|o| o.remove("stringData")) {
            if !object.get("data").is_some_and(Value::is_object) {
                object["data"] = json!({});
            }
            for (k, v) in string_data {
                let text = v.as_str().unwrap_or_default();
                object["data"][k] = json!(base64::engine::general_purpose::STANDARD.encode(text));
            }
        }
        if let Some(Value::Object(data)) = object.get("data") {
            for (k, v) in data {
                let valid = v.as_str().is_some_and(|s| base64::engine::general_purpose::STANDARD.decode(s).is_ok());
                if !valid {
                    return Err(ApiError::invalid(
                        resource,
                        &name,
                        &format!("data[{k}]: Invalid value: must be base64"),
                    ));
                }
            }
        }
        if object.get("type").is_none() {
            object["type"] = json!("Opaque");
        }
    }
    Ok(())
}

fn encode_continue(namespace: &str, name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{namespace}/{name}"))
}

fn decode_continue(token: &str) -> Result<(String, String), ApiError> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| ApiError::bad_request("continue key is not valid"))?;
    let text = String::from_utf8(bytes).map_err(|_| ApiError::bad_request("continue key is not valid"))?;
    let (ns, name) = text.split_once('/').ok_or_else(|| ApiError::bad_request("continue key is not valid"))?;
    Ok((ns.to_string(), name.to_string()))
}

#[derive(Debug)]
enum LabelRequirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

impl LabelRequirement {
    fn matches(&self, object: &Value) -> bool {
        let label = |k: &str| object.pointer("/metadata/labels").and_then(|l| l.get(k)).and_then(Value::as_str);
        match self {
            LabelRequirement::Equals(k, v) => label(k) == Some(v.as_str()),
            LabelRequirement::NotEquals(k, v) => label(k) != Some(v.as_str()),
            LabelRequirement::In(k, vs) => label(k).is_some_and(|l| vs.iter().any(|v| v == l)),
            LabelRequirement::NotIn(k, vs) => label(k).is_none_or(|l| !vs.iter().any(|v| v == l)),
            LabelRequirement::Exists(k) => label(k).is_some(),
            LabelRequirement::NotExists(k) => label(k).is_none(),
        }
    }
}

/// Splits on commas that are not inside `( … )`.
fn split_requirements(text: &str) -> Vec<String> {
    let mut parts = vec![];
    let mut depth = 0;
    let mut current = String::new();
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts.into_iter().map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

fn parse_label_selector(text: &str) -> Result<Vec<LabelRequirement>, ApiError> {
    let set = |values: &str| -> Vec<String> {
        values.trim().trim_start_matches('(').trim_end_matches(')').split(',').map(|v| v.trim().to_string()).collect()
    };
    split_requirements(text)
        .into_iter()
        .map(|part| {
            if let Some((k, v)) = part.split_once("!=") {
                Ok(LabelRequirement::NotEquals(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Ok(LabelRequirement::Equals(k.trim().into(), v.trim().into()))
            } else if let Some((k, v)) = part.split_once(" notin ") {
                Ok(LabelRequirement::NotIn(k.trim().into(), set(v)))
            } else if let Some((k, v)) = part.split_once(" in ") {
                Ok(LabelRequirement::In(k.trim().into(), set(v)))
            } else if let Some(k) = part.strip_prefix('!') {
                Ok(LabelRequirement::NotExists(k.trim().into()))
            } else if part.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c)) {
                Ok(LabelRequirement::Exists(part))
            } else {
                Err(ApiError::bad_request(format!("unable to parse requirement: {part}")))
            }
        })
        .collect()
}

#[derive(Debug)]
struct FieldRequirement {
    field: String,
    value: String,
    negate: bool,
}

impl FieldRequirement {
    fn matches(&self, object: &Value) -> bool {
        let pointer = format!("/{}", self.field.replace('.', "/"));
        let actual = object.pointer(&pointer).and_then(Value::as_str).unwrap_or("");
        (actual == self.value) != self.negate
    }
}

fn parse_field_selector(text: &str) -> Result<Vec<FieldRequirement>, ApiError> {
    split_requirements(text)
        .into_iter()
        .map(|part| {
            let (field, value, negate) = if let Some((f, v)) = part.split_once("!=") {
                (f, v, true)
            } else if let Some((f, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                (f, v, false)
            } else {
                return Err(ApiError::bad_request(format!("invalid selector: '{part}'; can't understand '{part}'")));
            };
            let field = field.trim();
            if !["metadata.name", "metadata.namespace", "type", "status.phase", "spec.nodeName"].contains(&field) {
                return Err(ApiError::bad_request(format!("field label not supported: {field}")));
            }
            Ok(FieldRequirement { field: field.into(), value: value.trim().into(), negate })
        })
        .collect()
}
