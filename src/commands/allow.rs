//! `kubectl mtls allow GATEWAY SAN...`: adds client SANs to one server's
//! `tls.subjectAltNames` with a conflict-safe JSON patch; nothing else on the Gateway changes.

use super::Outcome;
use super::san_edit::{self, Direction};
use crate::cli::SanEditArgs;
use crate::context::Context;
use crate::error::Error;

pub async fn run(context: &Context, args: &SanEditArgs) -> Result<Outcome, Error> {
    san_edit::run(context, args, Direction::Allow).await
}
