//! The app's files are served with cache headers that fit how they change.

use std::{fs, sync::Arc};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use clap::Parser;
use http_body_util::BodyExt;
use server::{AppState, Config, app};
use tower::ServiceExt;

fn dist() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("index.html"), "<!doctype html><title>Amplify</title>").unwrap();
    fs::write(dir.path().join("app-0123456789abcdef_bg.wasm"), b"\0asm").unwrap();
    fs::write(dir.path().join("sw.js"), "// worker").unwrap();
    fs::write(dir.path().join("manifest.webmanifest"), "{}").unwrap();
    dir
}

async fn get(dir: &tempfile::TempDir, path: &str) -> axum::response::Response {
    let data = tempfile::tempdir().unwrap();
    let config = Config::parse_from([
        "server",
        "--dist",
        dir.path().to_str().unwrap(),
        "--data-dir",
        data.path().to_str().unwrap(),
    ]);
    let (state, _stop) = AppState::open(&config).unwrap();
    app(Arc::new(state)).oneshot(Request::get(path).body(Body::empty()).unwrap()).await.unwrap()
}

fn cache_control(response: &axum::response::Response) -> &str {
    response.headers().get(header::CACHE_CONTROL).unwrap().to_str().unwrap()
}

#[tokio::test]
async fn hashed_assets_are_immutable() {
    let dir = dist();
    let response = get(&dir, "/app-0123456789abcdef_bg.wasm").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(cache_control(&response), "public, max-age=31536000, immutable");
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/wasm");
}

#[tokio::test]
async fn the_page_the_worker_and_the_manifest_are_revalidated() {
    let dir = dist();
    for path in ["/", "/index.html", "/sw.js", "/manifest.webmanifest"] {
        let response = get(&dir, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert_eq!(cache_control(&response), "no-cache", "{path}");
    }
}

#[tokio::test]
async fn app_routes_get_the_page_and_missing_files_a_404() {
    let dir = dist();
    let response = get(&dir, "/entry/0123456789abcdef0123456789abcdef").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(cache_control(&response), "no-cache");
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(body.starts_with(b"<!doctype html>"));
    assert!(response_csp(&get(&dir, "/settings").await).contains("object-src 'none'"));

    assert_eq!(get(&dir, "/app-ffffffffffffffff.js").await.status(), StatusCode::NOT_FOUND);
}

fn response_csp(response: &axum::response::Response) -> String {
    response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn sync_without_a_websocket_is_unauthorized() {
    let dir = dist();
    assert_eq!(get(&dir, "/sync").await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn metrics_are_in_prometheus_text() {
    let dir = dist();
    let body = get(&dir, "/metrics").await.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("# TYPE amplify_connections gauge\namplify_connections 0"), "{text}");
    assert!(text.contains("amplify_stored_blobs 0"));
}

#[tokio::test]
async fn healthz_answers() {
    let dir = dist();
    let response = get(&dir, "/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("\"status\":\"ok\""));
}
