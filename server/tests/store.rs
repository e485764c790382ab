//! The store's own rules, the same tests on each store: SQLite, and PostgreSQL when the suite
//! runs with `AMPLIFY_TEST_STORE=postgres` (`./x test` runs it both ways). Numbering,
//! deduplication, snapshots, quotas, admission and registrations, one blob at a time and in
//! batches (the relay's group commit hands a store up to 512 blobs at once).

mod support;

use amplify::{DeviceId, DocRef, RegistrationKey, SpaceId};
use server::{
    Admission, PgStore, Quotas, SqliteStore, Store, StoreConfig, StoreError,
    store::{Append, Appended, DocInfo, Item, OPEN_REGISTRATION, Scope, Snapshot, Totals},
};
use support::{database_for, on_postgres};

const SPACE: SpaceId = SpaceId([1; 32]);
const DOC: DocRef = DocRef([2; 16]);
const DEVICE: DeviceId = DeviceId([3; 32]);

fn open(dir: &tempfile::TempDir, admission: Admission, quotas: Quotas) -> Box<dyn Store> {
    let config = StoreConfig { admission, quotas };
    if on_postgres() {
        Box::new(PgStore::open(&database_for(dir.path()), config).unwrap())
    } else {
        Box::new(SqliteStore::open(&dir.path().join("relay.sqlite3"), config).unwrap())
    }
}

fn store() -> (tempfile::TempDir, Box<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Admission::Open, Quotas::default());
    (dir, store)
}

fn item(space: SpaceId, doc: u8, hash: u8, blob: &[u8]) -> Append {
    Append {
        space,
        doc: DocRef([doc; 16]),
        author: DEVICE,
        hash: [hash; 32],
        blob: blob.to_vec(),
        max_docs: 10,
    }
}

fn append(store: &dyn Store, doc: DocRef, hash: u8, blob: &[u8]) -> Appended {
    let item =
        Append { space: SPACE, doc, author: DEVICE, hash: [hash; 32], blob: blob.to_vec(), max_docs: 10 };
    store.append_many(std::slice::from_ref(&item)).pop().unwrap()
}

fn snapshot(store: &dyn Store, covers: u64, blob: &[u8]) -> Result<(), StoreError> {
    store.snapshot(&Snapshot { space: SPACE, doc: DOC, author: DEVICE, covers, blob: blob.to_vec() })
}

fn read_all(store: &dyn Store, after: u64) -> Vec<Item> {
    store.read(SPACE, DOC, after, 100, usize::MAX).unwrap()
}

/// Each answer of a batch: `Some((seq, new))`, or `None` for a refusal.
fn answers(results: &[Appended]) -> Vec<Option<(u64, bool)>> {
    results.iter().map(|r| r.as_ref().ok().copied()).collect()
}

#[test]
fn appends_number_from_one_and_a_repeat_keeps_its_number() {
    let (_dir, store) = store();
    let store = store.as_ref();
    assert_eq!(append(store, DOC, 1, b"a").unwrap(), (1, true));
    assert_eq!(append(store, DOC, 2, b"b").unwrap(), (2, true));
    assert_eq!(append(store, DOC, 1, b"a").unwrap(), (1, false));
    assert_eq!(read_all(store, 1), [Item::Blob { doc: DOC, seq: 2, blob: b"b".to_vec() }]);
}

#[test]
fn a_snapshot_drops_what_it_covers_and_catch_up_starts_from_it() {
    let (_dir, store) = store();
    let store = store.as_ref();
    for i in 1..=5u8 {
        append(store, DOC, i, &[i]).unwrap();
    }
    snapshot(store, 3, b"snap").unwrap();
    let all = read_all(store, 0);
    assert_eq!(all[0], Item::Snapshot { doc: DOC, covers: 3, blob: b"snap".to_vec() });
    assert_eq!(all.len(), 3);
    assert!(all[1..].iter().all(|i| matches!(i, Item::Blob { seq: 4 | 5, .. })));
    // A client already past the snapshot gets only the blobs after its cursor.
    assert_eq!(read_all(store, 4).len(), 1);
    // An older snapshot is ignored; one beyond the log is refused.
    snapshot(store, 2, b"old").unwrap();
    assert!(matches!(read_all(store, 0)[0], Item::Snapshot { covers: 3, .. }));
    assert!(matches!(snapshot(store, 9, b"x"), Err(StoreError::SnapshotBeyondLog { .. })));
    let totals = store.totals().unwrap();
    assert_eq!((totals.blobs, totals.bytes), (2, 4 + 2));
}

#[test]
fn snapshots_in_one_batch_each_get_their_answer_and_a_refused_one_changes_nothing() {
    let (_dir, store) = store();
    let store = store.as_ref();
    let other = DocRef([7; 16]);
    for i in 1..=3u8 {
        append(store, DOC, i, &[i]).unwrap();
        append(store, other, 10 + i, &[i, i]).unwrap();
    }
    let snap = |doc: DocRef, covers: u64, blob: &[u8]| Snapshot {
        space: SPACE,
        doc,
        author: DEVICE,
        covers,
        blob: blob.to_vec(),
    };
    let results =
        store.snapshot_many(&[snap(DOC, 2, b"first"), snap(other, 9, b"beyond"), snap(other, 3, b"second")]);
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(matches!(results[1], Err(StoreError::SnapshotBeyondLog { covers: 9, last: 3 })));
    assert_eq!(read_all(store, 0)[0], Item::Snapshot { doc: DOC, covers: 2, blob: b"first".to_vec() });
    let others = store.read(SPACE, other, 0, 100, usize::MAX).unwrap();
    assert_eq!(others, [Item::Snapshot { doc: other, covers: 3, blob: b"second".to_vec() }]);
    // Left: DOC's third blob; the snapshots replaced the rest.
    let totals = store.totals().unwrap();
    assert_eq!((totals.blobs, totals.bytes), (1, 1 + 5 + 6));
}

#[test]
fn a_blob_a_snapshot_covered_is_never_stored_again() {
    let (_dir, store) = store();
    let store = store.as_ref();
    append(store, DOC, 1, b"the withdrawn text").unwrap();
    append(store, DOC, 2, b"withdrawn").unwrap();
    snapshot(store, 2, b"withdrawn").unwrap();
    // An old device sends the first blob again, alone and in a batch.
    assert_eq!(append(store, DOC, 1, b"the withdrawn text").unwrap(), (1, false));
    let again = store.append_many(&[item(SPACE, 2, 3, b"new"), item(SPACE, 2, 1, b"the withdrawn text")]);
    assert_eq!(answers(&again), [Some((3, true)), Some((1, false))]);
    assert_eq!(read_all(store, 2), [Item::Blob { doc: DOC, seq: 3, blob: b"new".to_vec() }]);
    assert_eq!(store.totals().unwrap().bytes, 9 + 3);
}

#[test]
fn a_batch_numbers_in_order_and_answers_each_item() {
    let (_dir, store) = store();
    let at = |doc: u8, hash: u8| Append { max_docs: 2, ..item(SPACE, doc, hash, &[hash]) };
    let results = store.append_many(&[at(1, 1), at(1, 2), at(2, 3), at(1, 1), at(3, 4), at(2, 5)]);
    assert_eq!(
        answers(&results),
        [Some((1, true)), Some((2, true)), Some((1, true)), Some((1, false)), None, Some((2, true))]
    );
    assert!(matches!(results[4], Err(StoreError::TooManyDocuments(2))), "the refused item writes nothing");
    assert_eq!(store.totals().unwrap(), Totals { spaces: 1, documents: 2, blobs: 4, bytes: 4 });
    // The next batch goes on from where this one ended.
    assert_eq!(answers(&store.append_many(&[at(2, 6), at(1, 7)])), [Some((3, true)), Some((3, true))]);
    let docs = store.documents(SPACE).unwrap();
    assert_eq!(docs.iter().map(|d| d.last).sum::<u64>(), 6);
}

#[test]
fn a_batch_counts_what_its_earlier_items_took_against_every_quota() {
    let dir = tempfile::tempdir().unwrap();
    let quotas = Quotas { space: 100, device: 1000, relay: 10_000, open_registration: 10_000 };
    let store = open(&dir, Admission::Open, quotas);
    let other = SpaceId([7; 32]);
    let results = store.append_many(&[
        item(SPACE, 1, 1, &[0; 40]),
        item(SPACE, 1, 2, &[0; 40]),
        item(SPACE, 1, 3, &[0; 40]),
        item(other, 1, 4, &[0; 40]),
        item(SPACE, 1, 5, &[0; 20]),
    ]);
    assert_eq!(answers(&results), [Some((1, true)), Some((2, true)), None, Some((1, true)), Some((3, true))]);
    assert!(matches!(results[2], Err(StoreError::Full(Scope::Space))));
    assert_eq!(store.totals().unwrap(), Totals { spaces: 2, documents: 2, blobs: 4, bytes: 140 });

    let dir = tempfile::tempdir().unwrap();
    let quotas = Quotas { space: 1000, device: 100, relay: 10_000, open_registration: 10_000 };
    let store = open(&dir, Admission::Open, quotas);
    let results = store.append_many(&[item(SPACE, 1, 1, &[0; 60]), item(other, 1, 2, &[0; 60])]);
    assert_eq!(answers(&results), [Some((1, true)), None], "one device across two spaces");
    assert!(matches!(results[1], Err(StoreError::Full(Scope::Device))));
}

#[test]
fn a_space_holds_a_bounded_number_of_documents() {
    let (_dir, store) = store();
    let at = |space: SpaceId, doc: u8, hash: u8| Append { max_docs: 2, ..item(space, doc, hash, &[hash]) };
    let one = |a: Append| store.append_many(&[a]).pop().unwrap();
    one(at(SPACE, 1, 1)).unwrap();
    one(at(SPACE, 2, 2)).unwrap();
    assert!(matches!(one(at(SPACE, 3, 3)), Err(StoreError::TooManyDocuments(2))));
    // Existing documents still take writes, and other spaces are unaffected.
    assert!(one(at(SPACE, 1, 4)).is_ok());
    assert!(one(at(SpaceId([9; 32]), 3, 3)).is_ok());
}

#[test]
fn every_quota_refuses_the_blob_that_would_pass_it_and_snapshots_make_room() {
    let dir = tempfile::tempdir().unwrap();
    let quotas = Quotas { space: 100, device: 1000, relay: 10_000, open_registration: 10_000 };
    let store = open(&dir, Admission::Open, quotas);
    append(store.as_ref(), DOC, 1, &[0; 60]).unwrap();
    assert!(matches!(append(store.as_ref(), DOC, 2, &[0; 60]), Err(StoreError::Full(Scope::Space))));
    // A snapshot smaller than what it covers makes room.
    snapshot(store.as_ref(), 1, &[0; 10]).unwrap();
    assert_eq!(append(store.as_ref(), DOC, 2, &[0; 60]).unwrap(), (2, true));

    for (quotas, scope) in [
        (Quotas { space: 1000, device: 50, relay: 10_000, open_registration: 10_000 }, Scope::Device),
        (Quotas { space: 1000, device: 1000, relay: 50, open_registration: 10_000 }, Scope::Relay),
        (Quotas { space: 1000, device: 1000, relay: 10_000, open_registration: 50 }, Scope::Registration),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir, Admission::Open, quotas);
        let refused = append(store.as_ref(), DOC, 1, &[0; 60]);
        assert!(matches!(refused, Err(StoreError::Full(s)) if s == scope), "{scope:?}: {refused:?}");
        let totals = store.totals().unwrap();
        assert_eq!(
            (totals.documents, totals.blobs, totals.bytes),
            (0, 0, 0),
            "a refused blob leaves no trace"
        );
    }
}

#[test]
fn only_registered_spaces_store_and_a_revoked_registration_stops_them() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Admission::Registered, Quotas::default());
    let store = store.as_ref();
    assert_eq!(store.unregistered(&[SPACE]).unwrap(), [SPACE]);
    assert!(matches!(append(store, DOC, 1, b"a"), Err(StoreError::NotRegistered)));

    let key = RegistrationKey::generate();
    assert!(matches!(store.register(SPACE, key.id()), Err(StoreError::UnknownRegistration)));
    store.issue_registration(key.id(), "Cohort 2027", 1000).unwrap();
    store.register(SPACE, key.id()).unwrap();
    assert!(store.unregistered(&[SPACE]).unwrap().is_empty());
    // In one batch: the registered space stores, an unregistered one is refused.
    let results = store.append_many(&[item(SPACE, 2, 1, b"a"), item(SpaceId([5; 32]), 2, 2, b"b")]);
    assert_eq!(answers(&results), [Some((1, true)), None]);
    assert!(matches!(results[1], Err(StoreError::NotRegistered)));
    let listed = store.registrations().unwrap();
    let mine = listed.iter().find(|r| r.id == key.id()).unwrap();
    assert_eq!((mine.spaces, mine.bytes, mine.quota), (1, 1, 1000));

    assert!(store.revoke_registration(key.id()).unwrap());
    assert_eq!(store.unregistered(&[SPACE]).unwrap(), [SPACE]);
    assert!(matches!(append(store, DOC, 2, b"b"), Err(StoreError::NotRegistered)));
    assert!(matches!(store.register(SpaceId([8; 32]), key.id()), Err(StoreError::UnknownRegistration)));
}

#[test]
fn an_erased_space_stores_nothing_again() {
    let (_dir, store) = store();
    append(store.as_ref(), DOC, 1, b"gone").unwrap();
    store.erase(SPACE).unwrap();
    let results = store.append_many(&[item(SPACE, 2, 2, b"back?"), item(SpaceId([6; 32]), 2, 3, b"other")]);
    assert_eq!(answers(&results), [None, Some((1, true))]);
    assert!(matches!(results[0], Err(StoreError::NotRegistered)));
    assert!(read_all(store.as_ref(), 0).is_empty());
}

#[test]
fn a_space_admitted_openly_moves_to_its_registration_with_its_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let store = open(&dir, Admission::Open, Quotas::default());
    append(store.as_ref(), DOC, 1, b"abc").unwrap();
    let key = RegistrationKey::generate();
    store.issue_registration(key.id(), "Cohort", 1000).unwrap();
    store.register(SPACE, key.id()).unwrap();
    let listed = store.registrations().unwrap();
    let bytes = |id| listed.iter().find(|r| r.id == id).map(|r| (r.spaces, r.bytes));
    assert_eq!(bytes(key.id()), Some((1, 3)));
    assert_eq!(bytes(OPEN_REGISTRATION), Some((0, 0)));
}

#[test]
fn everything_survives_reopening_and_migrating_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    drop(open(&dir, Admission::Open, Quotas::default()));
    let store = open(&dir, Admission::Open, Quotas::default());
    append(store.as_ref(), DOC, 1, b"kept").unwrap();
    drop(store);
    let reopened = open(&dir, Admission::Open, Quotas::default());
    assert_eq!(reopened.documents(SPACE).unwrap(), [DocInfo { doc: DOC, covers: 0, last: 1 }]);
    assert_eq!(read_all(reopened.as_ref(), 0).len(), 1);
    assert_eq!(reopened.totals().unwrap().bytes, 4);
}

#[test]
fn catch_up_pages_are_bounded_in_bytes_but_always_make_progress() {
    let (_dir, store) = store();
    for i in 1..=5u8 {
        append(store.as_ref(), DOC, i, &[i; 100]).unwrap();
    }
    let page = store.read(SPACE, DOC, 0, 100, 250).unwrap();
    assert_eq!(page.len(), 3, "stops once 250 bytes are reached");
    let tiny = store.read(SPACE, DOC, 0, 100, 1).unwrap();
    assert_eq!(tiny.len(), 1, "a blob bigger than the page still comes");
}
