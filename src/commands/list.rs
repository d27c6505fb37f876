//! `kubectl mtls list [GATEWAY] [-A]`: reads Gateways (paged) and shows each server's TLS
//! mode, credential and allowed client SANs. Changes nothing.

use serde_json::Value;

use super::{Outcome, print_stdout};
use crate::cli::{ListArgs, OutputFormat};
use crate::cluster::gateways::Gateways;
use crate::context::Context;
use crate::error::Error;
use crate::render::{self, gateways::GatewayRow};

pub async fn run(context: &Context, args: &ListArgs) -> Result<Outcome, Error> {
    let namespace = context.object_namespace().await?;
    let gateways = Gateways::new(context.cluster().await?);
    let objects = match &args.gateway {
        Some(name) => match gateways.get(&namespace, name).await {
            Ok(object) => vec![object],
            Err(e) if e.is_not_found() => return Err(Error::GatewayNotFound { namespace, name: name.clone() }),
            Err(e) => return Err(e.into()),
        },
        None if args.all_namespaces => {
            let _progress = crate::prompt::Progress::start("listing Gateways in every namespace");
            gateways.list(None).await?
        }
        None => gateways.list(Some(&namespace)).await?,
    };
    let rows: Vec<GatewayRow> = objects.iter().map(GatewayRow::from_object).collect();
    let text = match args.output {
        OutputFormat::Table => {
            let scope =
                if args.all_namespaces { "any namespace".to_string() } else { format!("namespace {namespace}") };
            render::gateways::table(&rows, &scope)
        }
        OutputFormat::Json => render::structured::json(&rows)?,
        OutputFormat::Yaml => render::structured::yaml(&rows)?,
    };
    print_stdout(&text)?;
    Ok(Outcome::Success)
}

impl GatewayRow {
    fn from_object(object: &Value) -> GatewayRow {
        let text = |p: &str| object.pointer(p).and_then(Value::as_str).unwrap_or_default().to_string();
        GatewayRow {
            namespace: text("/metadata/namespace"),
            gateway: text("/metadata/name"),
            servers: crate::istio::gateway::servers(object),
        }
    }
}
