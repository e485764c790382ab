//! Amplify's server: serves the built app and the sync relay.
//!
//! `main.rs` reads the config, raises the descriptor limit and binds; [`app`] builds the whole
//! router so tests can drive it without a socket, and [`net::serve`] accepts connections with
//! the relay's limits.

mod assets;
mod config;
pub mod net;
pub mod relay;
pub mod store;

use std::{fmt::Write as _, path::PathBuf, sync::Arc, sync::atomic::Ordering};

use axum::{
    Extension, Json, Router,
    extract::{
        Request, State,
        ws::{CloseFrame, Message, WebSocketUpgrade, rejection::WebSocketUpgradeRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use futures_util::{SinkExt, StreamExt};
use serde::Serialize;
use tokio::sync::watch;
use tower_http::{compression::CompressionLayer, trace::TraceLayer};

pub use crate::{
    assets::Caching,
    config::{Cli, Command, Config, RegistrationCommand, parse_bytes},
    net::{Gate, NetLimits},
    relay::{Hub, Inbound, Limits, Outbound},
    store::{Admission, PgStore, Quotas, SqliteStore, Store, StoreConfig, StoreError},
};

/// What every request handler can reach.
#[derive(Debug)]
pub struct AppState {
    pub dist: PathBuf,
    pub hub: Arc<Hub>,
    /// Bearer token that opens `/metrics` on the public address, if any.
    pub metrics_token: Option<String>,
    /// Origins besides the server's own that may open sync connections.
    pub allowed_origins: Vec<String>,
    /// The store's last answer to `/healthz`, and when (see [`healthz`]).
    health: tokio::sync::Mutex<Option<(std::time::Instant, Result<(), String>)>>,
}

impl AppState {
    /// The state for `config`, with the relay's store in the data directory. Setting the
    /// returned sender to `true` closes every sync session.
    ///
    /// # Errors
    /// If the data directory or the database cannot be opened.
    pub fn open(config: &Config) -> Result<(AppState, watch::Sender<bool>), StoreError> {
        AppState::open_with(config, config.limits())
    }

    /// [`AppState::open`] with relay limits of its own (tests, benchmarks). Call it inside the
    /// runtime: with a shared store, the hub follows the other instances from then on.
    ///
    /// # Errors
    /// If the data directory or the database cannot be opened.
    pub fn open_with(config: &Config, limits: Limits) -> Result<(AppState, watch::Sender<bool>), StoreError> {
        let (stop, shutdown) = watch::channel(false);
        // Opening reads the database with blocking calls: off the async workers.
        let hub = std::thread::scope(|scope| {
            scope
                .spawn(|| Ok::<_, StoreError>(Hub::new(open_store(config)?, limits, shutdown)))
                .join()
                .unwrap_or_else(|_| Err(StoreError::Interrupted("opening the store panicked".to_owned())))
        })?;
        let hub = Arc::new(hub);
        relay::follow_instances(&hub);
        let state = AppState {
            dist: config.dist.clone(),
            hub,
            metrics_token: config.metrics_token.clone(),
            allowed_origins: config.allowed_origins.clone(),
            health: tokio::sync::Mutex::default(),
        };
        Ok((state, stop))
    }
}

/// The relay's store: PostgreSQL at `config.database_url` if there is one, else SQLite in the
/// data directory (created if missing). Blocking: call it off the async workers.
///
/// # Errors
/// If the directory or the database cannot be opened.
pub fn open_store(config: &Config) -> Result<Arc<dyn Store>, StoreError> {
    if let Some(url) = &config.database_url {
        return Ok(Arc::new(PgStore::open(url, config.store())?));
    }
    std::fs::create_dir_all(&config.data_dir).map_err(|e| StoreError::Interrupted(e.to_string()))?;
    Ok(Arc::new(SqliteStore::open(&config.data_dir.join("relay.sqlite3"), config.store())?))
}

/// The whole server as a router.
pub fn app(state: Arc<AppState>) -> Router {
    let dist = state.dist.clone();
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_if_allowed))
        .route("/sync", get(sync))
        .layer(CompressionLayer::new())
        .with_state(state)
        // The app's files come precompressed from the build.
        .merge(assets::router(&dist))
        .layer(middleware::from_fn(only_sane_paths))
        .layer(middleware::from_fn(security_headers))
        .layer(TraceLayer::new_for_http())
}

/// `/metrics` and `/healthz` alone, for an address only monitoring can reach.
pub fn admin_app(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .with_state(state)
        .layer(middleware::from_fn(security_headers))
}

/// Paths no file or route has: very long ones, over-long segments, NUL, backslashes, dot
/// segments. They get a plain 404 before anything looks at the file system.
async fn only_sane_paths(request: Request, next: Next) -> Response {
    let raw = request.uri().path();
    let decoded = percent_decoded(raw);
    let odd = raw.len() > 1024
        || raw.split('/').any(|segment| segment.len() > 200)
        || decoded.split('/').any(|segment| segment == "..")
        || decoded.contains(['\0', '\\']);
    if odd {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    next.run(request).await
}

fn percent_decoded(path: &str) -> String {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied().and_then(hex), bytes.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Headers every response carries, whatever produced it. Pages get their own policy from
/// `assets`; everything else may load nothing.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let not_modified = response.status() == StatusCode::NOT_MODIFIED;
    let h = response.headers_mut();
    let mut set = |name: header::HeaderName, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(header::REFERRER_POLICY, "no-referrer");
    set(header::X_FRAME_OPTIONS, "DENY");
    // A 304 updates the cached response's headers: giving it this policy would replace the
    // page's own, and the page could no longer run its loader.
    if !not_modified {
        set(header::CONTENT_SECURITY_POLICY, "default-src 'none'; frame-ancestors 'none'");
    }
    set(header::HeaderName::from_static("cross-origin-opener-policy"), "same-origin");
    set(header::HeaderName::from_static("cross-origin-resource-policy"), "same-origin");
    set(
        header::HeaderName::from_static("permissions-policy"),
        "camera=(), microphone=(), geolocation=(), payment=()",
    );
    response
}

#[derive(Debug, Serialize)]
struct Health {
    /// `ok`, or `unavailable` when the store does not answer (then the status is 503, so a
    /// load balancer sends clients to another instance).
    status: &'static str,
    version: &'static str,
    connections: i64,
    /// Why the store does not answer, if it does not.
    #[serde(skip_serializing_if = "Option::is_none")]
    store: Option<String>,
}

/// How long one answer of the store stands: a probe every second from every load balancer (or
/// anyone on the public address) asks the database at most once a second.
const HEALTH_FRESH: std::time::Duration = std::time::Duration::from_secs(1);

/// How long `/healthz` waits for the store before calling it unavailable.
const HEALTH_WAIT: std::time::Duration = std::time::Duration::from_secs(3);

async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let connections = state.hub.metrics.connections.load(Ordering::Relaxed);
    let store = {
        let mut last = state.health.lock().await;
        match &*last {
            Some((at, answer)) if at.elapsed() < HEALTH_FRESH => answer.clone(),
            _ => {
                let store = state.hub.store().clone();
                let asked = tokio::task::spawn_blocking(move || store.health().map_err(|e| e.to_string()));
                let answer = match tokio::time::timeout(HEALTH_WAIT, asked).await {
                    Ok(Ok(answer)) => answer,
                    Ok(Err(e)) => Err(format!("the check did not finish: {e}")),
                    Err(_) => Err(format!("no answer within {} s", HEALTH_WAIT.as_secs())),
                };
                if let Err(e) = &answer {
                    tracing::warn!(error = %e, "the store does not answer: /healthz says unavailable");
                }
                *last = Some((std::time::Instant::now(), answer.clone()));
                answer
            }
        }
    };
    let version = env!("CARGO_PKG_VERSION");
    match store {
        Ok(()) => Json(Health { status: "ok", version, connections, store: None }).into_response(),
        Err(why) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(Health { status: "unavailable", version, connections, store: Some(why) }),
        )
            .into_response(),
    }
}

/// `/metrics` on the public address: only with the configured bearer token.
async fn metrics_if_allowed(State(state): State<Arc<AppState>>, headers: HeaderMap) -> Response {
    let presented = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match &state.metrics_token {
        Some(token)
            if presented.and_then(|p| p.strip_prefix("Bearer ")).is_some_and(|p| constant_eq(p, token)) =>
        {
            metrics(State(state)).await
        }
        Some(_) => (StatusCode::UNAUTHORIZED, "metrics need the bearer token").into_response(),
        None => (StatusCode::NOT_FOUND, "not found").into_response(),
    }
}

/// Compares without stopping at the first difference, so timing tells nothing of the token.
fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Counters in Prometheus' text format. Costs O(1): nothing here reads the store.
async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    let m = &state.hub.metrics;
    let mut out = String::new();
    let mut line = |name: &str, kind: &str, help: &str, value: i64| {
        let _ = writeln!(
            out,
            "# HELP amplify_{name} {help}\n# TYPE amplify_{name} {kind}\namplify_{name} {value}"
        );
    };
    let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed) as i64;
    line("connections", "gauge", "Open sync connections.", m.connections.load(Ordering::Relaxed));
    line("blobs_accepted_total", "counter", "Blobs stored since start.", get(&m.blobs_accepted));
    line("bytes_accepted_total", "counter", "Bytes of blobs stored since start.", get(&m.bytes_accepted));
    line("snapshots_accepted_total", "counter", "Snapshots stored since start.", get(&m.snapshots_accepted));
    line("rejected_total", "counter", "Requests refused.", get(&m.rejected));
    line(
        "quota_refusals_total",
        "counter",
        "Blobs refused because a quota was full.",
        get(&m.quota_refusals),
    );
    line("closed_for_errors_total", "counter", "Connections closed for an error.", get(&m.closed_for_errors));
    line(
        "refused_connections_total",
        "counter",
        "Connections refused at the cap.",
        get(&m.refused_connections),
    );
    line("timed_out_total", "counter", "Connections closed for silence.", get(&m.timed_out));
    line(
        "dropped_slow_readers_total",
        "counter",
        "Connections dropped for not reading.",
        get(&m.dropped_slow_readers),
    );
    line(
        "stored_blobs",
        "gauge",
        "Blobs stored (not covered by a snapshot).",
        m.stored_blobs.load(Ordering::Relaxed),
    );
    line(
        "stored_bytes",
        "gauge",
        "Bytes of blobs and snapshots stored.",
        m.stored_bytes.load(Ordering::Relaxed),
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response()
}

/// Whether a browser's `Origin` may open a sync connection: the server's own (the `Host` it
/// was reached at), or one the operator allowed. Programs that send no `Origin` are not
/// browsers acting on a page's behalf, and prove themselves with keys like everyone.
fn origin_allowed(headers: &HeaderMap, allowed: &[String]) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else { return true };
    if allowed.iter().any(|a| a.trim_end_matches('/') == origin) {
        return true;
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = origin.split_once("://").map(|(_, rest)| rest);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// The relay's WebSocket. A request that is not a WebSocket upgrade is refused outright; an
/// upgraded connection that does not prove an admitted device key is closed (see `relay`).
async fn sync(
    State(state): State<Arc<AppState>>,
    gate: Option<Extension<Arc<Gate>>>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !origin_allowed(&headers, &state.allowed_origins) {
        return (StatusCode::FORBIDDEN, "sync connections are only for this server's own pages")
            .into_response();
    }
    let Ok(upgrade) = upgrade else {
        return (
            StatusCode::UNAUTHORIZED,
            "sync needs a WebSocket connection that proves an admitted device key",
        )
            .into_response();
    };
    let hub = state.hub.clone();
    let gate = gate.map(|Extension(gate)| gate);
    let limit = hub.limits.max_frame_bytes;
    // Small buffers: most frames are a few hundred bytes, and the defaults (128 KiB each) would
    // cost the relay a quarter of a megabyte for every idle connection.
    let upgrade =
        upgrade.read_buffer_size(8 * 1024).write_buffer_size(8 * 1024).max_write_buffer_size(limit * 2);
    upgrade.max_message_size(limit).max_frame_size(limit).on_upgrade(move |socket| {
        let (sink, stream) = socket.split();
        let sink = sink.with(|out: Outbound| async move {
            Ok::<_, axum::Error>(match out {
                Outbound::Binary(bytes) => Message::Binary(bytes.into()),
                Outbound::Ping => Message::Ping(Default::default()),
                Outbound::Close { code, reason } => {
                    Message::Close(Some(CloseFrame { code, reason: reason.into() }))
                }
            })
        });
        let stream = stream.map(|message| match message {
            Ok(Message::Binary(bytes)) => Inbound::Binary(bytes.to_vec()),
            Ok(Message::Text(_)) => Inbound::Text,
            Ok(Message::Close(_)) => Inbound::Closed,
            Ok(Message::Ping(_) | Message::Pong(_)) => Inbound::Alive,
            Err(e) if is_too_large(&e) => Inbound::TooLarge,
            Err(_) => Inbound::Closed,
        });
        relay::session(hub, Box::pin(sink), Box::pin(stream), gate)
    })
}

fn is_too_large(error: &axum::Error) -> bool {
    let text = error.to_string();
    text.contains("too long") || text.contains("too big") || text.contains("Space limit")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_servers_own_origin_or_an_allowed_one_may_sync() {
        let headers = |origin: Option<&str>| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, HeaderValue::from_static("relay.example:8080"));
            if let Some(origin) = origin {
                h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            }
            h
        };
        assert!(origin_allowed(&headers(Some("https://relay.example:8080")), &[]));
        assert!(origin_allowed(&headers(None), &[]));
        assert!(!origin_allowed(&headers(Some("https://evil.example")), &[]));
        assert!(!origin_allowed(&headers(Some("null")), &[]));
        let allowed = ["https://amplify.example.com/".to_owned()];
        assert!(origin_allowed(&headers(Some("https://amplify.example.com")), &allowed));
    }

    #[test]
    fn dot_segments_are_seen_through_percent_encoding() {
        assert_eq!(percent_decoded("/a/%2e%2E/b"), "/a/../b");
        assert_eq!(percent_decoded("/%zz"), "/%zz");
    }
}
