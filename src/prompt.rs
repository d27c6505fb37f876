//! Asking the person at the terminal, or refusing to when nobody is there.
//!
//! Prompts appear only when stdin and stderr are terminals, `--no-input` is not given and `CI`
//! is not set. They are drawn on stderr, so stdout stays clean for pipes. Without a terminal,
//! every missing input is an error naming the flag or argument that supplies it.

use std::io::IsTerminal;

use dialoguer::{Confirm, Input, Password, Select, theme::ColorfulTheme};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum PromptError {
    #[error("{what} is required: pass {how} (there is no terminal to ask at{why})")]
    NeedsInput { what: String, how: String, why: &'static str },
    #[error("{what}: nothing to choose from{hint}")]
    NoChoices { what: String, hint: String },
    #[error("cancelled")]
    Cancelled,
    #[error("cannot read from the terminal")]
    Terminal(#[source] dialoguer::Error),
}

#[derive(Debug, Clone, Copy)]
pub struct Prompter {
    interactive: bool,
    assume_yes: bool,
    /// Why prompting is off, for the error message.
    why: &'static str,
}

impl Prompter {
    pub fn new(no_input: bool, assume_yes: bool) -> Prompter {
        let (interactive, why) = if no_input {
            (false, ", and --no-input was given")
        } else if std::env::var_os("CI").is_some_and(|v| !v.is_empty()) {
            (false, ": CI is set")
        } else if !(std::io::stdin().is_terminal() && std::io::stderr().is_terminal()) {
            (false, "")
        } else {
            (true, "")
        };
        Prompter { interactive, assume_yes, why }
    }

    /// Picks one of `items`; `what` names the input, `how` the argument or flag that gives it.
    pub fn select(&self, what: &str, how: &str, items: &[String]) -> Result<usize, PromptError> {
        self.require_terminal(what, how)?;
        if items.is_empty() {
            return Err(PromptError::NoChoices { what: what.into(), hint: format!("; pass {how}") });
        }
        Select::with_theme(&ColorfulTheme::default())
            .with_prompt(format!("Choose {what}"))
            .items(items)
            .default(0)
            .interact_on_opt(&console::Term::stderr())
            .map_err(PromptError::Terminal)?
            .ok_or(PromptError::Cancelled)
    }

    /// Asks whether to go ahead with `consequence`; `--yes` answers yes. Without a terminal,
    /// fails naming the consequence and `--yes`.
    pub fn confirm(&self, consequence: &str) -> Result<bool, PromptError> {
        if self.assume_yes {
            return Ok(true);
        }
        self.require_terminal(&format!("confirmation ({consequence})"), "--yes")?;
        Confirm::with_theme(&ColorfulTheme::default())
            .with_prompt(format!("{consequence}. Continue?"))
            .default(false)
            .interact_on(&console::Term::stderr())
            .map_err(PromptError::Terminal)
    }

    /// Reads one non-empty line.
    pub fn input_one(&self, what: &str, how: &str, prompt: &str) -> Result<String, PromptError> {
        self.require_terminal(what, how)?;
        Input::<String>::with_theme(&ColorfulTheme::default())
            .with_prompt(prompt)
            .interact_text_on(&console::Term::stderr())
            .map_err(PromptError::Terminal)
    }

    /// Reads a password twice, hidden, and insists the two agree.
    pub fn password(&self, what: &str, how: &str, prompt: &str) -> Result<String, PromptError> {
        self.require_terminal(what, how)?;
        Password::with_theme(&ColorfulTheme::default())
            .with_prompt(prompt)
            .with_confirmation("Repeat it", "the two passwords differ")
            .interact_on(&console::Term::stderr())
            .map_err(PromptError::Terminal)
    }

    /// Reads values one per line until an empty line, each checked by `parse` as it is typed.
    pub fn input_many<T>(
        &self,
        what: &str,
        how: &str,
        prompt: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Vec<T>, PromptError> {
        self.require_terminal(what, how)?;
        let mut values = Vec::new();
        loop {
            let hint = if values.is_empty() { "" } else { " (empty line to finish)" };
            let line: String = Input::with_theme(&ColorfulTheme::default())
                .with_prompt(format!("{prompt}{hint}"))
                .allow_empty(true)
                .validate_with(|input: &String| -> Result<(), String> {
                    if input.trim().is_empty() { Ok(()) } else { parse(input).map(|_| ()) }
                })
                .interact_text_on(&console::Term::stderr())
                .map_err(PromptError::Terminal)?;
            if line.trim().is_empty() {
                if values.is_empty() {
                    continue;
                }
                return Ok(values);
            }
            values.push(parse(&line).map_err(|_| PromptError::Cancelled)?);
        }
    }

    /// Fails, naming what is missing and how to give it, unless a person can be asked. Commands
    /// call it before any cluster request a prompt would need.
    pub fn require_terminal(&self, what: &str, how: &str) -> Result<(), PromptError> {
        if self.interactive {
            Ok(())
        } else {
            Err(PromptError::NeedsInput { what: what.into(), how: how.into(), why: self.why })
        }
    }
}

/// A one-line note on stderr while something slow runs (RSA-4096 keys, cluster-wide lists),
/// shown only at a terminal and erased when done; pipes and logs never see it.
pub struct Progress {
    shown: bool,
}

impl Progress {
    pub fn start(message: &str) -> Progress {
        let shown = std::io::stderr().is_terminal();
        if shown {
            eprint!("{message}…");
        }
        Progress { shown }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.shown {
            eprint!("\r\x1b[K");
        }
    }
}
