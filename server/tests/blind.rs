//! The relay cannot read what it stores: write journal entries holding a marker, then search
//! the relay's database files and its debug log for the marker and for the document's name.

mod support;

use amplify::{Journal, Model, Moment, RelayFrame, SpaceSecret};
use support::{Client, Member, RelayProcess, database_bytes, opened};

const MARKER: &str = "AMPLIFY-CANARY-7f3a9c";

#[tokio::test]
async fn no_plaintext_reaches_the_relay_s_disk_or_logs() {
    let data = tempfile::tempdir().unwrap();
    let log = data.path().join("relay.log");
    let relay = RelayProcess::start(&data.path().join("store"), &log);
    let space = SpaceSecret::generate().keys();
    let maya = Member::of(&[&space]);
    let mut client = Client::connect(relay.addr, &maya).await;

    let mut journal = Journal::new();
    let mut heads = journal.doc_mut().heads();
    for i in 0..5 {
        let id = journal.add_entry(Moment::new(i, 0), Some("What do I stand for?"));
        journal.set_body(&id, &format!("{MARKER} entry {i}: my private reflection"));
        let bytes = journal.doc_mut().save_after(&heads);
        heads = journal.doc_mut().heads();
        assert!(matches!(
            client.put(i as u32, &maya.seal(&space, "journal/2026-11", &bytes)).await,
            RelayFrame::Ack { .. }
        ));
    }
    // Members can read it back, so the marker really went through.
    let mut reader = Client::connect(relay.addr, &Member::of(&[&space])).await;
    let mut copy = Journal::new();
    for bytes in opened(&space, &reader.subscribe(space.id, vec![]).await) {
        copy.doc_mut().apply(&bytes).unwrap();
    }
    assert!(copy.entries().iter().all(|e| e.body.contains(MARKER)));
    relay.kill_hard();

    let mut scanned = 0;
    // (On PostgreSQL the store directory is never made: the database is read below.)
    let store_files = std::fs::read_dir(data.path().join("store")).into_iter().flatten();
    let files = store_files.chain(std::fs::read_dir(data.path()).unwrap());
    let files = files.map(|entry| entry.unwrap().path()).filter(|path| path.is_file());
    let stored = files
        .map(|path| (path.display().to_string(), std::fs::read(&path).unwrap()))
        .chain([("the PostgreSQL database".to_owned(), database_bytes(&data.path().join("store")))]);
    for (place, bytes) in stored {
        scanned += bytes.len();
        for needle in [MARKER, "private reflection", "What do I stand for", "journal/2026-11"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle:?} found in {place}"
            );
        }
    }
    assert!(scanned > 10_000, "the database and log were scanned ({scanned} bytes)");
    assert!(std::fs::read_to_string(&log).unwrap().contains("stored blob"), "the log was at debug level");
}
