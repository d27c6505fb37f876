//! One file per subcommand: gather input, call the cluster and the pure logic, render.

pub mod allow;
pub mod completion;
pub mod create;
pub mod describe;
pub mod disallow;
pub mod issue_client;
pub mod list;
pub(crate) mod san_edit;

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::error::{Error, exit};

/// What a command that did not fail reports, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Success,
    ChecksFailed,
}

impl Outcome {
    pub fn exit_code(self) -> i32 {
        match self {
            Outcome::Success => exit::OK,
            Outcome::ChecksFailed => exit::CHECK_FAILED,
        }
    }
}

pub async fn dispatch(cli: Cli) -> Result<Outcome, Error> {
    match &cli.command {
        Command::Version => {
            print_stdout(&format!("kubectl-mtls {}\n", crate::cli::VERSION))?;
            Ok(Outcome::Success)
        }
        Command::Completion(args) => completion::script(args),
        Command::Complete(args) => completion::complete(&cli.kube, args).await,
        Command::Describe(args) => describe::run(&connect(&cli).await?, args).await,
        Command::Create(args) => create::run(&connect(&cli).await?, args).await,
        Command::IssueClient(args) => issue_client::run(&connect(&cli).await?, args).await,
        Command::Allow(args) => allow::run(&connect(&cli).await?, args).await,
        Command::Disallow(args) => disallow::run(&connect(&cli).await?, args).await,
        Command::List(args) => list::run(&connect(&cli).await?, args).await,
    }
}

async fn connect(cli: &Cli) -> Result<Context, Error> {
    Ok(Context::new(&cli.kube, cli.interaction))
}

/// The current time in Unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
}

/// Writes to stdout; a closed pipe (`| head`) is a normal end, not an error.
pub fn print_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|_| stdout.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::Stdout(e)),
        _ => Ok(()),
    }
}
