//! The workload issue 10 compares with automerge-repo-sync-server: 100 documents x 100 edits,
//! each edit its own save. A writer sends every save as a sealed blob (pipelined, as the app's
//! outbox does) until the relay has acknowledged all of them, then, as the app does once a
//! document has 100 blobs, a snapshot of each; then a fresh device reads everything (verify,
//! decrypt, apply). The relay runs as its own process (rate limits raised for one writer sending
//! 10,000 saves at once); prints the writer's and the reader's time and the relay's disk.
//!
//! `cargo bench -p server --bench many_docs`

#[path = "../tests/support/mod.rs"]
mod support;

use std::{collections::HashMap, time::Instant};

use amplify::{ClientFrame, Payload, PayloadKind, RelayFrame, Sealed, SpaceSecret};
use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use support::{Client, Member, RelayProcess};

const DOCS: usize = 100;
const EDITS: usize = 100;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let relay = RelayProcess::start_with(
            &data,
            &dir.path().join("relay.log"),
            &["--open-admission", "--blobs-per-second", "1000000", "--blob-burst", "1000000"],
            "warn",
        );
        let space = SpaceSecret::generate().keys();
        let writer = Member::of(&[&space]);

        // The saves, made before the clock starts: the relay's work is what is measured.
        let mut docs: Vec<AutoCommit> = (0..DOCS).map(|_| AutoCommit::new()).collect();
        let mut saves: Vec<Sealed> = Vec::with_capacity(DOCS * EDITS);
        for edit in 0..EDITS {
            for (d, doc) in docs.iter_mut().enumerate() {
                let heads = doc.get_heads();
                doc.put(ROOT, format!("edit {edit}"), edit as i64).unwrap();
                saves.push(writer.seal(&space, &format!("doc/{d}"), &doc.save_after(&heads)));
            }
        }
        let snapshots: Vec<Sealed> = docs
            .iter_mut()
            .enumerate()
            .map(|(d, doc)| {
                let payload = Payload { doc: format!("doc/{d}"), kind: PayloadKind::Snapshot, bytes: doc.save() };
                Sealed::seal(&space, &writer.device, &writer.certs[0], &payload)
            })
            .collect();

        let started = Instant::now();
        let mut client = Client::connect(relay.addr, &writer).await;
        for (i, blob) in saves.iter().enumerate() {
            client.send(&ClientFrame::Put { request: i as u32, blob: blob.clone() }).await;
        }
        let mut last: HashMap<_, u64> = HashMap::new();
        for _ in 0..saves.len() {
            let RelayFrame::Ack { doc, seq, .. } = client.recv().await else { panic!("every save is acknowledged") };
            let s = last.entry(doc).or_default();
            *s = (*s).max(seq);
        }
        let acknowledged = started.elapsed();
        for (i, blob) in snapshots.into_iter().enumerate() {
            let covers = last[&blob.doc];
            client.send(&ClientFrame::Snapshot { request: 1_000_000 + i as u32, covers, blob }).await;
        }
        for _ in 0..DOCS {
            assert!(matches!(client.recv().await, RelayFrame::Ack { .. }));
        }
        let written = started.elapsed();
        drop(client);

        let reading = Instant::now();
        let reader = Member::of(&[&space]);
        let mut client = Client::connect(relay.addr, &reader).await;
        let frames = client.subscribe(space.id, vec![]).await;
        let mut read: HashMap<String, AutoCommit> = HashMap::new();
        for frame in &frames {
            if let RelayFrame::Blob { blob, .. } | RelayFrame::Snapshot { blob, .. } = frame {
                let payload = blob.open(&space).expect("the reader can open the space");
                let doc = read.entry(payload.doc).or_default();
                doc.load_incremental(&payload.bytes).unwrap();
            }
        }
        let edits: usize = read.values().map(|d| d.length(ROOT)).sum();
        assert_eq!(edits, DOCS * EDITS, "the reader has every edit");
        let read_in = reading.elapsed();
        drop(client);
        let busy = dir_size(&data);
        // The relay tidies up once nothing has been written for a moment.
        tokio::time::sleep(std::time::Duration::from_secs(3)).await;
        let disk = dir_size(&data);

        println!(
            "{DOCS} documents x {EDITS} edits, each its own save ({} blobs, {:.2} MB sealed):",
            saves.len(),
            saves.iter().map(|b| amplify::encode_sealed(b).len()).sum::<usize>() as f64 / 1e6
        );
        println!("  writer: every save acknowledged in {acknowledged:.2?}; with the snapshots the app then sends, {written:.2?}");
        println!("  a fresh device reads everything in {read_in:.2?} ({} frames)", frames.len());
        println!(
            "  relay's disk: {:.2} MB right after, {:.3} MB once it tidied up (the SQLite file and its log)",
            busy as f64 / 1e6,
            disk as f64 / 1e6
        );
        relay.kill_hard();
    });
}

/// Bytes of every file under `dir`.
fn dir_size(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
