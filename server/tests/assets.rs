//! The app's files are served with cache headers that fit how they change.

use std::{fs, sync::Arc};

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use clap::Parser;
use http_body_util::BodyExt;
use server::{AppState, Cli, app};
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
    send(dir, &[], Request::get(path).body(Body::empty()).unwrap()).await
}

/// `request` to a server started with `flags` more, serving `dir`.
async fn send(dir: &tempfile::TempDir, flags: &[&str], request: Request<Body>) -> axum::response::Response {
    let data = tempfile::tempdir().unwrap();
    let mut args =
        vec!["server", "--dist", dir.path().to_str().unwrap(), "--data-dir", data.path().to_str().unwrap()];
    args.extend_from_slice(flags);
    let config = Cli::parse_from(args).config;
    let (state, _stop) = AppState::open(&config).unwrap();
    app(Arc::new(state)).oneshot(request).await.unwrap()
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
async fn metrics_are_in_prometheus_text_for_the_token_holder_only() {
    let dir = dist();
    assert_eq!(get(&dir, "/metrics").await.status(), StatusCode::NOT_FOUND, "not public by default");
    let flags = ["--metrics-token", "s3cret"];
    let without = send(&dir, &flags, Request::get("/metrics").body(Body::empty()).unwrap()).await;
    assert_eq!(without.status(), StatusCode::UNAUTHORIZED);
    let wrong =
        Request::get("/metrics").header(header::AUTHORIZATION, "Bearer guess").body(Body::empty()).unwrap();
    assert_eq!(send(&dir, &flags, wrong).await.status(), StatusCode::UNAUTHORIZED);
    let right =
        Request::get("/metrics").header(header::AUTHORIZATION, "Bearer s3cret").body(Body::empty()).unwrap();
    let body = send(&dir, &flags, right).await.into_body().collect().await.unwrap().to_bytes();
    let text = String::from_utf8_lossy(&body);
    assert!(text.contains("# TYPE amplify_connections gauge\namplify_connections 0"), "{text}");
    assert!(text.contains("amplify_stored_blobs 0"));
}

#[tokio::test]
async fn long_and_odd_paths_get_a_plain_404() {
    let dir = dist();
    let long = format!("/{}", "a".repeat(300));
    for path in [long.as_str(), "/a/%2e%2e/etc/passwd", "/%00", "/a%5cb", &format!("/x/{}", "b/".repeat(600))]
    {
        let response = get(&dir, path).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let dir = dist();
    for path in ["/", "/healthz", "/sync", "/metrics", "/missing.js", &format!("/{}", "a".repeat(300))] {
        let response = get(&dir, path).await;
        let h = response.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert!(h.contains_key(header::CONTENT_SECURITY_POLICY), "{path}");
    }
}

#[tokio::test]
async fn the_page_runs_only_its_own_inline_loader() {
    let dir = dist();
    fs::write(dir.path().join("index.html"), "<!doctype html><script type=\"module\">boot()</script>")
        .unwrap();
    let csp = response_csp(&get(&dir, "/").await);
    // sha256("boot()") in base64.
    assert!(csp.contains("'sha256-"), "{csp}");
    assert!(!csp.contains("'unsafe-inline' 'wasm"), "no inline script runs unhashed: {csp}");
    assert!(csp.contains("frame-ancestors 'none'"));
}

#[tokio::test]
async fn revalidating_the_page_never_replaces_its_policy() {
    let dir = dist();
    let first = get(&dir, "/").await;
    let modified = first.headers()[header::LAST_MODIFIED].to_str().unwrap().to_owned();
    let again = Request::get("/").header(header::IF_MODIFIED_SINCE, modified).body(Body::empty()).unwrap();
    let response = send(&dir, &[], again).await;
    assert_eq!(response.status(), StatusCode::NOT_MODIFIED);
    // The browser merges a 304's headers into the cached page: a stricter policy here would
    // stop the cached page's loader.
    assert!(!response.headers().contains_key(header::CONTENT_SECURITY_POLICY));
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn sync_from_another_sites_page_is_forbidden() {
    let dir = dist();
    let request = |origin: &str| {
        Request::get("/sync")
            .header(header::HOST, "relay.example")
            .header(header::ORIGIN, origin)
            .body(Body::empty())
            .unwrap()
    };
    assert_eq!(send(&dir, &[], request("https://evil.example")).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(send(&dir, &[], request("http://relay.example")).await.status(), StatusCode::UNAUTHORIZED);
    let allowed = ["--allowed-origins", "https://evil.example"];
    assert_eq!(
        send(&dir, &allowed, request("https://evil.example")).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn healthz_answers() {
    let dir = dist();
    let response = get(&dir, "/healthz").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.into_body().collect().await.unwrap().to_bytes();
    assert!(String::from_utf8_lossy(&body).contains("\"status\":\"ok\""));
}
