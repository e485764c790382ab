//! The workload issue 10 compares with automerge-repo-sync-server (`tests/peer/many_docs.mjs`
//! runs it there): 100 documents x 100 edits, each edit its own save, made while offline. Run
//! twice, each time against a fresh relay process (rate limits raised for one writer):
//!
//! - **as the app sends them**: the outbox folds the saves queued for each document into one
//!   sealed blob ([`Payload::fold`], opening and sealing again as the app does, on the clock)
//!   and sends those, pipelined, until the relay has acknowledged all of them;
//! - **one blob per save**: all 10,000 pipelined, then, as the app does once a document has
//!   100 blobs, a snapshot of each: the relay's own throughput.
//!
//! Each time a fresh device then reads everything (verify, decrypt, apply). Prints the writer's
//! and the reader's time and the relay's disk.
//!
//! `cargo bench -p server --bench many_docs`

#[path = "../tests/support/mod.rs"]
mod support;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use amplify::{ClientFrame, Payload, PayloadKind, RelayFrame, Sealed, SpaceKeys, SpaceSecret};
use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
use support::{Client, Member, RelayProcess};

const DOCS: usize = 100;
const EDITS: usize = 100;
/// The app snapshots a document once the relay holds this many blobs of it past the last one,
/// or more bytes than the whole document and at least `SNAPSHOT_BYTES` (`app/src/sync/upkeep.rs`).
const SNAPSHOT_EVERY: usize = 100;
const SNAPSHOT_BYTES: usize = 8 * 1024;

/// What one run measured.
struct Run {
    blobs: usize,
    snapshots: usize,
    acknowledged: Duration,
    /// With the snapshots sent after, when there are any.
    written: Duration,
    /// Of which the device's own work making them (saving each document whole, sealing it).
    sealing: Duration,
    read: Duration,
    frames: usize,
    busy: u64,
    disk: u64,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let space = SpaceSecret::generate().keys();
        let writer = Member::of(&[&space]);

        // The saves, sealed as the outbox holds them, made before the clock starts.
        let mut docs: Vec<AutoCommit> = (0..DOCS).map(|_| AutoCommit::new()).collect();
        let mut saves: Vec<Sealed> = Vec::with_capacity(DOCS * EDITS);
        for edit in 0..EDITS {
            for (d, doc) in docs.iter_mut().enumerate() {
                let heads = doc.get_heads();
                doc.put(ROOT, format!("edit {edit}"), edit as i64).unwrap();
                saves.push(writer.seal(&space, &format!("doc/{d}"), &doc.save_after(&heads)));
            }
        }
        let sealed: usize = saves.iter().map(|b| amplify::encode_sealed(b).len()).sum();
        println!(
            "{DOCS} documents x {EDITS} edits, each its own save ({} saves, {:.2} MB sealed):",
            saves.len(),
            sealed as f64 / 1e6
        );

        let folded = run(&space, &writer, &saves, &mut docs, true).await;
        report("as the app sends them, folded per document", &folded);
        let alone = run(&space, &writer, &saves, &mut docs, false).await;
        report("one blob per save", &alone);
    });
}

fn report(how: &str, run: &Run) {
    println!("  {how} ({} blobs):", run.blobs);
    if run.snapshots > 0 {
        println!(
            "    writer: every blob acknowledged in {:.2?}; with the {} snapshots the app then sends, {:.2?} \
             (of which {:.2?} making them on the device)",
            run.acknowledged, run.snapshots, run.written, run.sealing
        );
    } else {
        println!("    writer: every blob acknowledged in {:.2?}", run.acknowledged);
    }
    println!("    a fresh device reads everything in {:.2?} ({} frames)", run.read, run.frames);
    println!(
        "    relay's disk: {:.3} MB right after, {:.3} MB once it tidied up (the SQLite file and its log)",
        run.busy as f64 / 1e6,
        run.disk as f64 / 1e6
    );
}

async fn run(
    space: &SpaceKeys,
    writer: &Member,
    saves: &[Sealed],
    docs: &mut [AutoCommit],
    fold: bool,
) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let relay = RelayProcess::start_with(
        &data,
        &dir.path().join("relay.log"),
        &["--open-admission", "--blobs-per-second", "1000000", "--blob-burst", "1000000"],
        "warn",
    );

    let started = Instant::now();
    let blobs: Vec<Sealed> = if fold {
        // As `Account::coalesce` does: open each queued save, fold them by document, seal again.
        let mut by_doc: Vec<Vec<Payload>> = vec![Vec::new(); DOCS];
        for save in saves {
            let payload = save
                .open_own(&space.content, std::slice::from_ref(&space.content))
                .expect("the writer opens its own saves");
            let d: usize = payload.doc["doc/".len()..].parse().unwrap();
            by_doc[d].push(payload);
        }
        by_doc
            .into_iter()
            .map(|payloads| {
                let payload = Payload::fold(payloads).expect("saves to one document fold");
                Sealed::seal(space, &writer.device, &writer.certs[0], &payload)
            })
            .collect()
    } else {
        saves.to_vec()
    };
    let mut client = Client::connect(relay.addr, writer).await;
    for (i, blob) in blobs.iter().enumerate() {
        client.send(&ClientFrame::Put { request: i as u32, blob: blob.clone() }).await;
    }
    let mut last: HashMap<_, u64> = HashMap::new();
    for _ in 0..blobs.len() {
        let RelayFrame::Ack { doc, seq, .. } = client.recv().await else {
            panic!("every blob is acknowledged")
        };
        let s = last.entry(doc).or_default();
        *s = (*s).max(seq);
    }
    let acknowledged = started.elapsed();
    let mut logged: HashMap<_, (usize, usize)> = HashMap::new();
    for blob in &blobs {
        let (count, bytes) = logged.entry(blob.doc).or_default();
        *count += 1;
        *bytes += amplify::encode_sealed(blob).len();
    }
    let sealing = Instant::now();
    let snapshots: Vec<Sealed> = docs
        .iter_mut()
        .enumerate()
        .filter_map(|(d, doc)| {
            let payload = Payload { doc: format!("doc/{d}"), kind: PayloadKind::Snapshot, bytes: doc.save() };
            let blob = Sealed::seal(space, &writer.device, &writer.certs[0], &payload);
            let (count, bytes) = logged[&blob.doc];
            let due = count >= SNAPSHOT_EVERY || (bytes > SNAPSHOT_BYTES && bytes > payload.bytes.len());
            due.then_some(blob)
        })
        .collect();
    let sealing = sealing.elapsed();
    for (i, blob) in snapshots.iter().enumerate() {
        let covers = last[&blob.doc];
        client
            .send(&ClientFrame::Snapshot { request: 1_000_000 + i as u32, covers, blob: blob.clone() })
            .await;
    }
    for _ in &snapshots {
        assert!(matches!(client.recv().await, RelayFrame::Ack { .. }));
    }
    let written = started.elapsed();
    drop(client);

    let reading = Instant::now();
    let reader = Member::of(&[space]);
    let mut client = Client::connect(relay.addr, &reader).await;
    let frames = client.subscribe(space.id, vec![]).await;
    let mut read: HashMap<String, AutoCommit> = HashMap::new();
    for frame in &frames {
        if let RelayFrame::Blob { blob, .. } | RelayFrame::Snapshot { blob, .. } = frame {
            let payload = blob.open(space).expect("the reader can open the space");
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
    tokio::time::sleep(Duration::from_secs(3)).await;
    let disk = dir_size(&data);
    relay.kill_hard();
    Run {
        blobs: blobs.len(),
        snapshots: snapshots.len(),
        acknowledged,
        written,
        sealing,
        read: read_in,
        frames: frames.len(),
        busy,
        disk,
    }
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
