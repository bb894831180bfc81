use std::fs::File;
use std::io::{self, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use safapac_worker::calc_cmd::{self, Outcome};

/// SAFAPAC worker.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Calculate one request (the calculate endpoint's JSON body) and print the result.
    ///
    /// Exit status: 0 on success, 2 when the input is invalid (one line per problem on
    /// stderr; with --batch, when any line was invalid), 1 when the input cannot be read.
    Calc {
        /// Request file; `-` or nothing reads standard input.
        file: Option<PathBuf>,
        /// Read JSON Lines and write one result (or `{"error": …}`) line per request.
        #[arg(long)]
        batch: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Calc { file, batch } => match run_calc(file, batch) {
            Ok(Outcome::Ok) => ExitCode::SUCCESS,
            Ok(Outcome::Invalid) => ExitCode::from(2),
            Err(e) => {
                let _ = writeln!(io::stderr(), "safapac-worker calc: {e}");
                ExitCode::from(1)
            }
        },
    }
}

fn run_calc(file: Option<PathBuf>, batch: bool) -> io::Result<Outcome> {
    let input: Box<dyn io::Read> = match file {
        Some(path) if path.as_os_str() != "-" => Box::new(
            File::open(&path)
                .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?,
        ),
        _ => Box::new(io::stdin().lock()),
    };
    let out = BufWriter::new(io::stdout().lock());
    if batch {
        calc_cmd::batch(BufReader::with_capacity(64 * 1024, input), out)
    } else {
        calc_cmd::single(input, out, io::stderr().lock())
    }
}
