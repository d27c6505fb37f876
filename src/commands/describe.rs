//! `kubectl mtls describe SECRET`: reads the credential Secret and `SECRET-cacert`, changes
//! nothing, and reports every certificate and check. Exit code 3 when a check fails.

use std::io::IsTerminal;

use super::{Outcome, print_stdout};
use crate::cli::{DescribeArgs, OutputFormat};
use crate::cluster::secrets;
use crate::context::Context;
use crate::error::Error;
use crate::istio::checks::{self, Policy};
use crate::istio::credential::CACERT_SUFFIX;
use crate::render::{self, describe::Style};

pub async fn run(context: &Context, args: &DescribeArgs) -> Result<Outcome, Error> {
    let namespace = context.credential_namespace();
    let name = match &args.secret {
        Some(name) => name.clone(),
        None => pick_secret(context, &namespace).await?,
    };
    let credential = match secrets::get(context.cluster().await?, &namespace, &name).await {
        Ok(secret) => secret,
        Err(e) if e.is_not_found() => return Err(Error::SecretNotFound { namespace, name }),
        Err(e) => return Err(e.into()),
    };
    let cacert = if name.ends_with(CACERT_SUFFIX) {
        None
    } else {
        secrets::get_optional(context.cluster().await?, &namespace, &format!("{name}{CACERT_SUFFIX}")).await?
    };
    let now = super::now();
    let policy = Policy { now, expiry_warning_days: i64::from(args.expiry_warning_days) };
    let report = checks::check(&namespace, &credential, cacert.as_ref(), policy);
    let text = match args.output {
        OutputFormat::Table => render::describe::render(&report, now, terminal_style()),
        OutputFormat::Json => render::structured::json(&report)?,
        OutputFormat::Yaml => render::structured::yaml(&report)?,
    };
    print_stdout(&text)?;
    Ok(if report.failed() { Outcome::ChecksFailed } else { Outcome::Success })
}

async fn pick_secret(context: &Context, namespace: &str) -> Result<String, Error> {
    let how = "the Secret name: kubectl mtls describe SECRET";
    // Fail before listing: the answer does not depend on the cluster.
    context.prompter.require_terminal("SECRET", how)?;
    let names = secrets::names_with_certificates(context.cluster().await?, namespace).await?;
    let index = context.prompter.select(&format!("a credential Secret in {namespace}"), how, &names)?;
    Ok(names[index].clone())
}

fn terminal_style() -> Style {
    let terminal = std::io::stdout().is_terminal();
    Style {
        color: terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
        width: if terminal { console::Term::stdout().size_checked().map(|(_, w)| w) } else { None },
    }
}
