//! HTTP routing: authentication, authorization, faults, then discovery or a resource verb.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::{Request, Response, StatusCode};
use serde_json::{Value, json};

use crate::faults::{Fault, Faults};
use crate::rbac::{self, Access, User};
use crate::resources::{self, ResourceType};
use crate::store::{ApiError, ListOptions, PatchKind, Store};

/// One request as the server saw it, for tests to assert on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub query: String,
    /// The request's Content-Type for PATCH (which says the patch type), else empty.
    pub patch_type: String,
    /// The authenticated user, or empty.
    pub user: String,
    pub status: u16,
}

pub(crate) struct State {
    pub catalogue: Vec<ResourceType>,
    pub store: Mutex<Store>,
    pub users: Mutex<Vec<User>>,
    pub faults: Mutex<Faults>,
    pub log: Mutex<Vec<RequestRecord>>,
    pub address: String,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

pub(crate) type Body = Full<Bytes>;

fn respond(status: u16, body: &Value) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("application/json"));
    response
}

fn error(err: &ApiError) -> Response<Body> {
    respond(err.code, &err.status())
}

/// The connection is dropped when this is returned as the service's error.
#[derive(Debug)]
pub(crate) struct DroppedConnection;

impl std::fmt::Display for DroppedConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for DroppedConnection {}

pub(crate) async fn handle(
    state: Arc<State>,
    request: Request<hyper::body::Incoming>,
) -> Result<Response<Body>, DroppedConnection> {
    let method = request.method().as_str().to_string();
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let content_type =
        request.headers().get(hyper::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let token = request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_string);
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(_) => return Err(DroppedConnection),
    };

    let user = token.and_then(|t| lock(&state.users).iter().find(|u| u.token == t).cloned());
    let faults = lock(&state.faults).take(&method, &path);
    let mut record = RequestRecord {
        method: method.clone(),
        path: path.clone(),
        query: query.clone(),
        patch_type: if method == "PATCH" { content_type.clone() } else { String::new() },
        user: user.as_ref().map(|u| u.name.clone()).unwrap_or_default(),
        status: 0,
    };

    let mut concurrent_write = false;
    for fault in &faults {
        match fault {
            Fault::Delay(duration) => tokio::time::sleep(*duration).await,
            Fault::Drop => {
                lock(&state.log).push(record);
                return Err(DroppedConnection);
            }
            Fault::Throttle { retry_after_secs } => {
                record.status = 429;
                lock(&state.log).push(record);
                let mut status =
                    ApiError::new(429, "TooManyRequests", "Too many requests, please try again later.").status();
                status["details"] = json!({"retryAfterSeconds": retry_after_secs});
                let mut response = respond(429, &status);
                if let Ok(value) = hyper::header::HeaderValue::from_str(&retry_after_secs.to_string()) {
                    response.headers_mut().insert("Retry-After", value);
                }
                return Ok(response);
            }
            Fault::Status(code) => {
                record.status = *code;
                lock(&state.log).push(record);
                let reason = match code {
                    503 => "ServiceUnavailable",
                    504 => "Timeout",
                    _ => "InternalError",
                };
                let message = match code {
                    503 => "the server is currently unable to handle the request".to_string(),
                    504 => "the server was unable to return a response in the time allotted".to_string(),
                    _ => "an error on the server (\"injected fault\") has prevented the request from succeeding"
                        .to_string(),
                };
                return Ok(respond(*code, &ApiError::new(*code, reason, message).status()));
            }
            Fault::ConcurrentWrite => concurrent_write = true,
        }
    }

    let response = match &user {
        None => respond(401, &rbac::unauthorized()),
        Some(user) => route(&state, user, &method, &path, &query, &content_type, &body, concurrent_write),
    };
    record.status = response.status().as_u16();
    lock(&state.log).push(record);
    Ok(response)
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| percent_decode(v))
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match u8::from_str_radix(&text[i + 1..i + 3], 16) {
                Ok(b) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                Err(_) => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A parsed resource path.
struct Target<'a> {
    resource: &'a ResourceType,
    version: String,
    namespace: Option<String>,
    name: Option<String>,
}

/// kube-apiserver answers paths it does not serve (an API group or version that is not
/// installed) with a plain-text 404, not a Status.
fn not_found_path(_path: &str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from_static(b"404 page not found\n")));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
        .headers_mut()
        .insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"));
    response
}

#[allow(clippy::too_many_arguments)]
fn route(
    state: &State,
    user: &User,
    method: &str,
    path: &str,
    query: &str,
    content_type: &str,
    body: &[u8],
    concurrent_write: bool,
) -> Response<Body> {
    let segments: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let (group, version, rest): (&str, &str, &[&str]) = match segments.as_slice() {
        ["version"] => return respond(200, &resources::version_document()),
        ["api"] => return respond(200, &resources::core_versions(&state.address)),
        ["apis"] => return respond(200, &resources::group_list(&state.catalogue)),
        ["apis", group] => {
            return match resources::group(&state.catalogue, group) {
                Some(doc) => respond(200, &doc),
                None => not_found_path(path),
            };
        }
        ["api", version] => {
            return match resources::resource_list(&state.catalogue, "", version) {
                Some(doc) => respond(200, &doc),
                None => not_found_path(path),
            };
        }
        ["apis", group, version] => {
            return match resources::resource_list(&state.catalogue, group, version) {
                Some(doc) => respond(200, &doc),
                None => not_found_path(path),
            };
        }
        ["api", version, rest @ ..] => ("", *version, rest),
        ["apis", group, version, rest @ ..] => (*group, *version, rest),
        _ => return not_found_path(path),
    };
    let find = |plural: &str| {
        state.catalogue.iter().find(|r| r.group == group && r.plural == plural && r.versions.contains(&version))
    };
    let target = match rest {
        ["namespaces", ns, plural, tail @ ..] if tail.len() <= 1 => {
            find(plural).filter(|r| r.namespaced).map(|r| Target {
                resource: r,
                version: version.into(),
                namespace: Some(ns.to_string()),
                name: tail.first().map(|n| n.to_string()),
            })
        }
        [plural, tail @ ..] if tail.len() <= 1 => find(plural).map(|r| Target {
            resource: r,
            version: version.into(),
            namespace: None,
            name: tail.first().map(|n| n.to_string()),
        }),
        _ => None,
    };
    let Some(target) = target else {
        return not_found_path(path);
    };
    if query_param(query, "watch").is_some_and(|w| w == "true" || w == "1") {
        return error(&ApiError::new(405, "MethodNotAllowed", "watch is not supported by the test API server"));
    }
    let verb = match (method, target.name.is_some()) {
        ("GET", true) => "get",
        ("GET", false) => "list",
        ("POST", false) => "create",
        ("PUT", true) => "update",
        ("PATCH", true) => "patch",
        ("DELETE", true) => "delete",
        _ => {
            return error(&ApiError::new(
                405,
                "MethodNotAllowed",
                format!("the server does not allow this method on the requested resource ({method} {path})"),
            ));
        }
    };
    let access = Access {
        verb,
        group: target.resource.rbac_group(),
        resource: target.resource.plural,
        namespace: target.namespace.as_deref(),
        name: target.name.as_deref(),
    };
    if !user.may(&access) {
        return respond(403, &rbac::forbidden(&user.name, &access));
    }
    if method != "GET" && method != "DELETE" && content_type.contains("protobuf") {
        return error(&ApiError::new(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (the test API server does not speak protobuf; got {content_type})"
            ),
        ));
    }
    let dry_run = query_param(query, "dryRun").is_some_and(|d| d == "All");
    let namespace = target.namespace.as_deref();
    let result = {
        let mut store = lock(&state.store);
        match verb {
            "get" => {
                let name = target.name.as_deref().unwrap_or_default();
                let found = store.get(target.resource, namespace, name);
                if found.is_ok() && concurrent_write {
                    store.touch(target.resource, namespace, name);
                }
                found
            }
            "list" => list(&store, &target, query),
            "create" => parse_body(body).and_then(|obj| store.create(target.resource, namespace, obj, dry_run)),
            "update" => parse_body(body).and_then(|obj| {
                store.update(target.resource, namespace, target.name.as_deref().unwrap_or_default(), obj, dry_run)
            }),
            "patch" => patch_kind(target.resource, content_type, query).and_then(|kind| {
                store.patch(target.resource, namespace, target.name.as_deref().unwrap_or_default(), kind, body, dry_run)
            }),
            _ => store.delete(target.resource, namespace, target.name.as_deref().unwrap_or_default(), dry_run),
        }
    };
    match result {
        Ok(mut object) => {
            if verb != "list" {
                object["apiVersion"] = json!(target.resource.api_version(&target.version));
            }
            respond(if verb == "create" { 201 } else { 200 }, &object)
        }
        Err(err) => error(&err),
    }
}

fn parse_body(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body)
        .or_else(|_| {
            std::str::from_utf8(body)
                .map_err(|e| e.to_string())
                .and_then(|text| serde_saphyr::from_str::<Value>(text).map_err(|e| e.to_string()))
        })
        .map_err(|e| ApiError::bad_request(format!("the body of the request could not be decoded: {e}")))
}

fn patch_kind(resource: &ResourceType, content_type: &str, query: &str) -> Result<PatchKind, ApiError> {
    let media = content_type.split(';').next().unwrap_or("").trim();
    let kind = match media {
        "application/merge-patch+json" => PatchKind::Merge,
        "application/json-patch+json" => PatchKind::Json,
        "application/strategic-merge-patch+json" if !resource.custom => PatchKind::StrategicMerge,
        "application/apply-patch+yaml" | "application/apply-patch+cbor" => PatchKind::Apply,
        _ => {
            let accepted = if resource.custom {
                "application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
            } else {
                "application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json, application/apply-patch+yaml"
            };
            return Err(ApiError::new(
                415,
                "UnsupportedMediaType",
                format!("the body of the request was in an unknown format - accepted media types include: {accepted}"),
            ));
        }
    };
    if kind == PatchKind::Apply && query_param(query, "fieldManager").is_none_or(|m| m.is_empty()) {
        return Err(ApiError::new(
            422,
            "Invalid",
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    Ok(kind)
}

fn list(store: &Store, target: &Target<'_>, query: &str) -> Result<Value, ApiError> {
    let options = ListOptions {
        label_selector: query_param(query, "labelSelector").filter(|s| !s.is_empty()),
        field_selector: query_param(query, "fieldSelector").filter(|s| !s.is_empty()),
        limit: query_param(query, "limit").and_then(|l| l.parse().ok()),
        continue_token: query_param(query, "continue").filter(|s| !s.is_empty()),
    };
    let (items, next, remaining) = store.list(target.resource, target.namespace.as_deref(), &options)?;
    let api_version = target.resource.api_version(&target.version);
    let items: Vec<Value> = items
        .into_iter()
        .map(|mut item| {
            item["apiVersion"] = json!(api_version);
            item
        })
        .collect();
    let mut metadata = json!({"resourceVersion": store.revision().to_string()});
    if let Some(token) = next {
        metadata["continue"] = json!(token);
        metadata["remainingItemCount"] = json!(remaining);
    }
    Ok(json!({
        "kind": format!("{}List", target.resource.kind),
        "apiVersion": api_version,
        "metadata": metadata,
        "items": items,
    }))
}
