//! Several relay instances behind one address, sharing one PostgreSQL database: what one
//! stores reaches followers on the others, in order; presence crosses too; an instance killed
//! with SIGKILL loses nothing it acknowledged; the database going away refuses writes with
//! `Unavailable` and loses nothing, and connections it ends while the relay is idle are replaced
//! without a client noticing. These run on the PostgreSQL cluster `./x test` starts
//! (`AMPLIFY_TEST_DATABASE_URL`), whichever store the rest of the suite runs on.

mod support;

use amplify::{ClientFrame, Payload, PayloadKind, Reject, RelayFrame, Sealed, SpaceSecret};
use server::{Limits, NetLimits, Store as _};
use support::{
    Client, Member, Relay, RelayProcess, blocking, database_for, eventually, http_get, opened, postgres_url,
    seqs,
};

/// Flags for an instance on the database of `dir`.
fn shared(url: &str) -> Vec<&str> {
    vec!["--open-admission", "--database-url", url]
}

async fn instance(dir: &std::path::Path, url: &str) -> Relay {
    Relay::start_with(dir, Limits::default(), NetLimits::default(), &shared(url)).await
}

#[tokio::test]
async fn a_blob_stored_through_one_instance_reaches_followers_on_another_in_order_and_presence_too() {
    let (a_dir, b_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let url = database_for(a_dir.path());
    let (a, b) = (instance(a_dir.path(), &url).await, instance(b_dir.path(), &url).await);
    let space = SpaceSecret::generate().keys();
    let (maya, sam) = (Member::of(&[&space]), Member::of(&[&space]));
    let mut reader = Client::connect(b.addr, &sam).await;
    assert!(reader.subscribe(space.id, vec![]).await.is_empty());
    let mut writer = Client::connect(a.addr, &maya).await;
    for i in 0..30u32 {
        let blob = maya.seal(&space, "canvas/x/maya", format!("edit {i}").as_bytes());
        assert!(matches!(writer.put(i, &blob).await, RelayFrame::Ack { .. }));
    }
    let mut live = Vec::new();
    while live.len() < 30 {
        live.push(reader.recv().await);
    }
    assert_eq!(seqs(&live), (1..=30).collect::<Vec<u64>>(), "every blob, once, in the order stored");
    let texts: Vec<String> =
        opened(&space, &live).into_iter().map(|b| String::from_utf8(b).unwrap()).collect();
    assert_eq!(texts.first().map(String::as_str), Some("edit 0"));
    assert_eq!(texts.last().map(String::as_str), Some("edit 29"));

    // Presence is never stored, and still crosses.
    let payload =
        Payload { doc: "canvas/x/maya".into(), kind: PayloadKind::Presence, bytes: b"Maya".to_vec() };
    writer
        .send(&ClientFrame::Presence { blob: Sealed::seal(&space, &maya.device, &maya.certs[0], &payload) })
        .await;
    let RelayFrame::Presence { blob } = reader.recv().await else { panic!("expected presence") };
    assert_eq!(blob.open(&space).unwrap().bytes, b"Maya");
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_instance_killed_hard_loses_nothing_it_acknowledged_and_clients_go_on_at_another() {
    let data = tempfile::tempdir().unwrap();
    let url = database_for(data.path());
    let log = data.path().join("relay.log");
    let a = RelayProcess::start_with(&data.path().join("a"), &log, &shared(&url), "info");
    let b = RelayProcess::start_with(&data.path().join("b"), &log, &shared(&url), "info");
    let space = SpaceSecret::generate().keys();
    let (maya, sam) = (Member::of(&[&space]), Member::of(&[&space]));
    let mut follower = Client::connect(b.addr, &sam).await;
    follower.subscribe(space.id, vec![]).await;
    let mut writer = Client::connect(a.addr, &maya).await;
    for i in 0..40u32 {
        let blob = maya.seal(&space, "journal/2026-12", format!("entry {i}").as_bytes());
        assert!(matches!(writer.put(i, &blob).await, RelayFrame::Ack { .. }));
    }
    a.kill_hard();
    // The follower on the other instance has all forty; the writer goes on there.
    let mut live = Vec::new();
    while live.len() < 40 {
        live.push(follower.recv().await);
    }
    assert_eq!(seqs(&live), (1..=40).collect::<Vec<u64>>());
    let mut writer = Client::connect(b.addr, &maya).await;
    for i in 40..50u32 {
        let blob = maya.seal(&space, "journal/2026-12", format!("entry {i}").as_bytes());
        assert!(matches!(writer.put(i, &blob).await, RelayFrame::Ack { .. }));
    }
    // A device that had read up to 40 catches up from its cursor: 41 to 50, nothing twice.
    let doc = live.iter().find_map(|f| match f {
        RelayFrame::Blob { blob, .. } => Some(blob.doc),
        _ => None,
    });
    let mut back = Client::connect(b.addr, &Member::of(&[&space])).await;
    let rest = back.subscribe(space.id, vec![(doc.unwrap(), 40)]).await;
    assert_eq!(seqs(&rest), (41..=50).collect::<Vec<u64>>());
    b.kill_hard();
}

#[tokio::test]
async fn the_database_going_away_refuses_writes_as_unavailable_and_loses_nothing() {
    let data = tempfile::tempdir().unwrap();
    let url = database_for(data.path());
    let relay = instance(data.path(), &url).await;
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &maya).await;
    let first = maya.seal(&space, "profile", b"before");
    assert!(matches!(client.put(1, &first).await, RelayFrame::Ack { seq: 1, .. }));

    // The database goes away for this relay: no connection may be made, and those open end.
    let name = url.rsplit('/').next().unwrap().to_owned();
    let admin = |sql: String| {
        blocking(|| {
            let mut client = postgres::Client::connect(&postgres_url(), postgres::NoTls).unwrap();
            client.batch_execute(&sql).unwrap();
        });
    };
    admin(format!(
        "ALTER DATABASE {name} ALLOW_CONNECTIONS false;
         SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}';"
    ));
    let second = maya.seal(&space, "profile", b"while the database was away");
    match client.put(2, &second).await {
        RelayFrame::Reject { code: Reject::Unavailable, .. } => {}
        other => panic!("expected Unavailable, got {other:?}"),
    }
    // The load balancer is told, so it sends clients to another instance.
    let health = || async { http_get(relay.addr, "/healthz").await };
    assert!(
        eventually(100, || async { health().await.starts_with("HTTP/1.1 503") }).await,
        "healthz reports the database gone: {}",
        health().await
    );
    assert!(health().await.contains(r#""status":"unavailable""#));

    // Back: the same change sent again is stored, and what was acknowledged before is there.
    admin(format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true;"));
    assert!(
        eventually(100, || async { health().await.starts_with("HTTP/1.1 200") }).await,
        "healthz reports the database back: {}",
        health().await
    );
    match client.put(3, &second).await {
        RelayFrame::Ack { seq: 2, .. } => {}
        other => panic!("expected the change stored as the second, got {other:?}"),
    }
    let mut fresh = Client::connect(relay.addr, &Member::of(&[&space])).await;
    let all = opened(&space, &fresh.subscribe(space.id, vec![]).await);
    assert_eq!(all, vec![b"before".to_vec(), b"while the database was away".to_vec()]);
    relay.stop().await;
}

#[tokio::test]
async fn connections_the_database_dropped_while_idle_are_replaced_and_the_next_write_and_read_succeed() {
    // A database restart or failover ends every connection; a relay that was idle meanwhile
    // notices only when it next uses one. Its clients must not pay for that with a refusal.
    let data = tempfile::tempdir().unwrap();
    let url = database_for(data.path());
    let relay = instance(data.path(), &url).await;
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &maya).await;
    let first = maya.seal(&space, "profile", b"before");
    assert!(matches!(client.put(1, &first).await, RelayFrame::Ack { seq: 1, .. }));
    let mut early = Client::connect(relay.addr, &Member::of(&[&space])).await;
    assert_eq!(opened(&space, &early.subscribe(space.id, vec![]).await), vec![b"before".to_vec()]);

    let name = url.rsplit('/').next().unwrap().to_owned();
    blocking(|| {
        let mut admin = postgres::Client::connect(&postgres_url(), postgres::NoTls).unwrap();
        let ended = admin
            .query_one(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = $1) AS t",
                &[&name],
            )
            .unwrap()
            .get::<_, i64>(0);
        assert!(ended >= 2, "the relay's writer and a reader were connected: {ended}");
    });

    // The load balancer's next probe reads on a new connection: this instance stays in.
    let health = http_get(relay.addr, "/healthz").await;
    assert!(health.starts_with("HTTP/1.1 200"), "healthz after the restart: {health}");

    let second = maya.seal(&space, "profile", b"after the restart");
    match client.put(2, &second).await {
        RelayFrame::Ack { seq: 2, .. } => {}
        other => panic!("expected the write stored on a new connection, got {other:?}"),
    }
    let mut fresh = Client::connect(relay.addr, &Member::of(&[&space])).await;
    let all = opened(&space, &fresh.subscribe(space.id, vec![]).await);
    assert_eq!(all, vec![b"before".to_vec(), b"after the restart".to_vec()]);
    relay.stop().await;
}

#[tokio::test]
async fn a_relay_moves_from_sqlite_to_postgres_verified_and_clients_read_the_same() {
    use sha2::Digest as _;
    let data = tempfile::tempdir().unwrap();
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    // A relay's SQLite file: two documents, one of them with a snapshot over its first blobs.
    let config =
        server::StoreConfig { admission: server::Admission::Open, quotas: server::Quotas::default() };
    let sqlite = server::SqliteStore::open(&data.path().join("relay.sqlite3"), config).unwrap();
    let mut appends = Vec::new();
    for (doc, text) in [
        ("journal/2026-12", "one"),
        ("journal/2026-12", "two"),
        ("profile", "Maya"),
        ("journal/2026-12", "three"),
    ] {
        let raw = amplify::encode_sealed(&maya.seal(&space, doc, text.as_bytes()));
        let hash: [u8; 32] = sha2::Sha256::digest(&raw).into();
        let sealed = maya.seal(&space, doc, b"");
        appends.push(server::store::Append {
            space: space.id,
            doc: sealed.doc,
            author: maya.device.id(),
            hash,
            blob: raw,
            max_docs: 100,
        });
    }
    assert!(sqlite.append_many(&appends).iter().all(Result::is_ok));
    let snapshot =
        Payload { doc: "journal/2026-12".into(), kind: PayloadKind::Snapshot, bytes: b"one+two".to_vec() };
    let snapshot = amplify::encode_sealed(&Sealed::seal(&space, &maya.device, &maya.certs[0], &snapshot));
    let journal = appends[0].doc;
    let covering = server::store::Snapshot {
        space: space.id,
        doc: journal,
        author: maya.device.id(),
        covers: 2,
        blob: snapshot,
    };
    sqlite.snapshot(&covering).unwrap();
    sqlite.issue_registration(amplify::RegistrationKey::generate().id(), "Programme 2027", 1 << 30).unwrap();
    drop(sqlite);

    let url = database_for(&data.path().join("postgres"));
    let copy = |data: &std::path::Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_server"))
            .arg("--data-dir")
            .arg(data)
            .args(["copy-to-postgres", "--to", &url])
            .output()
            .unwrap()
    };
    let done = copy(data.path());
    let said = String::from_utf8_lossy(&done.stdout);
    assert!(done.status.success(), "{said}{}", String::from_utf8_lossy(&done.stderr));
    assert!(said.contains("verified blobs: 2 rows identical"), "{said}");
    assert!(said.contains("verified identical"), "{said}");
    // Copying again into a database that holds a relay's data is refused, plainly.
    let again = copy(data.path());
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already holds a relay's data"));

    // A relay on PostgreSQL serves what the SQLite one did: the snapshot, then the rest.
    let relay = instance(&data.path().join("postgres"), &url).await;
    let mut fresh = Client::connect(relay.addr, &Member::of(&[&space])).await;
    let frames = fresh.subscribe(space.id, vec![]).await;
    let mut texts: Vec<Vec<u8>> = opened(&space, &frames);
    texts.sort();
    assert_eq!(texts, vec![b"Maya".to_vec(), b"one+two".to_vec(), b"three".to_vec()]);
    let writer = maya.seal(&space, "journal/2026-12", b"four");
    let mut client = Client::connect(relay.addr, &maya).await;
    assert!(matches!(client.put(1, &writer).await, RelayFrame::Ack { seq: 4, .. }), "numbering goes on");
    relay.stop().await;
}
