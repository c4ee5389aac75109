//! `mesh`: the command line of mesh-rs, built on the Rust SDK. Looks into
//! a Mesh server, moves points and models in and out of files, and makes
//! backups, without writing a program.
//!
//! - [`args`]: the commands and options.
//! - [`connect`]: connection options to an SDK connection.
//! - [`output`]: human-readable or JSON results.
//! - [`series`], [`points`], [`model`], [`calc`], [`server`]: the commands.

mod args;
mod calc;
mod connect;
mod model;
mod output;
mod points;
mod progress;
mod series;
mod server;

use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command};
use output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("mesh: cannot start: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // One line: the error and its causes.
            eprintln!("mesh: {}", one_line(&error));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let out = Output::new(cli.json);
    let connection = connect::connect(&cli.connection).await?;
    match cli.command {
        Command::Version => server::version(&connection, &out).await,
        Command::Whoami => server::whoami(&connection, &out).await,
        Command::Backup { name } => server::backup(&connection, name.as_deref(), &out).await,
        Command::Series(command) => series::run(&connection, command, &out).await,
        Command::Points(command) => points::run(&connection, command, &out).await,
        Command::Model(command) => model::run(&connection, command, &out).await,
        Command::Calc {
            expression,
            from,
            to,
            relative_to,
            format,
            output,
        } => {
            let format = points::format_of(output.as_deref(), format);
            let request = calc::Request {
                expression: &expression,
                interval: (&from, &to),
                relative_to: relative_to.as_deref(),
            };
            calc::run(&connection, request, format, output, &out).await
        }
    }
}

/// The error and its causes on one line. The chain stops at the SDK's
/// error: its message already spells out its causes.
fn one_line(error: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in error.chain() {
        parts.push(cause.to_string());
        if cause.downcast_ref::<mesh::Error>().is_some() {
            break;
        }
    }
    parts.join(": ").replace('\n', " ")
}
