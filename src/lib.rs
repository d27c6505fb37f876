//! kubectl-mtls: mutual TLS for Istio ingress gateways, as a kubectl plugin.
//!
//! `run` is the whole program; `main` only hands it the arguments and exits with its code.

pub mod cli;
pub mod cluster;
pub mod commands;
pub mod context;
pub mod error;
pub mod files;
pub mod istio;
pub mod pki;
pub mod prompt;
pub mod render;

use std::ffi::OsString;

use clap::Parser;

pub use error::{Error, exit};

/// Parses `args`, runs the command, prints any error, and returns the exit code.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { exit::USAGE } else { exit::OK };
        }
    };
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return exit::ERROR;
        }
    };
    match runtime.block_on(commands::dispatch(cli)) {
        Ok(outcome) => outcome.exit_code(),
        Err(e) => {
            report(&e);
            e.exit_code()
        }
    }
}

/// One line saying what is wrong and what to do, then the causes, each once.
fn report(error: &Error) {
    let top = error.to_string();
    eprintln!("error: {top}");
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !top.contains(&text) {
            eprintln!("  caused by: {text}");
        }
        source = cause.source();
    }
}
