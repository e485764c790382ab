//! Amplify's server: serves the built app and (from issue 3 on) the sync relay.
//!
//! `main.rs` only reads the config and binds; [`app`] builds the whole router so tests can
//! drive it without a socket.

mod assets;
mod config;

use std::{path::PathBuf, sync::Arc};

use axum::{Json, Router, extract::State, routing::get};
use serde::Serialize;
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

pub use crate::{assets::Caching, config::Config};

/// What every request handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub dist: PathBuf,
}

impl AppState {
    pub fn new(config: &Config) -> AppState {
        AppState { dist: config.dist.clone() }
    }
}

/// The whole server as a router.
pub fn app(state: Arc<AppState>) -> Router {
    let dist = state.dist.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(state)
        .merge(assets::router(&dist))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

#[derive(Debug, Serialize)]
struct Health {
    status: &'static str,
    version: &'static str,
}

async fn healthz(State(_state): State<Arc<AppState>>) -> Json<Health> {
    Json(Health { status: "ok", version: env!("CARGO_PKG_VERSION") })
}
