//! A new device joins: how long until it holds a 1,000-entry journal from the relay, replaying
//! every blob, and starting from per-volume snapshots instead. The client side (verify, decrypt,
//! apply) runs natively here; the browser does the same work in wasm, a few times slower.
//!
//! `cargo bench -p server --bench new_device`

#[path = "../tests/support/mod.rs"]
mod support;

use std::{collections::HashMap, time::Instant};

use amplify::{
    ClientFrame, Journal, Model, Moment, Payload, PayloadKind, RelayFrame, Sealed, SpaceSecret, volume_id,
};
use server::Limits;
use support::{Client, Member, Relay};

const ENTRIES: usize = 1000;
const MONTHS: usize = 7;
const SAVES_PER_ENTRY: usize = 10;
const WORDS: usize = 300;

fn word(i: usize) -> &'static str {
    const W: [&str; 16] = [
        "today",
        "I",
        "listened",
        "before",
        "speaking",
        "team",
        "answer",
        "uncomfortable",
        "right",
        "experiment",
        "tested",
        "assumption",
        "artists",
        "streaming",
        "feedback",
        "courage",
    ];
    W[(i.wrapping_mul(2_654_435_761) >> 7) % W.len()]
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let limits = Limits { blobs_per_second: 1e9, burst: 1e9, ..Limits::default() };
        let relay = Relay::start(dir.path(), limits).await;
        let space = SpaceSecret::generate().keys();
        let phone = Member::of(&[&space]);

        // The phone writes the journal, saving (and sending) ten times per entry.
        let mut volumes: Vec<Journal> = (0..MONTHS).map(|_| Journal::new()).collect();
        let mut heads: Vec<_> = volumes.iter_mut().map(|v| v.doc_mut().heads()).collect();
        let mut blobs: Vec<Sealed> = Vec::new();
        let per_month = ENTRIES.div_ceil(MONTHS);
        for e in 0..ENTRIES {
            let m = e / per_month;
            let month = amplify::Month { year: 2026, month: 3 + m as u8 };
            let at = Moment::new(month.first_day().days() * 86_400_000 + (e % per_month) as i64 * 3_600_000, 0);
            let id = volumes[m].add_entry(at, None);
            let mut body = String::new();
            for save in 0..SAVES_PER_ENTRY {
                for w in 0..WORDS / SAVES_PER_ENTRY {
                    body.push_str(word(e * WORDS + save * 100 + w));
                    body.push(' ');
                }
                volumes[m].set_body(&id, &body);
                let bytes = volumes[m].doc_mut().save_after(&heads[m]);
                heads[m] = volumes[m].doc_mut().heads();
                blobs.push(phone.seal(&space, &volume_id(month), &bytes));
            }
        }
        let mut sender = Client::connect(relay.addr, &phone).await;
        let uploading = Instant::now();
        for (i, blob) in blobs.iter().enumerate() {
            sender.send(&ClientFrame::Put { request: i as u32, blob: blob.clone() }).await;
        }
        let mut acked = 0;
        let mut last_seq: HashMap<_, u64> = HashMap::new();
        while acked < blobs.len() {
            if let RelayFrame::Ack { doc, seq, .. } = sender.recv().await {
                acked += 1;
                let s = last_seq.entry(doc).or_default();
                *s = (*s).max(seq);
            }
        }
        let wire: usize = blobs.iter().map(|b| amplify::encode_sealed(b).len()).sum();
        println!(
            "journal: {ENTRIES} entries of {WORDS} words in {MONTHS} monthly volumes, {} blobs ({:.1} MB sealed); \
             uploaded and acknowledged in {:.2?}",
            blobs.len(),
            wire as f64 / 1e6,
            uploading.elapsed()
        );

        let without = join(&relay, &space).await;
        println!("new device, replaying every blob: {:.2?} ({} frames, {:.1} MB)", without.0, without.1, without.2);

        // The phone uploads a snapshot of each volume covering everything so far.
        for (m, volume) in volumes.iter_mut().enumerate() {
            let month = amplify::Month { year: 2026, month: 3 + m as u8 };
            let payload = Payload { doc: volume_id(month), kind: PayloadKind::Snapshot, bytes: volume.doc_mut().save() };
            let cert = phone.certs[0];
            let blob = Sealed::seal(&space, &phone.device, &cert, &payload);
            let covers = last_seq[&blob.doc];
            sender.send(&ClientFrame::Snapshot { request: 9_000_000 + m as u32, covers, blob }).await;
            assert!(matches!(sender.recv().await, RelayFrame::Ack { .. }));
        }
        let with = join(&relay, &space).await;
        println!("new device, starting from snapshots: {:.2?} ({} frames, {:.1} MB)", with.0, with.1, with.2);
        relay.stop().await;
    });
}

/// A new device of the same person: subscribe, open and apply everything; time, frames, bytes.
async fn join(relay: &Relay, space: &amplify::SpaceKeys) -> (std::time::Duration, usize, f64) {
    let laptop = Member::of(&[space]);
    let started = Instant::now();
    let mut client = Client::connect(relay.addr, &laptop).await;
    let frames = client.subscribe(space.id, vec![]).await;
    let mut volumes: HashMap<String, Journal> = HashMap::new();
    let mut bytes = 0;
    for frame in &frames {
        if let RelayFrame::Blob { blob, .. } | RelayFrame::Snapshot { blob, .. } = frame {
            bytes += blob.ciphertext.len();
            let payload = blob.open(space).expect("the new device can read its own space");
            let volume = volumes.entry(payload.doc).or_insert_with(Journal::new);
            match payload.kind {
                PayloadKind::Snapshot => volume.doc_mut().apply_snapshot(&payload.bytes).unwrap(),
                PayloadKind::Changes => volume.doc_mut().apply(&payload.bytes).unwrap(),
                PayloadKind::Presence => unreachable!("the relay never stores presence"),
            }
        }
    }
    let entries: usize = volumes.values().map(|v| v.entries().len()).sum();
    assert_eq!(entries, ENTRIES);
    (started.elapsed(), frames.len(), bytes as f64 / 1e6)
}
