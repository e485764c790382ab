//! The relay over real sockets: catch-up, live fan-out, durability across restarts and kill -9,
//! and every way a frame or a credential can be wrong.

mod support;

use std::time::Duration;

use amplify::{ClientFrame, DeviceKey, Fatal, Reject, RelayFrame, SpaceSecret};
use server::Limits;
use support::{Client, Member, Relay, RelayProcess, opened, seqs};

fn limits() -> Limits {
    Limits::default()
}

#[tokio::test]
async fn a_new_device_catches_up_then_receives_live_blobs() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let space = SpaceSecret::generate().keys();
    let (maya, sam) = (Member::of(&[&space]), Member::of(&[&space]));

    let mut phone = Client::connect(relay.addr, &maya).await;
    for (i, text) in [&b"one"[..], b"two", b"three"].iter().enumerate() {
        let ack = phone.put(i as u32, &maya.seal(&space, "group/notes", text)).await;
        assert!(
            matches!(ack, RelayFrame::Ack { request, seq, .. } if request == i as u32 && seq == i as u64 + 1),
            "{ack:?}"
        );
    }

    let mut laptop = Client::connect(relay.addr, &sam).await;
    let caught_up = laptop.subscribe(space.id, vec![]).await;
    assert_eq!(opened(&space, &caught_up), [b"one".to_vec(), b"two".to_vec(), b"three".to_vec()]);
    assert_eq!(seqs(&caught_up), [1, 2, 3]);

    phone.put(9, &maya.seal(&space, "group/notes", b"four")).await;
    let live = laptop.recv().await;
    assert_eq!(opened(&space, &[live]), [b"four".to_vec()]);

    // Resuming from a cursor sends only what comes after it.
    let doc = space.content.doc_ref("group/notes");
    let mut again = Client::connect(relay.addr, &sam).await;
    assert_eq!(seqs(&again.subscribe(space.id, vec![(doc, 2)]).await), [3, 4]);
    relay.stop().await;
}

#[tokio::test]
async fn a_writer_is_not_sent_its_own_blobs_back_and_gets_everyone_elses_in_order() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let space = SpaceSecret::generate().keys();
    let (maya, sam) = (Member::of(&[&space]), Member::of(&[&space]));
    let mut phone = Client::connect(relay.addr, &maya).await;
    let mut laptop = Client::connect(relay.addr, &sam).await;
    assert!(phone.subscribe(space.id, vec![]).await.is_empty());
    assert!(laptop.subscribe(space.id, vec![]).await.is_empty());

    // They take turns, each waiting for its acknowledgement: a blob handed back to its writer
    // would reach it before the other's next one.
    let (mut to_phone, mut to_laptop) = (Vec::new(), Vec::new());
    for (i, text) in [&b"one"[..], b"two", b"three", b"four"].into_iter().enumerate() {
        let (client, member, frames) =
            if i % 2 == 0 { (&mut phone, &maya, &mut to_phone) } else { (&mut laptop, &sam, &mut to_laptop) };
        client
            .send(&ClientFrame::Put { request: i as u32, blob: member.seal(&space, "group/notes", text) })
            .await;
        loop {
            match client.recv().await {
                RelayFrame::Ack { request, seq, .. } if request == i as u32 => {
                    assert_eq!(seq, i as u64 + 1);
                    break;
                }
                frame => frames.push(frame),
            }
        }
    }
    while seqs(&to_phone).last() != Some(&4) {
        to_phone.push(phone.recv().await);
    }
    while seqs(&to_laptop).last() != Some(&3) {
        to_laptop.push(laptop.recv().await);
    }
    assert_eq!(seqs(&to_phone), [2, 4], "the phone gets the laptop's blobs, not its own");
    assert_eq!(opened(&space, &to_phone), [b"two".to_vec(), b"four".to_vec()]);
    assert_eq!(seqs(&to_laptop), [1, 3], "the laptop gets the phone's blobs, not its own");

    // A device coming back with a cursor is sent what it lacks, its own blobs included.
    let doc = space.content.doc_ref("group/notes");
    let mut again = Client::connect(relay.addr, &maya).await;
    assert_eq!(seqs(&again.subscribe(space.id, vec![(doc, 2)]).await), [3, 4]);
    relay.stop().await;
}

/// The blob frames a device gets when it follows `space`, as sent (the catch-up, then one
/// live blob), having said whether it reads the compact form.
async fn blob_frames_as(
    relay: &Relay,
    space: &amplify::SpaceKeys,
    member: &Member,
    compact: bool,
) -> Vec<Vec<u8>> {
    let mut socket = support::RawSocket::open(relay.addr).await;
    assert!(socket.try_authenticate_reading(member, compact).await, "the relay welcomes the member");
    socket.send(&ClientFrame::Subscribe { space: space.id, cursors: vec![] }).await;
    let mut frames = Vec::new();
    loop {
        let (opcode, payload) = socket.read_frame().await;
        match RelayFrame::decode(&payload) {
            _ if opcode != 2 => {}
            Ok(RelayFrame::CaughtUp { .. }) => break,
            Ok(RelayFrame::Blob { .. }) => frames.push(payload),
            _ => {}
        }
    }
    frames
}

#[tokio::test]
async fn blobs_reach_each_device_in_the_form_it_reads_certificates_by_reference_or_in_full() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let space = SpaceSecret::generate().keys();
    let (maya, sam) = (Member::of(&[&space]), Member::of(&[&space]));
    let mut phone = Client::connect(relay.addr, &maya).await;
    let blob = maya.seal(&space, "group/notes", b"one");
    assert!(matches!(phone.put(1, &blob).await, RelayFrame::Ack { seq: 1, .. }));

    // A client from this version reads every blob 64 bytes lighter; one from before, in full.
    let compact = blob_frames_as(&relay, &space, &sam, true).await;
    let full = blob_frames_as(&relay, &space, &sam, false).await;
    assert_eq!((compact.len(), full.len()), (1, 1));
    assert_eq!((compact[0][0], full[0][0]), (14, 5));
    assert_eq!(compact[0].len(), full[0].len() - 64);
    for frame in [&compact[0], &full[0]] {
        assert_eq!(RelayFrame::decode(frame), Ok(RelayFrame::Blob { seq: 1, blob: blob.clone() }));
    }
    // The same blob sent again in the other form is the same blob: stored once.
    let mut old = vec![4];
    old.extend_from_slice(&2u32.to_le_bytes());
    old.extend_from_slice(&amplify::encode_sealed(&blob));
    phone.send_raw(old).await;
    assert!(matches!(phone.recv().await, RelayFrame::Ack { request: 2, seq: 1, .. }));
    relay.stop().await;
}

#[tokio::test]
async fn a_burst_of_puts_is_acknowledged_in_order_and_reaches_followers_even_if_its_writer_leaves() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), Limits { blobs_per_second: 1e9, burst: 1e9, ..limits() }).await;
    let space = SpaceSecret::generate().keys();
    let (maya, sam) = (Member::of(&[&space]), Member::of(&[&space]));
    let mut laptop = Client::connect(relay.addr, &sam).await;
    assert!(laptop.subscribe(space.id, vec![]).await.is_empty());
    let docs = ["journal/2026-10", "journal/2026-11"];
    let blob = |i: u32| maya.seal(&space, docs[i as usize % 2], &i.to_le_bytes());

    // The phone sends a week of changes without waiting for any answer.
    let mut phone = Client::connect(relay.addr, &maya).await;
    for i in 0..300 {
        phone.send(&ClientFrame::Put { request: i, blob: blob(i) }).await;
    }
    for i in 0..300 {
        let ack = phone.recv().await;
        assert!(
            matches!(ack, RelayFrame::Ack { request, seq, .. } if request == i && seq == u64::from(i / 2 + 1)),
            "{ack:?}"
        );
    }
    // Another burst, and the phone goes before hearing back: what the relay took still
    // reaches the laptop, in each document's order.
    for i in 300..600 {
        phone.send(&ClientFrame::Put { request: i, blob: blob(i) }).await;
    }
    phone.ws.close(None).await.unwrap();
    let mut live = Vec::new();
    while live.len() < 600 {
        live.push(laptop.recv().await);
    }
    let mut next = [1u64, 1];
    for (frame, bytes) in live.iter().zip(opened(&space, &live)) {
        let i = u32::from_le_bytes(bytes.try_into().unwrap());
        let RelayFrame::Blob { seq, .. } = frame else { panic!("{frame:?}") };
        assert_eq!(*seq, next[i as usize % 2], "blob {i}");
        assert_eq!(u64::from(i / 2 + 1), *seq);
        next[i as usize % 2] += 1;
    }
    assert_eq!(next, [301, 301]);
    relay.stop().await;
}

#[tokio::test]
async fn putting_the_same_blob_twice_stores_it_once() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &maya).await;
    let blob = maya.seal(&space, "profile", b"once");
    let first = client.put(1, &blob).await;
    let second = client.put(2, &blob).await;
    assert!(matches!(
        (first, second),
        (RelayFrame::Ack { seq: 1, .. }, RelayFrame::Ack { seq: 1, request: 2, .. })
    ));
    assert_eq!(seqs(&client.subscribe(space.id, vec![]).await), [1]);
    relay.stop().await;
}

#[tokio::test]
async fn a_restart_on_the_same_file_keeps_everything_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let relay = Relay::start(data.path(), limits()).await;
    let mut client = Client::connect(relay.addr, &maya).await;
    for i in 0..20u32 {
        assert!(matches!(
            client.put(i, &maya.seal(&space, "journal/2026-11", &i.to_le_bytes())).await,
            RelayFrame::Ack { .. }
        ));
    }
    // A restart tells connected clients why before closing.
    let stopping = tokio::spawn(relay.stop());
    let closed = client.closed().await;
    assert!(matches!(closed.error, Some(RelayFrame::Error { code: Fatal::ShuttingDown, .. })), "{closed:?}");
    assert_eq!(closed.code, Some(1001));
    stopping.await.unwrap();

    let relay = Relay::start(data.path(), limits()).await;
    let mut client = Client::connect(relay.addr, &maya).await;
    let all = client.subscribe(space.id, vec![]).await;
    assert_eq!(seqs(&all), (1..=20).collect::<Vec<_>>());
    relay.stop().await;
}

#[tokio::test]
async fn kill_9_between_write_and_ack_loses_nothing_acknowledged() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("relay.log");
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let relay = RelayProcess::start(data.path(), &log);
    let mut client = Client::connect(relay.addr, &maya).await;
    let blobs: Vec<_> = (0..60u32).map(|i| maya.seal(&space, "journal/2026-11", &i.to_le_bytes())).collect();
    // Pipeline every put, read only some acks, and kill the relay while the rest are in flight.
    for (i, blob) in blobs.iter().enumerate() {
        client.send(&ClientFrame::Put { request: i as u32, blob: blob.clone() }).await;
    }
    let mut acknowledged = Vec::new();
    while acknowledged.len() < 15 {
        if let RelayFrame::Ack { request, seq, .. } = client.recv().await {
            acknowledged.push((request, seq));
        }
    }
    relay.kill_hard();

    let relay = RelayProcess::start(data.path(), &log);
    let mut client = Client::connect(relay.addr, &maya).await;
    let after = client.subscribe(space.id, vec![]).await;
    let stored = opened(&space, &after);
    for (request, _) in &acknowledged {
        assert!(stored.contains(&request.to_le_bytes().to_vec()), "acknowledged blob {request} was lost");
    }
    // The log has no holes: numbers run from 1 without gaps.
    let numbers = seqs(&after);
    assert_eq!(numbers, (1..=numbers.len() as u64).collect::<Vec<_>>());
    relay.kill_hard();
}

#[tokio::test]
async fn a_snapshot_lets_a_new_device_start_from_it() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &maya).await;
    for i in 0..5u8 {
        client.put(u32::from(i), &maya.seal(&space, "profile", &[i])).await;
    }
    let snapshot = maya.seal(&space, "profile", b"everything up to 3");
    client.send(&ClientFrame::Snapshot { request: 7, covers: 3, blob: snapshot }).await;
    assert!(matches!(client.recv().await, RelayFrame::Ack { request: 7, seq: 3, .. }));
    let beyond = maya.seal(&space, "profile", b"from the future");
    client.send(&ClientFrame::Snapshot { request: 8, covers: 99, blob: beyond }).await;
    assert!(matches!(client.recv().await, RelayFrame::Reject { request: 8, code: Reject::BadSnapshot, .. }));

    let mut fresh = Client::connect(relay.addr, &Member::of(&[&space])).await;
    let frames = fresh.subscribe(space.id, vec![]).await;
    assert!(matches!(frames[0], RelayFrame::Snapshot { covers: 3, .. }));
    assert_eq!(opened(&space, &frames), [b"everything up to 3".to_vec(), vec![3], vec![4]]);
    relay.stop().await;
}

#[tokio::test]
async fn a_snapshot_sent_right_behind_the_puts_it_covers_is_stored_after_them() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &maya).await;
    // No waiting for acknowledgements: puts and the snapshot queue for the writer together.
    for i in 1..=5u8 {
        client
            .send(&ClientFrame::Put { request: u32::from(i), blob: maya.seal(&space, "profile", &[i]) })
            .await;
    }
    let snapshot = maya.seal(&space, "profile", b"all five");
    client.send(&ClientFrame::Snapshot { request: 9, covers: 5, blob: snapshot }).await;
    for i in 1..=5u32 {
        let ack = client.recv().await;
        assert!(
            matches!(ack, RelayFrame::Ack { request, seq, .. } if request == i && seq == u64::from(i)),
            "{ack:?}"
        );
    }
    let ack = client.recv().await;
    assert!(matches!(ack, RelayFrame::Ack { request: 9, seq: 5, .. }), "{ack:?}");
    let mut fresh = Client::connect(relay.addr, &Member::of(&[&space])).await;
    let frames = fresh.subscribe(space.id, vec![]).await;
    assert_eq!(opened(&space, &frames), [b"all five".to_vec()]);
    relay.stop().await;
}

#[tokio::test]
async fn garbage_truncated_text_and_oversize_frames_close_only_that_connection() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), Limits { max_frame_bytes: 64 * 1024, ..limits() }).await;
    let space = SpaceSecret::generate().keys();
    let (maya, sam) = (Member::of(&[&space]), Member::of(&[&space]));
    let mut watcher = Client::connect(relay.addr, &sam).await;
    watcher.subscribe(space.id, vec![]).await;

    let put = ClientFrame::Put { request: 1, blob: maya.seal(&space, "profile", b"x") }.encode();
    let text = tokio_tungstenite::tungstenite::Message::Text("hello".into());
    // After an oversize frame the WebSocket layer drops the socket right after the relay's error
    // frame, so the close code may not arrive.
    /// What to send (`None`: a text message), how the relay closes, the close codes it may use.
    type Case<'a> = (Box<dyn Fn() -> Option<Vec<u8>> + 'a>, Fatal, &'a [Option<u16>]);
    let cases: Vec<Case> = vec![
        (Box::new(|| Some(vec![0xff, 0, 1, 2])), Fatal::Malformed, &[Some(1007)]),
        (Box::new(|| Some(put[..put.len() - 10].to_vec())), Fatal::Malformed, &[Some(1007)]),
        (Box::new(|| Some(vec![4; 200 * 1024])), Fatal::TooLarge, &[Some(1009), None]),
        (Box::new(|| None), Fatal::ProtocolViolation, &[Some(1002)]),
    ];
    for (frame, fatal, codes) in cases {
        let mut client = Client::connect(relay.addr, &maya).await;
        match frame() {
            Some(bytes) => client.send_raw(bytes).await,
            None => futures_util::SinkExt::send(&mut client.ws, text.clone()).await.unwrap(),
        }
        let closed = client.closed().await;
        assert!(
            matches!(&closed.error, Some(RelayFrame::Error { code, .. }) if *code == fatal),
            "{closed:?}"
        );
        assert!(codes.contains(&closed.code), "{closed:?}");
    }
    // The watcher's connection is untouched and still gets live blobs.
    let mut writer = Client::connect(relay.addr, &maya).await;
    writer.put(5, &maya.seal(&space, "profile", b"still here")).await;
    assert_eq!(opened(&space, &[watcher.recv().await]), [b"still here".to_vec()]);
    relay.stop().await;
}

#[tokio::test]
async fn forged_stolen_and_unadmitted_blobs_are_rejected_and_the_connection_stays() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let (space, other) = (SpaceSecret::generate().keys(), SpaceSecret::generate().keys());
    let maya = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &maya).await;

    let mut forged = maya.seal(&space, "profile", b"x");
    forged.signature[0] ^= 1;
    assert!(matches!(
        client.put(1, &forged).await,
        RelayFrame::Reject { request: 1, code: Reject::Forged, .. }
    ));

    // A blob for a space this connection was not admitted to.
    let outsider = Member::of(&[&other]);
    let foreign = Sealed { author: maya.device.id(), ..outsider.seal(&other, "profile", b"x") };
    assert!(matches!(client.put(2, &foreign).await, RelayFrame::Reject { code: Reject::NotAdmitted, .. }));

    // A blob another member wrote, replayed by this connection.
    let sam = Member::of(&[&space]);
    let stolen = sam.seal(&space, "profile", b"sam's words");
    assert!(matches!(client.put(3, &stolen).await, RelayFrame::Reject { code: Reject::NotAuthor, .. }));

    // A certificate the device made itself, for the right space but not signed by it.
    let mut self_made = maya.seal(&space, "profile", b"x");
    self_made.cert = other.admit(maya.device.id());
    self_made.cert.space = space.id;
    assert!(matches!(client.put(4, &self_made).await, RelayFrame::Reject { code: Reject::Forged, .. }));

    assert!(matches!(
        client.put(5, &maya.seal(&space, "profile", b"fine")).await,
        RelayFrame::Ack { request: 5, .. }
    ));
    assert_eq!(seqs(&client.subscribe(space.id, vec![]).await), [1], "nothing rejected was stored");

    client.send(&ClientFrame::Subscribe { space: other.id, cursors: vec![] }).await;
    assert!(matches!(client.recv().await, RelayFrame::Reject { code: Reject::NotAdmitted, .. }));
    relay.stop().await;
}

use amplify::Sealed;

#[tokio::test]
async fn wrong_credentials_are_closed_with_4401() {
    let data = tempfile::tempdir().unwrap();
    let relay =
        Relay::start(data.path(), Limits { auth_timeout: Duration::from_millis(300), ..limits() }).await;
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);

    // Signing the challenge with another key than the one claimed.
    let mut client = Client::raw(relay.addr).await;
    let RelayFrame::Challenge { nonce } = client.recv().await else { panic!() };
    let impostor = DeviceKey::generate();
    client
        .send(&ClientFrame::Auth {
            device: maya.device.id(),
            signature: impostor.sign_challenge(&nonce),
            certs: maya.certs.clone(),
            compact: true,
        })
        .await;
    assert_eq!(client.closed().await.code, Some(4401));

    // A valid key, but certificates that admit another device.
    let mut client = Client::raw(relay.addr).await;
    let RelayFrame::Challenge { nonce } = client.recv().await else { panic!() };
    client
        .send(&ClientFrame::Auth {
            device: impostor.id(),
            signature: impostor.sign_challenge(&nonce),
            certs: maya.certs.clone(),
            compact: true,
        })
        .await;
    let closed = client.closed().await;
    assert!(matches!(closed.error, Some(RelayFrame::Error { code: Fatal::Unauthorized, .. })));
    assert_eq!(closed.code, Some(4401));

    // Saying nothing at all.
    let mut client = Client::raw(relay.addr).await;
    let _challenge = client.recv().await;
    assert_eq!(client.closed().await.code, Some(4401));

    // Anything but Auth first.
    let mut client = Client::raw(relay.addr).await;
    let _challenge = client.recv().await;
    client.send(&ClientFrame::Ping).await;
    assert_eq!(client.closed().await.code, Some(4401));
    relay.stop().await;
}

#[tokio::test]
async fn rate_and_document_limits_answer_with_clear_rejections() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(
        data.path(),
        Limits { burst: 5.0, blobs_per_second: 0.5, max_docs_per_space: 2, ..limits() },
    )
    .await;
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &maya).await;
    for (i, doc) in ["a", "b"].iter().enumerate() {
        assert!(matches!(client.put(i as u32, &maya.seal(&space, doc, b"x")).await, RelayFrame::Ack { .. }));
    }
    let third = client.put(2, &maya.seal(&space, "c", b"x")).await;
    assert!(
        matches!(&third, RelayFrame::Reject { code: Reject::TooManyDocuments, message, .. } if message.contains("maximum of 2")),
        "{third:?}"
    );
    let mut answers = Vec::new();
    for i in 3..8u32 {
        answers.push(client.put(i, &maya.seal(&space, "a", &i.to_le_bytes())).await);
    }
    assert!(
        matches!(answers.last(), Some(RelayFrame::Reject { code: Reject::RateLimited, .. })),
        "{answers:?}"
    );
    relay.stop().await;
}

#[tokio::test]
async fn a_reader_reads_but_cannot_write() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let space = SpaceSecret::generate().keys();
    let team = Member::of(&[&space]);
    let mut writer = Client::connect(relay.addr, &team).await;
    writer.put(1, &team.seal(&space, "story/maya", b"published")).await;

    let reader_keys = amplify::ReaderKeys::from_bytes(&space.reader_keys().to_bytes()).unwrap();
    let executive = DeviceKey::generate();
    let cert = reader_keys.admit(executive.id());
    let viewer = Member { device: executive.clone(), certs: vec![cert] };
    let mut client = Client::connect(relay.addr, &viewer).await;
    let frames = client.subscribe(space.id, vec![]).await;
    let RelayFrame::Blob { blob, .. } = &frames[0] else { panic!("{frames:?}") };
    assert_eq!(blob.open_as_reader(&reader_keys).unwrap().bytes, b"published");

    let payload = amplify::Payload {
        doc: "story/maya".into(),
        kind: amplify::PayloadKind::Changes,
        bytes: b"edited".to_vec(),
    };
    let attempt = Sealed::seal(&space, &executive, &cert, &payload);
    assert!(matches!(client.put(2, &attempt).await, RelayFrame::Reject { code: Reject::ReadOnly, .. }));
    relay.stop().await;
}

#[tokio::test]
async fn presence_is_passed_on_live_and_never_stored() {
    let data = tempfile::tempdir().unwrap();
    let relay = Relay::start(data.path(), limits()).await;
    let space = SpaceSecret::generate().keys();
    let (maya, sam) = (Member::of(&[&space]), Member::of(&[&space]));
    let mut watcher = Client::connect(relay.addr, &sam).await;
    watcher.subscribe(space.id, vec![]).await;
    let mut looker = Client::connect(relay.addr, &maya).await;
    let payload = amplify::Payload {
        doc: "canvas/x/maya".into(),
        kind: amplify::PayloadKind::Presence,
        bytes: b"Maya".to_vec(),
    };
    let here = Sealed::seal(&space, &maya.device, &maya.certs[0], &payload);
    looker.send(&ClientFrame::Presence { blob: here }).await;
    let RelayFrame::Presence { blob } = watcher.recv().await else { panic!("expected presence") };
    assert_eq!(blob.open(&space).unwrap().bytes, b"Maya");
    // Nothing was stored: a new device catches up with nothing.
    let mut fresh = Client::connect(relay.addr, &Member::of(&[&space])).await;
    assert!(fresh.subscribe(space.id, vec![]).await.is_empty());
    relay.stop().await;
}
