use std::{net::SocketAddr, process::ExitCode, sync::Arc};

use amplify::{RegistrationId, RegistrationKey};
use clap::Parser;
use server::{AppState, Cli, Command, Config, RegistrationCommand, admin_app, app, net, open_store};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let outcome = match cli.command {
        None => serve(cli.config).await,
        // The stores' calls block: off the async workers.
        Some(Command::Registration(command)) => {
            tokio::task::block_in_place(|| registration(&cli.config, command))
        }
        Some(Command::CopyToPostgres { to }) => {
            tokio::task::block_in_place(|| copy_to_postgres(&cli.config, &to))
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> Result<(), Box<dyn std::error::Error>> {
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist.display(), "no built app here: run `./x run` to build it");
    }
    match net::raise_descriptor_limit() {
        Some(limit) => tracing::info!(limit, "open-file limit"),
        None => tracing::warn!("could not raise the open-file limit"),
    }
    let (state, stop) = AppState::open(&config)?;
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(config.addr, config.port)).await?;
    let addr = listener.local_addr()?;
    // Scripts wait for this exact line to learn the port.
    println!("Amplify is running at http://{addr}/");
    tracing::info!(data = %config.data_dir.display(), open_admission = config.open_admission, "relay store open");
    if config.open_admission {
        tracing::warn!("open admission: any space may store here; never use it on a server others can reach");
    }
    if let Some(admin) = config.admin_addr {
        let listener = tokio::net::TcpListener::bind(admin).await?;
        let admin_app = admin_app(state.clone());
        tracing::info!(%admin, "metrics and health on the admin address");
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, admin_app).await {
                tracing::error!(error = %e, "the admin address stopped");
            }
        });
    }
    let hub = state.hub.clone();
    net::serve(listener, app(state), config.net(), hub, async move {
        shutdown().await;
        // Sync sessions are long-lived: tell them to close so the server can stop.
        let _ = stop.send(true);
    })
    .await?;
    tracing::info!("stopped");
    Ok(())
}

/// The operator's registration commands, on the relay's database (safe while the server runs:
/// SQLite and PostgreSQL both let them).
fn registration(config: &Config, command: RegistrationCommand) -> Result<(), Box<dyn std::error::Error>> {
    let store = open_store(config)?;
    let parse =
        |id: &str| RegistrationId::parse(id.trim()).ok_or("that is not a registration id (64 hex digits)");
    match command {
        RegistrationCommand::Issue { label, quota } => {
            let key = RegistrationKey::generate();
            store.issue_registration(key.id(), &label, quota)?;
            println!("Issued registration {} ({label}, quota {}).", key.id(), human(quota));
            println!();
            println!("Give this code to the programme team (they enter it when they create the cohort):");
            println!();
            println!("    {}", key.to_code());
            println!();
            println!("The relay keeps only the id above; the code cannot be shown again.");
        }
        RegistrationCommand::List => {
            println!("{:<64}  {:>10}  {:>10}  {:>6}  {:<8}  label", "id", "used", "quota", "spaces", "state");
            for r in store.registrations()? {
                let state = if r.revoked_ms.is_some() { "revoked" } else { "active" };
                println!(
                    "{:<64}  {:>10}  {:>10}  {:>6}  {:<8}  {}",
                    r.id.to_string(),
                    human(r.bytes),
                    human(r.quota),
                    r.spaces,
                    state,
                    r.label
                );
            }
        }
        RegistrationCommand::Revoke { id } => {
            if !store.revoke_registration(parse(&id)?)? {
                return Err("no active registration with that id".into());
            }
            println!("Revoked. Its spaces store nothing more; what they stored stays readable.");
        }
        RegistrationCommand::Quota { id, quota } => {
            if !store.set_registration_quota(parse(&id)?, quota)? {
                return Err("no registration with that id".into());
            }
            println!("The quota is now {}.", human(quota));
        }
    }
    Ok(())
}

/// `server copy-to-postgres --to URL`: the SQLite file into PostgreSQL, verified.
fn copy_to_postgres(config: &Config, to: &str) -> Result<(), Box<dyn std::error::Error>> {
    let sqlite = config.data_dir.join("relay.sqlite3");
    println!("Copying {} into PostgreSQL…", sqlite.display());
    let copied = server::store::copy::sqlite_to_postgres(&sqlite, to, config.store(), &mut |line| {
        println!("  {line}")
    })?;
    let rows: u64 = copied.tables.iter().map(|(_, rows, _)| rows).sum();
    println!("Done: {rows} rows in {} tables, verified identical.", copied.tables.len());
    println!("Start the relay instances with --database-url (or AMPLIFY_DATABASE_URL) set to it.");
    Ok(())
}

fn human(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{bytes} B") } else { format!("{value:.1} {}", UNITS[unit]) }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut signal) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            signal.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down");
}
