//! `simulate`: prints one simulated hour of the stack with ten thousand tenants (issue 19).

use simulate::{run, Options};
use std::process::ExitCode;

const HELP: &str = "\
simulate: one deterministic hour of the whole stack (schedule fan-out, sync and score functions,
HubSpot limits, DynamoDB partitions) and the month's cost at list prices.

Options:
  --tenants N                 tenants to draw (default 10000)
  --seed N                    seed of the population (default 19)
  --reserved-concurrency N    the sync function's reserved concurrency (default 10, the template's)
  --sweep                     also print the hour at a range of reserved concurrencies
  -h, --help                  this text";

fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n, Some(v.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: `{v}` is not a whole number"))
        };
        match name {
            "-h" | "--help" => return Ok(None),
            "--sweep" => options.sweep = true,
            "--tenants" => {
                let n = number(value()?)?;
                if n == 0 || n > 1_000_000 {
                    return Err("--tenants: between 1 and 1,000,000".into());
                }
                options.tenants = n as usize;
            }
            "--seed" => options.seed = number(value()?)?,
            "--reserved-concurrency" => {
                let n = number(value()?)?;
                if n == 0 || n >= 1_000 {
                    return Err(
                        "--reserved-concurrency: between 1 and 999 (the account has 1,000)".into(),
                    );
                }
                options.reserved = n as u32;
            }
            other => return Err(format!("unknown option `{other}` (see --help)")),
        }
    }
    Ok(Some(options))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match parse(&args) {
        Ok(Some(options)) => {
            print!("{}", run(&options));
            ExitCode::SUCCESS
        }
        Ok(None) => {
            println!("{HELP}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("simulate: {message}");
            ExitCode::from(2)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn options_parse_in_both_spellings_and_refuse_nonsense() {
        let options = parse(&args(&[
            "--tenants",
            "500",
            "--seed=4",
            "--reserved-concurrency",
            "30",
            "--sweep",
        ]))
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("not help"));
        assert_eq!(
            options,
            Options {
                tenants: 500,
                seed: 4,
                reserved: 30,
                sweep: true
            }
        );
        assert_eq!(parse(&args(&["--help"])), Ok(None));
        assert!(parse(&args(&["--tenants", "many"])).is_err());
        assert!(parse(&args(&["--reserved-concurrency", "0"])).is_err());
        assert!(parse(&args(&["--seed"])).is_err());
        assert!(parse(&args(&["--fast"])).is_err());
    }
}
