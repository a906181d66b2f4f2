//! `fba`: the fba-rs command line (database set-up, superusers, running the server, the agent
//! chat).

mod accounts;
mod agent;

use std::io::{BufRead, Write};
use std::process::ExitCode;

use accounts::{Accounts, NewSuperuser};
use agent::AgentCommand;
use clap::{Parser, Subcommand};
use fba_common::kv_keys::KvKeys;
use fba_common::security::SessionChange;
use fba_core_conf::{Settings, Source};
use fba_server::bootstrap;

/// fba-rs: the FastAPI Best Architecture admin backend, in Rust.
#[derive(Debug, Parser)]
#[command(name = "fba", version, about)]
struct Cli {
    /// `.env` file to read (the process environment still wins).
    #[arg(long, global = true, default_value = ".env")]
    env_file: std::path::PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Drop every table, re-create the schema and insert FBA's test data; clears cached sessions.
    InitDb {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Apply pending migrations (a new database also gets the test data).
    Migrate,
    /// Drop every table of the schema.
    DropDb {
        /// Do not ask for confirmation.
        #[arg(long, short = 'y')]
        yes: bool,
    },
    /// Create a superuser (staff, multi-login) with the given password.
    CreateSuperuser {
        /// Login name.
        #[arg(long)]
        username: String,
        /// Password; read from standard input when omitted.
        #[arg(long, env = "FBA_SUPERUSER_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// E-mail address.
        #[arg(long)]
        email: Option<String>,
        /// Display name (defaults to the username).
        #[arg(long)]
        nickname: Option<String>,
    },
    /// Set a user's password (the API's policy and history), end every session of the user and
    /// clear its lock.
    ResetPassword {
        /// Login name.
        #[arg(long)]
        username: String,
        /// New password; read from standard input when omitted.
        #[arg(long, env = "FBA_NEW_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// Run the HTTP server.
    Run {
        /// Host to bind (default `SERVER_HOST` or 127.0.0.1).
        #[arg(long)]
        host: Option<String>,
        /// Port to bind (default `SERVER_PORT` or 8000).
        #[arg(long)]
        port: Option<u16>,
    },
    /// The PTC agent in the terminal (no database needed).
    Agent {
        #[command(subcommand)]
        command: AgentCommand,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Agent { command } = cli.command {
        // The agent reads its own configuration (config.yaml, llms.json, .env), not fba's.
        let env_file = Some(cli.env_file).filter(|p| p.is_file());
        return agent::run(command, env_file).await;
    }
    let mut source = match Source::from_env_and_file(&cli.env_file) {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    if let Command::Run { host, port } = &cli.command {
        if let Some(h) = host {
            source.set("SERVER_HOST", h.clone());
        }
        if let Some(p) = port {
            source.set("SERVER_PORT", p.to_string());
        }
    }
    let settings = match Settings::from_source(&source) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("fba: {e}");
            return ExitCode::from(2);
        }
    };
    if !matches!(cli.command, Command::Run { .. }) {
        fba_common::telemetry::init_logs(&settings);
    }
    match run(cli.command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&*e),
    }
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("fba: {e}");
    ExitCode::from(1)
}

type CliResult = Result<(), Box<dyn std::error::Error>>;

async fn run(command: Command, settings: Settings) -> CliResult {
    match command {
        Command::Agent { .. } => {
            return Err("fba agent is dispatched before the server settings are read".into());
        }
        Command::Run { .. } => {
            // The same logging and export as `fba-server`.
            let telemetry = fba_common::telemetry::init(&settings, fba_common::metrics::APP_NAME)?;
            let app = Box::pin(fba_server::Application::build(settings)).await?;
            println!("fba-rs listening on port {}", app.port());
            let served = app.run_until_stopped().await;
            telemetry.shutdown().await;
            served?;
        }
        Command::Migrate => {
            let (settings, modules) = bootstrap::prepare(settings)?;
            let db = bootstrap::connect_database(&settings).await?;
            let outcome = bootstrap::migrate(db.inner(), &modules, &settings).await?;
            println!(
                "migrations applied: {}{}",
                outcome.applied,
                if outcome.seeded {
                    " (test data inserted)"
                } else {
                    ""
                }
            );
        }
        Command::InitDb { yes } => {
            if !yes
                && !confirm(&format!(
                    "This drops every table of {} and re-creates them with test data. Continue?",
                    settings.database.redacted_url()
                ))?
            {
                println!("cancelled");
                return Ok(());
            }
            let kv = bootstrap::open_kv(&settings).await?;
            for prefix in KvKeys::new(&settings).init_db_prefixes() {
                kv.delete_prefix(prefix).await?;
            }
            fba_common::security::announce(&kv, &SessionChange::All).await?;
            let (settings, modules) = bootstrap::prepare(settings)?;
            let db = bootstrap::connect_database(&settings).await?;
            bootstrap::reset(db.inner(), &modules, &settings).await?;
            println!("database initialised: admin / 123456");
        }
        Command::DropDb { yes } => {
            if !yes
                && !confirm(&format!(
                    "This drops every table of {}. Continue?",
                    settings.database.redacted_url()
                ))?
            {
                println!("cancelled");
                return Ok(());
            }
            let (settings, modules) = bootstrap::prepare(settings)?;
            let db = bootstrap::connect_database(&settings).await?;
            bootstrap::drop_all(db.inner(), &modules).await?;
            println!("all tables dropped");
        }
        Command::CreateSuperuser {
            username,
            password,
            email,
            nickname,
        } => {
            let password = password_or_prompt(password)?;
            let accounts = Accounts::open(settings).await?;
            let created = accounts
                .create_superuser(NewSuperuser {
                    username: username.clone(),
                    password,
                    nickname,
                    email,
                })
                .await;
            accounts.close().await;
            let id = created?;
            println!("superuser {username} created (id {id})");
        }
        Command::ResetPassword { username, password } => {
            let password = password_or_prompt(password)?;
            let accounts = Accounts::open(settings).await?;
            let reset = accounts.reset_password(&username, &password).await;
            accounts.close().await;
            reset?;
            println!("password of {username} reset");
        }
    }
    Ok(())
}

fn confirm(question: &str) -> std::io::Result<bool> {
    print!("{question} [y/N] ");
    std::io::stdout().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(
        line.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

fn password_or_prompt(password: Option<String>) -> std::io::Result<String> {
    if let Some(p) = password {
        return Ok(p);
    }
    eprint!("password: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
