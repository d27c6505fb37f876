//! `kubectl mtls disallow GATEWAY SAN...`: removes client SANs from one server's
//! `tls.subjectAltNames`; emptying the list (which accepts every CA-signed client) needs a
//! confirmation or `--yes`.

use super::Outcome;
use super::san_edit::{self, Direction};
use crate::cli::SanEditArgs;
use crate::context::Context;
use crate::error::Error;

pub async fn run(context: &Context, args: &SanEditArgs) -> Result<Outcome, Error> {
    san_edit::run(context, args, Direction::Disallow).await
}
