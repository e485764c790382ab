//! Amplify's server: serves the built app and the sync relay.
//!
//! `main.rs` only reads the config and binds; [`app`] builds the whole router so tests can
//! drive it without a socket.

mod assets;
mod config;
pub mod relay;
pub mod store;

use std::{fmt::Write as _, path::PathBuf, sync::Arc, sync::atomic::Ordering};

use axum::{
    Json, Router,
    extract::{
        State,
        ws::{CloseFrame, Message, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::watch;
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

pub use crate::{
    assets::Caching,
    config::Config,
    relay::{Hub, Inbound, Limits, Outbound},
    store::{SqliteStore, Store, StoreError},
};

/// What every request handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub dist: PathBuf,
    pub hub: Arc<Hub>,
}

impl AppState {
    /// The state for `config`, with the relay's store in the data directory. Setting the
    /// returned sender to `true` closes every sync session.
    ///
    /// # Errors
    /// If the data directory or the database cannot be opened.
    pub fn open(config: &Config) -> Result<(AppState, watch::Sender<bool>), StoreError> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| StoreError::Interrupted(e.to_string()))?;
        let store = SqliteStore::open(&config.data_dir.join("relay.sqlite3"))?;
        let (stop, shutdown) = watch::channel(false);
        let hub = Hub::new(Arc::new(store), config.limits(), shutdown);
        Ok((AppState { dist: config.dist.clone(), hub: Arc::new(hub) }, stop))
    }
}

/// The whole server as a router.
pub fn app(state: Arc<AppState>) -> Router {
    let dist = state.dist.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/sync", get(sync))
        .with_state(state)
        .merge(assets::router(&dist))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
    connections: i64,
}

async fn healthz(State(state): State<Arc<AppState>>) -> Json<Health> {
    let connections = state.hub.metrics.connections.load(Ordering::Relaxed);
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION"), connections })
}

/// Counters in Prometheus' text format.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let m = &state.hub.metrics;
    let store = state.hub.store().clone();
    let totals = tokio::task::spawn_blocking(move || store.totals())
        .await
        .ok()
        .and_then(Result::ok)
        .unwrap_or_default();
    let mut out = String::new();
    let mut line = |name: &str, kind: &str, help: &str, value: String| {
        let _ = writeln!(
            out,
            "# HELP amplify_{name} {help}\n# TYPE amplify_{name} {kind}\namplify_{name} {value}"
        );
    };
    line("connections", "gauge", "Open sync connections.", m.connections.load(Ordering::Relaxed).to_string());
    line(
        "blobs_accepted_total",
        "counter",
        "Blobs stored since start.",
        m.blobs_accepted.load(Ordering::Relaxed).to_string(),
    );
    line(
        "bytes_accepted_total",
        "counter",
        "Bytes of blobs stored since start.",
        m.bytes_accepted.load(Ordering::Relaxed).to_string(),
    );
    line(
        "snapshots_accepted_total",
        "counter",
        "Snapshots stored since start.",
        m.snapshots_accepted.load(Ordering::Relaxed).to_string(),
    );
    line("rejected_total", "counter", "Requests refused.", m.rejected.load(Ordering::Relaxed).to_string());
    line(
        "closed_for_errors_total",
        "counter",
        "Connections closed for an error.",
        m.closed_for_errors.load(Ordering::Relaxed).to_string(),
    );
    line("stored_spaces", "gauge", "Spaces with stored documents.", totals.spaces.to_string());
    line("stored_documents", "gauge", "Documents stored.", totals.documents.to_string());
    line("stored_blobs", "gauge", "Blobs stored (not yet covered by a snapshot).", totals.blobs.to_string());
    line("stored_bytes", "gauge", "Bytes of blobs and snapshots stored.", totals.bytes.to_string());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// The relay's WebSocket. A request that is not a WebSocket upgrade is refused outright; an
/// upgraded connection that does not prove an admitted device key is closed (see `relay`).
async fn sync(
    State(state): State<Arc<AppState>>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    let Ok(upgrade) = upgrade else {
        return (
            StatusCode::UNAUTHORIZED,
            "sync needs a WebSocket connection that proves an admitted device key",
        )
            .into_response();
    };
    let hub = state.hub.clone();
    let limit = hub.limits.max_frame_bytes;
    // Small buffers: most frames are a few hundred bytes, and the defaults (128 KiB each) would
    // cost the relay a quarter of a megabyte for every idle connection.
    let upgrade = upgrade.read_buffer_size(8 * 1024).write_buffer_size(8 * 1024);
    upgrade.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| {
        let (sink, stream) = socket.split();
        let sink = sink.with(|out: Outbound| async move {
            Ok::<_, axum::Error>(match out {
                Outbound::Binary(bytes) => Message::Binary(bytes.into()),
                Outbound::Close { code, reason } => {
                    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
                }
            })
        });
        let stream = stream.filter_map(|message| async move {
            match message {
                Ok(Message::Binary(bytes)) => Some(Inbound::Binary(bytes.to_vec())),
                Ok(Message::Text(_)) => Some(Inbound::Text),
                Ok(Message::Close(_)) => Some(Inbound::Closed),
                Ok(Message::Ping(_) | Message::Pong(_)) => None,
                Err(e) if is_too_large(&e) => Some(Inbound::TooLarge),
                Err(_) => Some(Inbound::Closed),
            }
        });
        relay::session(hub, Box::pin(sink), Box::pin(stream))
    })
}

fn is_too_large(error: &axum::Error) -> bool {
    let text = error.to_string();
    text.contains("too long") || text.contains("too big") || text.contains("Space limit")
}
