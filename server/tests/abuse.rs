//! The relay under abuse: one test per attack class, each asserting the bound or the
//! rejection the relay promises (never a duration). Real sockets on loopback; memory is the
//! relay process's own resident set, as the kernel reports it.

mod support;

use std::{sync::Arc, time::Duration};

use amplify::{
    ClientFrame, DocRef, Fatal, MAX_AUTH_CERTS, Payload, PayloadKind, RegistrationKey, Reject, RelayFrame,
    Sealed, SpaceSecret,
};
use server::{Limits, NetLimits, Store};
use support::{Client, Member, RawSocket, Relay, RelayProcess, blocking, eventually, http_get, store_beside};
use tokio::io::AsyncWriteExt;

const MIB: u64 = 1024 * 1024;

/// A relay process with `flags` on top of open admission, in a fresh directory.
fn relay_process(flags: &[&str]) -> (tempfile::TempDir, RelayProcess) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("relay.log");
    let mut all = vec!["--open-admission"];
    all.extend_from_slice(flags);
    let relay = RelayProcess::start_with(&dir.path().join("data"), &log, &all, "info");
    (dir, relay)
}

/// Fills one document of a new space with `count` blobs of `size` bytes; returns the space's
/// keys and the writer.
async fn filled_space(relay: &RelayProcess, count: usize, size: usize) -> (amplify::SpaceKeys, Member) {
    let space = SpaceSecret::generate().keys();
    let writer = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &writer).await;
    for i in 0..count {
        let mut bytes = vec![0u8; size];
        bytes[..8].copy_from_slice(&(i as u64).to_le_bytes());
        let blob = writer.seal(&space, "journal/2026-11", &bytes);
        assert!(matches!(client.put(i as u32, &blob).await, RelayFrame::Ack { .. }));
    }
    (space, writer)
}

#[tokio::test]
async fn subscribing_with_made_up_cursors_costs_the_relay_nothing() {
    let (_dir, relay) = relay_process(&[]);
    let (space, member) = filled_space(&relay, 1, 100).await;
    let mut client = Client::connect(relay.addr, &member).await;
    client.subscribe(space.id, vec![]).await;
    let before = relay.rss();
    for round in 0..300u32 {
        let cursors: Vec<(DocRef, u64)> = (0..amplify::MAX_SUBSCRIBE_CURSORS as u32)
            .map(|i| {
                let mut doc = [0u8; 16];
                doc[..4].copy_from_slice(&round.to_le_bytes());
                doc[4..8].copy_from_slice(&i.to_le_bytes());
                (DocRef(doc), 1)
            })
            .collect();
        client.subscribe(space.id, cursors).await;
    }
    let grown = relay.rss().saturating_sub(before);
    eprintln!("figure: 300 subscriptions of 10,000 made-up cursors: the relay grew by {} MiB", grown / MIB);
    // Three million made-up cursors would take hundreds of megabytes if they were kept.
    assert!(grown < 40 * MIB, "the relay grew by {} MiB", grown / MIB);
    relay.kill_hard();
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped_and_holds_little_meanwhile() {
    let (_dir, relay) = relay_process(&["--send-timeout", "2"]);
    let (space, member) = filled_space(&relay, 48, 1024 * 1024).await;
    let before = relay.rss();
    let mut idle = Vec::new();
    for _ in 0..6 {
        let mut socket = RawSocket::open(relay.addr).await;
        socket.authenticate(&member).await;
        // Asks for 48 MiB, then never reads a byte of it.
        socket.send(&ClientFrame::Subscribe { space: space.id, cursors: vec![] }).await;
        idle.push(socket);
    }
    let mut peak = 0;
    let dropped = eventually(600, || {
        peak = peak.max(relay.rss());
        let relay = &relay;
        async move { relay.connections().await == 0 }
    })
    .await;
    assert!(dropped, "sessions that read nothing are dropped");
    let grown = peak.saturating_sub(before);
    eprintln!("figure: 6 readers of 48 MiB that never read: the relay grew by {} MiB at most", grown / MIB);
    // Buffering their catch-up would take 6 × 48 MiB.
    assert!(grown < 80 * MIB, "the relay grew by {} MiB", grown / MIB);
    for mut socket in idle {
        assert!(socket.closed_by_relay().await);
    }
    relay.kill_hard();
}

#[tokio::test]
async fn frames_stalled_one_byte_short_hold_at_most_the_large_frame_budget_then_time_out() {
    let (_dir, relay) = relay_process(&["--large-frame-budget", "8MiB", "--idle-timeout", "4"]);
    let space = SpaceSecret::generate().keys();
    let member = Member::of(&[&space]);
    let before = relay.rss();
    let size = 1536 * 1024;
    let mut stalled = Vec::new();
    for _ in 0..60 {
        let mut socket = RawSocket::open(relay.addr).await;
        socket.authenticate(&member).await;
        let mut bytes = RawSocket::frame_header(size);
        bytes.resize(bytes.len() + size - 1, 7);
        // The relay may stop reading: the rest then waits in the kernel, which is the point.
        let _ = tokio::time::timeout(Duration::from_millis(300), socket.stream.write_all(&bytes)).await;
        stalled.push(socket);
    }
    let grown = relay.rss().saturating_sub(before);
    eprintln!("figure: 60 frames of 1.5 MiB stalled one byte short: the relay grew by {} MiB", grown / MIB);
    // 60 × 1.5 MiB would be 90 MiB; the budget lets 8 MiB of large frames in at once.
    assert!(grown < 40 * MIB, "the relay grew by {} MiB", grown / MIB);
    let closed = eventually(400, || {
        let relay = &relay;
        async move { relay.connections().await == 0 }
    })
    .await;
    assert!(closed, "stalled connections time out");
    relay.kill_hard();
}

#[tokio::test]
async fn a_large_frame_before_authentication_closes_the_connection() {
    let (_dir, relay) = relay_process(&[]);
    let mut socket = RawSocket::open(relay.addr).await;
    let _challenge = socket.read_frame().await;
    let mut bytes = RawSocket::frame_header(100 * 1024);
    bytes.resize(bytes.len() + 100 * 1024, 1);
    let _ = tokio::time::timeout(Duration::from_secs(2), socket.stream.write_all(&bytes)).await;
    assert!(socket.closed_by_relay().await);
    relay.kill_hard();
}

#[tokio::test]
async fn an_auth_frame_carries_at_most_64_certificates() {
    let (_dir, relay) = relay_process(&[]);
    let spaces: Vec<_> = (0..=MAX_AUTH_CERTS).map(|_| SpaceSecret::generate().keys()).collect();
    let refs: Vec<&amplify::SpaceKeys> = spaces.iter().collect();
    let too_many = Member::of(&refs);
    let mut client = Client::raw(relay.addr).await;
    let RelayFrame::Challenge { nonce } = client.recv().await else { panic!() };
    let signature = too_many.device.sign_challenge(&nonce);
    client
        .send(&ClientFrame::Auth {
            device: too_many.device.id(),
            signature,
            certs: too_many.certs.clone(),
            compact: true,
        })
        .await;
    let closed = client.closed().await;
    assert_eq!(closed.code, Some(4401));

    let enough = Member::of(&refs[..MAX_AUTH_CERTS]);
    Client::connect(relay.addr, &enough).await;
    relay.kill_hard();
}

#[tokio::test]
async fn a_connection_that_keeps_sending_forgeries_is_closed_and_logged_once() {
    let (dir, relay) = relay_process(&[]);
    let space = SpaceSecret::generate().keys();
    let member = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &member).await;
    let mut forged = member.seal(&space, "profile", b"x");
    forged.ciphertext[0] ^= 1;
    let limit = Limits::default().max_refused;
    for request in 0..limit {
        let answer = client.put(request, &forged).await;
        assert!(matches!(answer, RelayFrame::Reject { code: Reject::Forged, .. }), "{answer:?}");
    }
    client.send(&ClientFrame::Put { request: limit, blob: forged }).await;
    let closed = client.closed().await;
    assert!(matches!(closed.error, Some(RelayFrame::Error { code: Fatal::Refused, .. })), "{closed:?}");
    relay.kill_hard();
    let log = std::fs::read_to_string(dir.path().join("relay.log")).unwrap();
    let about_it = log.lines().filter(|l| l.contains("refused") || l.contains("rejected")).count();
    // One summary line and the reason for closing, for 33 refused frames.
    assert_eq!(about_it, 2, "{log}");
}

#[tokio::test]
async fn admissions_and_refused_frames_count_against_the_rate_limit() {
    let dir = tempfile::tempdir().unwrap();
    let limits = Limits { burst: 20.0, blobs_per_second: 0.001, ..Limits::default() };
    let relay = Relay::start(dir.path(), limits).await;
    let space = SpaceSecret::generate().keys();
    let member = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &member).await;
    for _ in 0..30 {
        client.send(&ClientFrame::Admit { cert: member.certs[0] }).await;
    }
    client.send(&ClientFrame::Ping).await;
    let mut limited = 0;
    loop {
        match client.recv().await {
            RelayFrame::Reject { code: Reject::RateLimited, .. } => limited += 1,
            RelayFrame::Pong => break,
            _ => {}
        }
    }
    assert_eq!(limited, 10, "20 admissions go through, the other 10 are refused");
    // And so is a blob now, however valid.
    let blob = member.seal(&space, "profile", b"x");
    assert!(matches!(client.put(1, &blob).await, RelayFrame::Reject { code: Reject::RateLimited, .. }));
    relay.stop().await;
}

#[tokio::test]
async fn quotas_refuse_in_bytes_and_a_snapshot_makes_room() {
    let dir = tempfile::tempdir().unwrap();
    let flags = ["--open-admission", "--space-quota", "40KiB"];
    let relay = Relay::start_with(dir.path(), Limits::default(), NetLimits::default(), &flags).await;
    let space = SpaceSecret::generate().keys();
    let member = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &member).await;
    let mut acked = 0u64;
    let mut full = None;
    for i in 0..20u32 {
        let mut bytes = vec![0u8; 8 * 1024];
        bytes[..4].copy_from_slice(&i.to_le_bytes());
        match client.put(i, &member.seal(&space, "journal/2026-11", &bytes)).await {
            RelayFrame::Ack { .. } => acked += 1,
            RelayFrame::Reject { code, .. } => {
                full = Some(code);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(full, Some(Reject::SpaceFull));
    assert!((3..=4).contains(&acked), "40 KiB holds four 8 KiB blobs and their envelopes: {acked}");
    // A member folds the log into a small snapshot: room again.
    let doc = space.content.doc_ref("journal/2026-11");
    let snapshot =
        Payload { doc: "journal/2026-11".into(), kind: PayloadKind::Snapshot, bytes: vec![1; 100] };
    let sealed = Sealed::seal(&space, &member.device, &member.certs[0], &snapshot);
    client.send(&ClientFrame::Snapshot { request: 99, covers: acked, blob: sealed }).await;
    assert_eq!(client.recv().await, RelayFrame::Ack { request: 99, doc, seq: acked });
    let again = member.seal(&space, "journal/2026-11", &[9; 8 * 1024]);
    assert!(matches!(client.put(100, &again).await, RelayFrame::Ack { .. }));
    relay.stop().await;
}

/// A relay that needs registrations, and its store opened beside it (as the operator's
/// subcommands open it).
async fn registered_relay(flags: &[&str]) -> (tempfile::TempDir, Relay, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start_with(dir.path(), Limits::default(), NetLimits::default(), flags).await;
    let store = store_beside(dir.path(), flags);
    (dir, relay, store)
}

#[tokio::test]
async fn only_registered_spaces_store_and_the_client_is_told_before_its_welcome() {
    let (_dir, relay, store) = registered_relay(&[]).await;
    let space = SpaceSecret::generate().keys();
    let member = Member::of(&[&space]);
    let mut client = Client::raw(relay.addr).await;
    let RelayFrame::Challenge { nonce } = client.recv().await else { panic!() };
    let signature = member.device.sign_challenge(&nonce);
    client
        .send(&ClientFrame::Auth {
            device: member.device.id(),
            signature,
            certs: member.certs.clone(),
            compact: true,
        })
        .await;
    assert_eq!(client.recv().await, RelayFrame::Unregistered { spaces: vec![space.id] });
    assert!(matches!(client.recv().await, RelayFrame::Welcome { .. }));

    let blob = member.seal(&space, "profile", b"kept on the device meanwhile");
    assert!(matches!(client.put(1, &blob).await, RelayFrame::Reject { code: Reject::NotRegistered, .. }));

    // A registration the operator never issued registers nothing.
    let stranger = RegistrationKey::generate();
    client.send(&ClientFrame::Register { registration: stranger.register(space.id) }).await;
    assert!(matches!(client.recv().await, RelayFrame::Reject { code: Reject::NotRegistered, .. }));
    // Nor does a forged one.
    let issued = RegistrationKey::generate();
    blocking(|| store.issue_registration(issued.id(), "Cohort 2027", 10 * MIB)).unwrap();
    let mut forged = stranger.register(space.id);
    forged.registration = issued.id();
    client.send(&ClientFrame::Register { registration: forged }).await;
    assert!(matches!(client.recv().await, RelayFrame::Reject { code: Reject::Forged, .. }));

    client.send(&ClientFrame::Register { registration: issued.register(space.id) }).await;
    assert!(matches!(client.put(2, &blob).await, RelayFrame::Ack { .. }));

    assert!(blocking(|| store.revoke_registration(issued.id())).unwrap());
    let after = member.seal(&space, "profile", b"after the revocation");
    assert!(matches!(client.put(3, &after).await, RelayFrame::Reject { code: Reject::NotRegistered, .. }));
    // What was stored stays readable.
    assert_eq!(client.subscribe(space.id, vec![]).await.len(), 1);
    relay.stop().await;
}

#[tokio::test]
async fn a_programme_and_a_device_each_have_a_quota_of_their_own() {
    let (_dir, relay, store) = registered_relay(&["--device-quota", "30KiB"]).await;
    let programme = RegistrationKey::generate();
    blocking(|| store.issue_registration(programme.id(), "Small cohort", 20 * 1024)).unwrap();
    let (a, b) = (SpaceSecret::generate().keys(), SpaceSecret::generate().keys());
    let member = Member::of(&[&a, &b]);
    let mut client = Client::connect(relay.addr, &member).await;
    for space in [&a, &b] {
        client.send(&ClientFrame::Register { registration: programme.register(space.id) }).await;
    }
    let put = |space: &amplify::SpaceKeys, i: u32| member.seal(space, "profile", &[i as u8; 6 * 1024]);
    // Two spaces of one programme share its 20 KiB.
    let mut answers = Vec::new();
    for i in 0..4 {
        let space = if i % 2 == 0 { &a } else { &b };
        answers.push(client.put(i, &put(space, i)).await);
    }
    assert!(matches!(answers[3], RelayFrame::Reject { code: Reject::ProgrammeFull, .. }), "{answers:?}");
    // More room for the programme; now this device's own 30 KiB runs out.
    blocking(|| store.set_registration_quota(programme.id(), 10 * MIB)).unwrap();
    let mut last = None;
    for i in 10..20 {
        match client.put(i, &put(&a, i)).await {
            RelayFrame::Ack { .. } => {}
            other => {
                last = Some(other);
                break;
            }
        }
    }
    assert!(matches!(last, Some(RelayFrame::Reject { code: Reject::DeviceFull, .. })), "{last:?}");
    relay.stop().await;
}

#[tokio::test]
async fn a_blob_a_snapshot_covered_is_acknowledged_but_never_stored_again() {
    let dir = tempfile::tempdir().unwrap();
    let relay = Relay::start(dir.path(), Limits::default()).await;
    let space = SpaceSecret::generate().keys();
    let member = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &member).await;
    let text = member.seal(&space, "shared/x/entry", b"the entry's old text");
    assert!(matches!(client.put(1, &text).await, RelayFrame::Ack { seq: 1, .. }));
    let withdrawn =
        Payload { doc: "shared/x/entry".into(), kind: PayloadKind::Snapshot, bytes: b"withdrawn".to_vec() };
    let sealed = Sealed::seal(&space, &member.device, &member.certs[0], &withdrawn);
    client.send(&ClientFrame::Snapshot { request: 2, covers: 1, blob: sealed }).await;
    assert!(matches!(client.recv().await, RelayFrame::Ack { request: 2, .. }));
    // An old device sends the text again.
    assert!(matches!(client.put(3, &text).await, RelayFrame::Ack { seq: 1, .. }));
    let everything = client.subscribe(space.id, vec![]).await;
    assert_eq!(everything.len(), 1, "only the snapshot: {everything:?}");
    assert!(matches!(everything[0], RelayFrame::Snapshot { .. }));
    relay.stop().await;
}

#[tokio::test]
async fn connections_over_the_cap_get_a_503_and_silent_ones_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let net = NetLimits {
        max_connections: 1000,
        max_per_address: 10,
        header_timeout: Duration::from_secs(1),
        ..NetLimits::default()
    };
    let relay = Relay::start_with(dir.path(), Limits::default(), net, &["--open-admission"]).await;
    let mut silent = Vec::new();
    for _ in 0..10 {
        silent.push(tokio::net::TcpStream::connect(relay.addr).await.unwrap());
    }
    let refused = http_get(relay.addr, "/healthz").await;
    assert!(refused.starts_with("HTTP/1.1 503"), "{refused}");
    assert!(refused.contains("Retry-After"));
    // Connections that never send their headers are closed, which frees their places.
    for stream in silent {
        let mut socket = RawSocket { stream };
        assert!(socket.closed_by_relay().await);
    }
    let answered =
        eventually(100, || async { http_get(relay.addr, "/healthz").await.starts_with("HTTP/1.1 200") })
            .await;
    assert!(answered);
    relay.stop().await;
}

#[tokio::test]
async fn honest_members_keep_syncing_through_every_attack_at_once_and_lose_nothing_to_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let log = dir.path().join("relay.log");
    let flags =
        ["--open-admission", "--send-timeout", "2", "--idle-timeout", "4", "--large-frame-budget", "8MiB"];
    let relay = RelayProcess::start_with(&data, &log, &flags, "info");
    let addr = relay.addr;
    let (space, writer) = filled_space(&relay, 16, 512 * 1024).await;

    let attackers = tokio::spawn(async move {
        let mut held = Vec::new();
        // Readers that never read.
        for _ in 0..4 {
            let mut socket = RawSocket::open(addr).await;
            socket.authenticate(&writer).await;
            socket.send(&ClientFrame::Subscribe { space: space.id, cursors: vec![] }).await;
            held.push(socket);
        }
        // Frames stalled one byte short.
        for _ in 0..20 {
            let mut socket = RawSocket::open(addr).await;
            socket.authenticate(&writer).await;
            let mut bytes = RawSocket::frame_header(1024 * 1024);
            bytes.resize(bytes.len() + 1024 * 1024 - 1, 3);
            let _ = tokio::time::timeout(Duration::from_millis(200), socket.stream.write_all(&bytes)).await;
            held.push(socket);
        }
        // Forgeries, until the relay closes the connection.
        let mut forger = Client::connect(addr, &writer).await;
        let mut forged = writer.seal(&space, "profile", b"x");
        forged.signature[0] ^= 1;
        for i in 0..40 {
            forger.send(&ClientFrame::Put { request: i, blob: forged.clone() }).await;
        }
        held
    });

    // Five members of a home group write meanwhile; every answer must be an acknowledgement.
    let group = SpaceSecret::generate().keys();
    let mut acked = Vec::new();
    for person in 0..5u8 {
        let member = Member::of(&[&group]);
        let mut client = Client::connect(addr, &member).await;
        for i in 0..20u8 {
            let blob = member.seal(&group, &format!("canvas/{person}"), &[person, i]);
            match client.put(u32::from(i), &blob).await {
                RelayFrame::Ack { doc, seq, .. } => acked.push((doc, seq, vec![person, i])),
                other => panic!("an honest put was refused under attack: {other:?}"),
            }
        }
    }
    let _held = attackers.await.unwrap();
    relay.kill_hard();

    let relay = RelayProcess::start_with(&data, &log, &flags, "info");
    let reader = Member::of(&[&group]);
    let mut client = Client::connect(relay.addr, &reader).await;
    let frames = client.subscribe(group.id, vec![]).await;
    let mut stored = support::opened(&group, &frames);
    stored.sort();
    let mut expected: Vec<Vec<u8>> = acked.into_iter().map(|(_, _, bytes)| bytes).collect();
    expected.sort();
    assert_eq!(stored, expected, "every acknowledged blob survived");
    relay.kill_hard();
}
