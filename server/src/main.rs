use std::{net::SocketAddr, sync::Arc};

use clap::Parser;
use server::{AppState, Config, app};
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .init();
    let config = Config::parse();
    if !config.dist.join("index.html").is_file() {
        tracing::warn!(dist = %config.dist.display(), "no built app here: run `./x run` to build it");
    }
    let (state, stop) = AppState::open(&config)?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(config.addr, config.port)).await?;
    let addr = listener.local_addr()?;
    // Scripts wait for this exact line to learn the port.
    println!("Amplify is running at http://{addr}/");
    tracing::info!(data = %config.data_dir.display(), "relay store open");
    axum::serve(listener, app(Arc::new(state)))
        .with_graceful_shutdown(async move {
            shutdown().await;
            // Sync sessions are long-lived: tell them to close so the server can stop.
            let _ = stop.send(true);
        })
        .await?;
    tracing::info!("stopped");
    Ok(())
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
