//! `connected-insights-local`: the whole pipeline in one process on localhost. See README.md.

mod alerts;
mod backfill;
mod cli;
mod data_file;
mod jwt_check;
mod oauth;
mod objects;
mod portal;
mod progress;
mod runner;
mod sources;
mod timers;

use clap::Parser;
use std::io::IsTerminal;
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args = cli::Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only where a terminal draws them, not in a file or a pipe.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    match runner::run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}
