//! The command line: arguments, exit codes, and the dispatch to the
//! commands in `cli/`. Nothing in the library prints or touches the disk.

mod cli;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use cli::{Format, Output, EXIT_USAGE};
use dddc::diagnostics::ColorChoice;

/// See Cargo.toml for why and what it gained.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "dddc",
    version,
    about = "Compile a DDD domain model (.ddd) into PostgreSQL migrations, ERDs and a data dictionary"
)]
struct Cli {
    /// Run as if started in DIR.
    #[arg(short = 'C', global = true, value_name = "DIR")]
    chdir: Option<PathBuf>,
    /// When to colour diagnostics (NO_COLOR is honoured by `auto`).
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto)]
    color: Color,
    /// Report format.
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Print errors only.
    #[arg(short, long, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand)]
enum Command {
    /// Parse, resolve and validate the model only.
    Validate {
        /// A .ddd file or a folder (default: from dddc.toml, or the single .ddd file here).
        model: Option<PathBuf>,
    },
    /// Validate, then write the next migration and its undo if the model changed, the lock and the docs.
    Build {
        /// A .ddd file or a folder (default: from dddc.toml, or the single .ddd file here).
        model: Option<PathBuf>,
        /// Description of the migration, used in its file name.
        #[arg(long)]
        name: Option<String>,
        /// Print what would be written, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Allow changes that can lose data (drops, narrowing types, NOT NULL without a value).
        #[arg(long)]
        allow_destructive: bool,
    },
    /// The CI gate: fail when anything generated is missing, stale or edited by hand. Writes nothing
    /// but its local cache (`.dddc/`, ignored by git).
    Check {
        /// A .ddd file or a folder.
        model: Option<PathBuf>,
        /// Check in full even when nothing changed since the last pass, and
        /// neither read nor record that pass in `.dddc/check`.
        #[arg(long)]
        no_cache: bool,
        /// Also run `dddc verify` (skipped with a note when no PostgreSQL
        /// server binaries are installed and no URL is given).
        #[arg(long)]
        verify: bool,
        /// With `--verify`: the server to verify in (see `dddc verify`);
        /// `DDDC_DATABASE_URL` when not given. (Read by hand, not by clap:
        /// a CI job that sets the variable for `verify` or `drift` made
        /// every plain `dddc check` fail for want of `--verify`.)
        #[arg(long, value_name = "URL", requires = "verify")]
        database_url: Option<String>,
    },
    /// Print the SQL the next build would write, and what it would refuse.
    Plan {
        /// A .ddd file or a folder.
        model: Option<PathBuf>,
    },
    /// Design lint and the 0–100 design score (exit 1 on an error finding or a score below the minimum).
    Lint {
        /// A .ddd file or a folder.
        model: Option<PathBuf>,
        /// Fail below this score (default: `[lint] min_score`, else 85).
        #[arg(long)]
        min_score: Option<u32>,
        /// Lint the SQL migrations in DIR (default: `[migrations] dir`)
        /// with squawk instead of the model: hand-written ones too, each in
        /// a transaction unless its `.conf` says otherwise.
        #[arg(long, value_name = "DIR", num_args = 0..=1)]
        migrations: Option<Option<PathBuf>>,
    },
    /// The language server, over stdio (for editors).
    Lsp,
    /// Write a model (and a baseline V1 and lock) from an existing database.
    Import {
        #[arg(long, value_name = "URL", env = "DDDC_DATABASE_URL")]
        database_url: String,
        /// The schemas to import (when none: every schema that holds a table, `public` too, not the system's).
        #[arg(long = "schema", value_name = "SCHEMA")]
        schemas: Vec<String>,
        /// The folder to write the project into (default: the current one).
        dir: Option<PathBuf>,
    },
    /// Apply every migration, twice, on a throwaway PostgreSQL (or a scratch
    /// database of `--database-url`), compare the final schema with the
    /// lock's and run the undos back: proves the migrations before a merge.
    Verify {
        model: Option<PathBuf>,
        /// A server to create the scratch database in (its role needs
        /// CREATEDB); without it, a throwaway cluster from the local binaries.
        #[arg(long, value_name = "URL", env = "DDDC_DATABASE_URL")]
        database_url: Option<String>,
        /// Keep the scratch database (or the throwaway cluster, until Enter).
        #[arg(long)]
        keep: bool,
    },
    /// Compare a deployed database with the lock: Flyway's history and
    /// every object. Read-only. Exits 1 on drift.
    Drift {
        model: Option<PathBuf>,
        #[arg(long, value_name = "URL", env = "DDDC_DATABASE_URL")]
        database_url: String,
        /// Flyway's history table (`schema.table`), when not the one
        /// `flyway_schema_history` of the database.
        #[arg(long, value_name = "TABLE")]
        history_table: Option<String>,
    },
    /// Rewrite .ddd files in the canonical layout (comments kept).
    Fmt {
        /// Exit 1 when a file is not formatted, writing nothing.
        #[arg(long)]
        check: bool,
        /// Files to format (default: the model and its includes).
        files: Vec<PathBuf>,
    },
    /// Explain a diagnostic code: what, why, an example and the fix.
    Explain { code: String },
    /// A hand-written migration after the last one (a data fix, a backfill): registered in the
    /// lock; the next build records its checksum once it is written.
    New {
        /// What it does, for its file name (`fix_orphan_bookings`).
        name: String,
    },
    /// Forget the migrations after version N (not yet run on any shared database): the next
    /// build writes the model's changes since N again.
    Rewind {
        /// The last migration to keep.
        #[arg(long = "to", value_name = "N")]
        to: String,
        /// Delete the hand-written migrations after N too (refused
        /// without: no build writes them again).
        #[arg(long)]
        discard_hand_written: bool,
    },
    /// After `git merge` of another branch: keep its migrations, and build this branch's changes
    /// again after them (resolves the lock's conflict).
    Rebase {
        /// A .ddd file or a folder.
        model: Option<PathBuf>,
        /// The branch merged (default: the merge in progress).
        #[arg(long, value_name = "REF")]
        onto: Option<String>,
        /// Allow this branch's changes that can lose data (as `build --allow-destructive`).
        #[arg(long)]
        allow_destructive: bool,
    },
    /// Create a starter project (dddc.toml, a small commented model) and build it: it passes
    /// `fmt --check`, `lint` and `check` as it is.
    Init {
        /// Folder to create the project in (default: here).
        dir: Option<PathBuf>,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

fn main() -> ExitCode {
    // Written output to a closed pipe (`dddc plan | head`) ends the program
    // quietly, as for any Unix tool, instead of panicking in `println!`.
    reset_sigpipe();
    quiet_stdout_failures();
    shorter_purge_delay();
    // Before any thread: reading the umask sets it for a moment.
    dddc::output::remember_umask();
    // The front end and the printers recurse over expressions and nested
    // declarations. The syntax limits bound that depth; a generous stack is
    // the second line of defence (only the pages touched are committed).
    // Where no thread can be started (a limit on threads or memory), the
    // main thread runs it with the stack it has.
    let worker = std::thread::Builder::new().stack_size(dddc::threads::STACK_SIZE).spawn(run);
    match worker.map(|w| w.join()) {
        Ok(Ok(code)) => code,
        Ok(Err(_)) => ExitCode::from(EXIT_USAGE),
        Err(_) => run(),
    }
}

/// Standard output that cannot be written (`dddc plan > /dev/full`) makes
/// `println!` panic: say so in one line, without a panic's message and
/// backtrace (the run then exits with 2, as for any error).
fn quiet_stdout_failures() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        match message.strip_prefix("failed printing to stdout: ") {
            Some(cause) => eprintln!("error: cannot write to standard output: {cause}"),
            None => default(info),
        }
    }));
}

#[cfg(unix)]
fn reset_sigpipe() {
    // SAFETY: restoring the default disposition of SIGPIPE before any thread
    // starts; no Rust code relies on SIGPIPE being ignored.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn reset_sigpipe() {}

/// mimalloc's `mi_option_purge_delay`: the 16th of `mi_option_e` in its
/// `mimalloc.h` (v2, the one built; libmimalloc-sys names its neighbours,
/// 14 and 16, but not it). A test checks its default.
const MI_OPTION_PURGE_DELAY: std::ffi::c_int = 15;

extern "C" {
    fn mi_option_set_default(option: std::ffi::c_int, value: std::ffi::c_long);
    #[cfg(test)]
    fn mi_option_get(option: std::ffi::c_int) -> std::ffi::c_long;
}

/// Pages mimalloc has freed go back to the system after 5 ms instead of
/// its default 10 (its environment, `MIMALLOC_PURGE_DELAY` or the older
/// `MIMALLOC_RESET_DELAY` in any case, still decides: this sets only the
/// default). The documents were made on three threads then (two now)
/// that free what the others hold, and each thread's freed pages waited
/// out the delay while the next document was made: a check in full of
/// the multi-tenant rich 2,000 model peaked at 140-143 MB of RSS for a
/// heap of 94 MB, and peaks at 130-131 MB with 5 ms, at the same speed
/// (builds too; docs/performance.md has the runs). 0 (at once) took it
/// to 111 MB but cost a fifth more time in `madvise`.
fn shorter_purge_delay() {
    // SAFETY: a plain integer option of the allocator this binary links
    // (above), set before any other thread starts.
    unsafe { mi_option_set_default(MI_OPTION_PURGE_DELAY, 5) }
}

/// Says at the end of a run, with `DDDC_TIMINGS=1`, how many helper
/// threads it started (none with `DDDC_THREADS=1`).
struct HelpersNote;

impl Drop for HelpersNote {
    fn drop(&mut self) {
        dddc::timing::note(format_args!("helper threads started: {}", dddc::threads::started()));
    }
}

/// An argument clap refuses. Asked for JSON (`--format json` among the
/// arguments), one JSON document on stdout as for every other failure
/// (docs/json-output.md), clap's message as its usage diagnostic, and the
/// message on stderr as always; help and version print as clap prints them.
fn usage_error_of_clap(e: clap::Error) -> u8 {
    use clap::error::ErrorKind;
    // Lossy: a non-UTF-8 argument is one reason clap refuses (and
    // `std::env::args` would panic on it).
    let args: Vec<String> = std::env::args_os().skip(1).map(|a| a.to_string_lossy().into_owned()).collect();
    let json =
        args.windows(2).any(|w| w[0] == "--format" && w[1] == "json") || args.iter().any(|a| a == "--format=json");
    let informational = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    if json && !informational {
        let message = e.render().to_string();
        let first = message.lines().next().unwrap_or_default().trim_start_matches("error: ").to_string();
        let names: Vec<String> = {
            use clap::CommandFactory;
            Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect()
        };
        let command = args.iter().find(|a| names.contains(a)).cloned().unwrap_or_default();
        let doc = serde_json::json!({
            "command": command,
            "ok": false,
            "exit_code": 2,
            "diagnostics": [{"code": "usage", "severity": "error", "message": first}],
            "errors": 1,
            "warnings": 0,
        });
        println!("{doc}");
    }
    let _ = e.print();
    match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => 0,
        _ => 2,
    }
}

fn run() -> ExitCode {
    let _total = dddc::timing::phase("total");
    let _helpers = HelpersNote;
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(usage_error_of_clap(e)),
    };
    let color = match cli.color {
        Color::Always => ColorChoice::Always,
        Color::Never => ColorChoice::Never,
        Color::Auto => {
            if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) || !std::io::stderr().is_terminal() {
                ColorChoice::Never
            } else {
                ColorChoice::Always
            }
        }
    };
    let out = Output::new(color, cli.format, cli.quiet);
    if let Some(dir) = &cli.chdir {
        if let Err(e) = std::env::set_current_dir(dir) {
            let code = out.usage_error(&format!("cannot enter `{}`: {e}", dir.display()));
            return ExitCode::from(out.finish("-C", code));
        }
    }
    let (name, code) = match cli.command {
        Command::Validate { model } => ("validate", cli::misc::validate(&out, model.as_deref())),
        Command::Build { model, name, dry_run, allow_destructive } => {
            ("build", cli::build::build(&out, model.as_deref(), name.as_deref(), dry_run, allow_destructive))
        }
        Command::Check { model, no_cache, verify, database_url } => {
            let mut code = cli::check::check(&out, model.as_deref(), !no_cache);
            if verify && code == 0 {
                let url = database_url.or_else(|| std::env::var("DDDC_DATABASE_URL").ok().filter(|u| !u.is_empty()));
                code = cli::db::verify_in_check(&out, model.as_deref(), url.as_deref());
            }
            ("check", code)
        }
        Command::Lint { model, min_score: _, migrations: Some(dir) } => {
            ("lint", cli::lint::lint_migrations(&out, model.as_deref(), dir.as_deref()))
        }
        Command::Lint { model, min_score, migrations: None } => {
            ("lint", cli::lint::lint(&out, model.as_deref(), min_score))
        }
        Command::Plan { model } => ("plan", cli::build::plan(&out, model.as_deref())),
        Command::Fmt { check, files } => ("fmt", cli::misc::fmt(&out, check, files)),
        Command::Explain { code } => ("explain", cli::misc::explain(&out, &code)),
        Command::Init { dir } => ("init", cli::misc::init(&out, dir.as_deref())),
        Command::New { name } => ("new", cli::team::new(&out, &name)),
        Command::Rewind { to, discard_hand_written } => ("rewind", cli::team::rewind(&out, &to, discard_hand_written)),
        Command::Rebase { model, onto, allow_destructive } => {
            ("rebase", cli::team::rebase(&out, model.as_deref(), onto.as_deref(), allow_destructive))
        }
        Command::Verify { model, database_url, keep } => {
            ("verify", cli::db::verify(&out, model.as_deref(), database_url.as_deref(), keep))
        }
        Command::Drift { model, database_url, history_table } => {
            ("drift", cli::db::drift(&out, model.as_deref(), &database_url, history_table.as_deref()))
        }
        Command::Import { database_url, schemas, dir } => {
            ("import", cli::db::import(&out, &database_url, &schemas, dir.as_deref()))
        }
        Command::Lsp => return ExitCode::from(dddc::lsp::serve()),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "dddc", &mut script);
            use std::io::Write;
            let mut stdout = std::io::stdout().lock();
            return match stdout.write_all(&script).and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("error: cannot write to standard output: {e}");
                    ExitCode::from(EXIT_USAGE)
                }
            };
        }
    };
    ExitCode::from(out.finish(name, code))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The option set is the purge delay: its default is options.c's 10,
    /// which neither neighbour has (1 and 0); and the environment still
    /// decides. (The test harness's threads run meanwhile: they read the
    /// option, a plain integer, at most.)
    #[test]
    fn the_option_set_is_mimallocs_purge_delay() {
        let in_env = |names: &[&str]| {
            std::env::vars_os().any(|(k, _)| names.contains(&k.to_string_lossy().to_ascii_lowercase().as_str()))
        };
        let delay_in_env = in_env(&["mimalloc_purge_delay", "mimalloc_reset_delay"]);
        // SAFETY: reading and setting plain integer options.
        unsafe {
            if !delay_in_env {
                assert_eq!(mi_option_get(MI_OPTION_PURGE_DELAY), 10);
            }
            if !in_env(&["mimalloc_eager_commit_delay", "mimalloc_use_numa_nodes"]) {
                assert_eq!(mi_option_get(MI_OPTION_PURGE_DELAY - 1), 1, "eager_commit_delay");
                assert_eq!(mi_option_get(MI_OPTION_PURGE_DELAY + 1), 0, "use_numa_nodes");
            }
        }
        let before = unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) };
        shorter_purge_delay();
        let after = unsafe { mi_option_get(MI_OPTION_PURGE_DELAY) };
        assert_eq!(after, if delay_in_env { before } else { 5 });
    }
}
