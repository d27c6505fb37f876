//! Bearer-token users and their permissions, with denials worded like kube-apiserver's RBAC.

use serde_json::{Value, json};

/// One allow rule, like an RBAC `PolicyRule`; `*` matches anything.
#[derive(Debug, Clone)]
pub struct Rule {
    pub verbs: Vec<String>,
    pub groups: Vec<String>,
    pub resources: Vec<String>,
    /// Namespaces this rule applies in; `*` for every namespace and the cluster scope.
    pub namespaces: Vec<String>,
}

impl Rule {
    pub fn new(verbs: &[&str], groups: &[&str], resources: &[&str]) -> Rule {
        let owned = |items: &[&str]| items.iter().map(|s| s.to_string()).collect();
        Rule { verbs: owned(verbs), groups: owned(groups), resources: owned(resources), namespaces: vec!["*".into()] }
    }

    pub fn in_namespaces(mut self, namespaces: &[&str]) -> Rule {
        self.namespaces = namespaces.iter().map(|s| s.to_string()).collect();
        self
    }

    fn allows(&self, request: &Access<'_>) -> bool {
        let any = |list: &[String], item: &str| list.iter().any(|entry| entry == "*" || entry == item);
        any(&self.verbs, request.verb)
            && any(&self.groups, request.group)
            && any(&self.resources, request.resource)
            && match request.namespace {
                Some(ns) => any(&self.namespaces, ns),
                None => self.namespaces.iter().any(|n| n == "*"),
            }
    }
}

/// A user known to the server by a bearer token.
#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub token: String,
    pub allow: Vec<Rule>,
    /// Rules that win over `allow`; they make "everything but X" users easy to write.
    pub deny: Vec<Rule>,
}

impl User {
    pub fn new(name: &str, allow: Vec<Rule>) -> User {
        User { name: name.into(), token: format!("token-{name}"), allow, deny: vec![] }
    }

    pub fn denying(mut self, deny: Vec<Rule>) -> User {
        self.deny = deny;
        self
    }

    pub fn may(&self, request: &Access<'_>) -> bool {
        self.allow.iter().any(|r| r.allows(request)) && !self.deny.iter().any(|r| r.allows(request))
    }
}

/// The users every server starts with.
///
/// - `admin`: everything.
/// - `reader`: get, list and watch on everything.
/// - `no-gateway-patch`: everything except patch and update on gateways.
/// - `no-secrets`: everything except secrets.
pub fn default_users() -> Vec<User> {
    vec![
        User::new("admin", vec![Rule::new(&["*"], &["*"], &["*"])]),
        User::new("reader", vec![Rule::new(&["get", "list", "watch"], &["*"], &["*"])]),
        User::new("no-gateway-patch", vec![Rule::new(&["*"], &["*"], &["*"])]).denying(vec![Rule::new(
            &["patch", "update"],
            &["*"],
            &["gateways"],
        )]),
        User::new("no-secrets", vec![Rule::new(&["*"], &["*"], &["*"])]).denying(vec![Rule::new(
            &["*"],
            &[""],
            &["secrets"],
        )]),
    ]
}

/// What a request asks to do, in RBAC terms.
#[derive(Debug)]
pub struct Access<'a> {
    pub verb: &'a str,
    pub group: &'a str,
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

/// The 403 body kube-apiserver sends, e.g.
/// `secrets "x" is forbidden: User "reader" cannot patch resource "secrets" in API group "" in the namespace "istio-system"`.
pub fn forbidden(user: &str, access: &Access<'_>) -> Value {
    let qualified = if access.group.is_empty() {
        access.resource.to_string()
    } else {
        format!("{}.{}", access.resource, access.group)
    };
    let object = match access.name {
        Some(name) => format!("{qualified} \"{name}\""),
        None => qualified,
    };
    let scope = match access.namespace {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    let message = format!(
        "{object} is forbidden: User \"{user}\" cannot {} resource \"{}\" in API group \"{}\" {scope}",
        access.verb, access.resource, access.group
    );
    let mut details = json!({"kind": access.resource});
    if let Some(name) = access.name {
        details["name"] = json!(name);
    }
    if !access.group.is_empty() {
        details["group"] = json!(access.group);
    }
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "Forbidden",
        "details": details,
        "code": 403
    })
}

pub fn unauthorized() -> Value {
    json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": "Unauthorized",
        "reason": "Unauthorized",
        "code": 401
    })
}
