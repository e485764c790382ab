//! The IndexedDB layer and the document handles on top of it, in a real browser.
//!
//! Each test uses its own database, so they can run in any order. "Reload" means closing the
//! connection and opening a new one, as a new page load would.

use amplify::{Date, DocId, Journal, Model, Moment, Profile, ProfileField, Query};
use app::{DocHandle, Health, JournalBook, Recovery, SaveState, Storage};
use idb::{Factory, TransactionMode};
use js_sys::{Object, Reflect, Uint8Array};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

fn db_name(test: &str) -> String {
    format!("amplify-test-{test}-{}", js_sys::Math::random())
}

async fn open(name: &str) -> Storage {
    Storage::open(name).await.expect("storage opens")
}

/// Writes `value` under `key` in `store`, bypassing the app: how damage gets in.
async fn poke(db: &str, store: &str, key: Option<JsValue>, value: JsValue) {
    let database = Factory::new().unwrap().open(db, None).unwrap().await.unwrap();
    let tx = database.transaction(&[store], TransactionMode::ReadWrite).unwrap();
    tx.object_store(store).unwrap().put(&value, key.as_ref()).unwrap().await.unwrap();
    tx.commit().unwrap().await.unwrap();
    database.close();
}

async fn loaded<M: Model + 'static>(id: &'static str, storage: &Storage) -> DocHandle<M> {
    let handle = DocHandle::<M>::new(id.parse().expect("a document id"));
    handle.load(storage.clone(), None).await;
    handle
}

fn bodies(handle: &DocHandle<Journal>) -> Vec<String> {
    handle.with(|j| j.entries().into_iter().map(|e| e.body).collect())
}

fn write(handle: &DocHandle<Journal>, hour: i64, body: &str) {
    handle.edit(|j| {
        let id = j.add_entry(Moment::new(hour * 3_600_000, 0), None);
        j.set_body(&id, body);
    });
}

#[wasm_bindgen_test]
async fn appended_changes_survive_a_reload() {
    let name = db_name("reload");
    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    assert_eq!(journal.health(), Health::Ready);
    for (hour, body) in [(1, "first"), (2, "second"), (3, "third")] {
        write(&journal, hour, body);
        journal.flush().await;
    }
    assert_eq!(journal.save_state(), SaveState::Saved);
    storage.close();

    let storage = open(&name).await;
    let stored = storage.load("journal/2026-10").await.unwrap();
    assert!(stored.snapshot.is_none(), "three saves do not compact yet");
    assert_eq!(stored.changes.len(), 3, "one record per save");
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    assert_eq!(bodies(&journal), ["third", "second", "first"]);
}

#[wasm_bindgen_test]
async fn an_edit_made_before_the_document_loaded_joins_what_was_stored() {
    let name = db_name("early-edit");
    let storage = open(&name).await;
    let profile = loaded::<Profile>("profile", &storage).await;
    profile.edit(|p| p.set(ProfileField::Name, "Maya"));
    profile.flush().await;
    storage.close();

    // A page edits the handle while the device is still reading it.
    let storage = open(&name).await;
    let profile = DocHandle::<Profile>::new(DocId::Profile);
    profile.edit(|p| p.set(ProfileField::Statement, "I lead by asking the second question."));
    profile.load(storage.clone(), None).await;
    assert_eq!(profile.with(|p| p.get(ProfileField::Name)), "Maya");
    assert_eq!(profile.with(|p| p.get(ProfileField::Statement)), "I lead by asking the second question.");
    profile.flush().await;
    storage.close();

    let storage = open(&name).await;
    let profile = loaded::<Profile>("profile", &storage).await;
    assert_eq!(profile.with(|p| p.get(ProfileField::Statement)), "I lead by asking the second question.");
    assert_eq!(profile.with(|p| p.get(ProfileField::Name)), "Maya");
}

#[wasm_bindgen_test]
async fn the_status_never_says_saved_while_an_edit_is_not_on_storage() {
    let name = db_name("edit-during-save");
    let storage = open(&name).await;
    let profile = loaded::<Profile>("profile", &storage).await;
    // The first edit after a quiet spell is saved at once…
    profile.edit(|p| p.set(ProfileField::Name, "Maya"));
    // …and while that save waits for IndexedDB, the person types on.
    wasm_bindgen_futures::JsFuture::from(js_sys::Promise::resolve(&JsValue::NULL)).await.unwrap();
    profile.edit(|p| p.set(ProfileField::Region, "Nordics"));
    // Whenever the status first says "saved", the region must be on storage already.
    let reader = open(&name).await;
    for _ in 0..500 {
        if profile.save_state() == SaveState::Saved {
            let stored = loaded::<Profile>("profile", &reader).await;
            assert_eq!(stored.with(|p| p.get(ProfileField::Region)), "Nordics", "said saved too early");
            return;
        }
        app::platform::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the edits were never saved");
}

#[wasm_bindgen_test]
async fn compaction_replaces_changes_with_one_snapshot() {
    let name = db_name("compact");
    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    for i in 0..70 {
        write(&journal, i, &format!("entry {i}"));
        journal.flush().await;
    }
    let stored = storage.load("journal/2026-10").await.unwrap();
    assert!(matches!(stored.snapshot, Some(Ok(_))), "64 changes trigger a snapshot");
    assert!(stored.changes.len() < 64, "compacted changes are gone: {}", stored.changes.len());
    storage.close();

    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    assert_eq!(journal.with(|j| j.entries().len()), 70);
}

#[wasm_bindgen_test]
async fn compaction_keeps_what_another_tab_appended() {
    let name = db_name("tabs");
    let (one, two) = (open(&name).await, open(&name).await);
    let first = loaded::<Journal>("journal/2026-10", &one).await;
    write(&first, 1, "from the first tab");
    first.flush().await;
    let second = loaded::<Journal>("journal/2026-10", &two).await;
    write(&second, 2, "from the second tab");
    second.flush().await;
    // The first tab never reloads; its compaction must fold the second tab's entry in.
    for i in 0..64 {
        write(&first, 10 + i, "filler");
        first.flush().await;
    }
    assert!(first.with(|j| j.entries().iter().any(|e| e.body == "from the second tab")));
    one.close();
    two.close();
    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    let all = bodies(&journal);
    assert!(all.contains(&"from the second tab".to_owned()), "{all:?}");
    assert!(all.contains(&"from the first tab".to_owned()));
}

#[wasm_bindgen_test]
async fn a_garbage_snapshot_is_set_aside_and_other_documents_still_open() {
    let name = db_name("garbage");
    let storage = open(&name).await;
    let profile = loaded::<Profile>("profile", &storage).await;
    profile.edit(|p| p.set(ProfileField::Name, "Maya"));
    profile.flush().await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    write(&journal, 1, "a change on top of the snapshot");
    journal.flush().await;
    storage.close();

    let garbage = Uint8Array::from(&b"this is not an automerge document"[..]);
    poke(&name, "docs", Some("journal/2026-10".into()), garbage.into()).await;

    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    let Health::Unreadable { reason, .. } = journal.health() else { panic!("{:?}", journal.health()) };
    assert!(reason.contains("damaged"), "{reason}");
    let aside = storage.set_aside().await.unwrap();
    assert_eq!(aside.len(), 2, "the snapshot and the change that built on it");
    assert!(aside.iter().all(|r| r.doc == "journal/2026-10"));
    let snapshot = aside.iter().find(|r| r.kind == "snapshot").unwrap();
    assert_eq!(Uint8Array::new(&snapshot.bytes).to_vec(), b"this is not an automerge document");
    let stored = storage.load("journal/2026-10").await.unwrap();
    assert!(stored.snapshot.is_none() && stored.changes.is_empty(), "moved, not copied");
    // A reload still says so, instead of quietly opening an empty journal.
    storage.close();
    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    assert!(matches!(journal.health(), Health::Unreadable { .. }), "{:?}", journal.health());
    assert!(storage.doc_ids().await.unwrap().contains(&"journal/2026-10".to_owned()));

    let profile = loaded::<Profile>("profile", &storage).await;
    assert_eq!(profile.health(), Health::Ready);
    assert_eq!(profile.with(|p| p.get(ProfileField::Name)), "Maya");

    // Starting again writes a new journal; the set-aside bytes stay.
    journal.start_fresh();
    write(&journal, 5, "a new beginning");
    journal.flush().await;
    storage.close();
    let storage = open(&name).await;
    assert_eq!(bodies(&loaded::<Journal>("journal/2026-10", &storage).await), ["a new beginning"]);
    assert_eq!(storage.set_aside().await.unwrap().len(), 2);
}

#[wasm_bindgen_test]
async fn a_garbage_change_record_is_set_aside_and_the_rest_loads() {
    let name = db_name("bad-change");
    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    write(&journal, 1, "kept");
    journal.flush().await;
    storage.close();

    for value in
        [JsValue::from_str("not even bytes"), Uint8Array::from(&[0x85, 0x6f, 0x4a, 0x83, 9, 9][..]).into()]
    {
        let record = Object::new();
        Reflect::set(&record, &"doc".into(), &"journal/2026-10".into()).unwrap();
        Reflect::set(&record, &"bytes".into(), &value).unwrap();
        poke(&name, "changes", None, record.into()).await;
    }

    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    assert!(matches!(journal.health(), Health::Damaged { .. }), "{:?}", journal.health());
    assert_eq!(bodies(&journal), ["kept"]);
    assert_eq!(storage.set_aside().await.unwrap().len(), 2);
    assert_eq!(storage.load("journal/2026-10").await.unwrap().changes.len(), 1);
}

/// Loads `id` as the app does at startup: told whether an earlier start lost a record of it.
async fn started<M: Model + 'static>(id: &'static str, storage: &Storage) -> DocHandle<M> {
    let lost =
        storage.to_recover().await.unwrap().into_iter().find(|(doc, _)| doc == id).map(|(_, lost)| lost);
    let handle = DocHandle::<M>::new(id.parse().expect("a document id"));
    handle.load(storage.clone(), lost).await;
    handle
}

#[wasm_bindgen_test]
async fn a_document_that_lost_a_record_stays_incomplete_over_restarts_until_the_relay_sent_everything() {
    let name = db_name("lost-record");
    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    for (hour, body) in [(1, "one"), (2, "two"), (3, "three")] {
        write(&journal, hour, body);
        journal.flush().await;
    }
    let keys: Vec<_> =
        storage.load("journal/2026-10").await.unwrap().changes.into_iter().map(|(k, _)| k).collect();
    storage.close();
    // The record that added "two" is damaged; the one after it builds on it.
    let damaged: JsValue = Uint8Array::from(&[0x85, 0x6f, 0x4a, 0x83, 9, 9][..]).into();
    let record = Object::new();
    Reflect::set(&record, &"doc".into(), &"journal/2026-10".into()).unwrap();
    Reflect::set(&record, &"bytes".into(), &damaged).unwrap();
    poke(&name, "changes", Some(keys[1].to_js()), record.into()).await;

    for start in 1..=3 {
        let storage = open(&name).await;
        let journal = started::<Journal>("journal/2026-10", &storage).await;
        assert!(
            matches!(journal.health(), Health::Damaged { recovery: Recovery::Waiting, .. }),
            "start {start}: {:?}",
            journal.health()
        );
        let bodies = bodies(&journal);
        assert!(bodies.contains(&"one".to_owned()), "start {start}: {bodies:?}");
        assert!(
            !bodies.contains(&"two".to_owned()) && !bodies.contains(&"three".to_owned()),
            "start {start}: the third waits for the second: {bodies:?}"
        );
        // Writing meanwhile, even enough to compact, drops nothing: the waiting record stays.
        let saves = if start == 3 { 70 } else { 1 };
        for i in 0..saves {
            write(&journal, 10 + start * 100 + i, "offline");
            journal.flush().await;
        }
        storage.close();
    }
    assert_eq!(storage_waiting(&name).await, 1, "the waiting record is still stored");

    let storage = open(&name).await;
    let journal = started::<Journal>("journal/2026-10", &storage).await;
    journal.relay_sent_everything().await;
    assert!(matches!(journal.health(), Health::Damaged { recovery: Recovery::NotOnRelay, .. }));
    storage.close();
}

/// How many stored change records of "journal/2026-10" still wait for a change that is missing.
async fn storage_waiting(name: &str) -> usize {
    let storage = open(name).await;
    let stored = storage.load("journal/2026-10").await.unwrap();
    let mut journal = match stored.snapshot {
        Some(Ok(bytes)) => Journal::load(&bytes).unwrap(),
        _ => Journal::new(),
    };
    let mut waiting = 0;
    for (_, change) in stored.changes {
        let Ok(bytes) = change else { continue };
        let before = journal.doc_mut().missing_deps().len();
        journal.doc_mut().apply(&bytes).unwrap();
        if journal.doc_mut().missing_deps().len() > before {
            waiting += 1;
        }
    }
    storage.close();
    waiting
}

#[wasm_bindgen_test]
async fn a_document_whose_lost_record_came_back_is_whole_and_unmarked() {
    let name = db_name("lost-and-found");
    let storage = open(&name).await;
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    write(&journal, 1, "one");
    journal.flush().await;
    let keys: Vec<_> =
        storage.load("journal/2026-10").await.unwrap().changes.into_iter().map(|(k, _)| k).collect();
    let lost_bytes = match &storage.load("journal/2026-10").await.unwrap().changes[0].1 {
        Ok(bytes) => bytes.clone(),
        Err(_) => panic!("the record is bytes"),
    };
    storage.close();
    let record = Object::new();
    Reflect::set(&record, &"doc".into(), &"journal/2026-10".into()).unwrap();
    Reflect::set(&record, &"bytes".into(), &JsValue::from_str("garbage")).unwrap();
    poke(&name, "changes", Some(keys[0].to_js()), record.into()).await;

    let storage = open(&name).await;
    let journal = started::<Journal>("journal/2026-10", &storage).await;
    assert!(matches!(journal.health(), Health::Damaged { .. }), "{:?}", journal.health());
    storage.close();
    // The second start reads cleanly (the bad record is aside), yet the document is not whole.
    let storage = open(&name).await;
    let journal = started::<Journal>("journal/2026-10", &storage).await;
    assert!(matches!(journal.health(), Health::Damaged { .. }), "{:?}", journal.health());
    // The relay sends the lost change back, then says it has sent everything.
    journal.apply_remote(&lost_bytes, amplify::PayloadKind::Changes).await.unwrap();
    journal.relay_sent_everything().await;
    assert_eq!(journal.health(), Health::Ready);
    assert_eq!(bodies(&journal), ["one"]);
    storage.close();
    let storage = open(&name).await;
    assert!(storage.to_recover().await.unwrap().is_empty());
    let journal = started::<Journal>("journal/2026-10", &storage).await;
    assert_eq!(journal.health(), Health::Ready);
}

#[wasm_bindgen_test]
async fn a_record_of_the_wrong_kind_is_refused() {
    let name = db_name("kind");
    let storage = open(&name).await;
    let mut profile = Profile::new();
    storage.replace("journal/2026-10", &profile.doc_mut().save()).await.unwrap();
    let journal = loaded::<Journal>("journal/2026-10", &storage).await;
    assert!(matches!(journal.health(), Health::Unreadable { .. }), "{:?}", journal.health());
}

fn noon(year: i32, month: u8, day: u8) -> Moment {
    Moment::new(Date { year, month, day }.days() * 86_400_000 + 12 * 3_600_000, 0)
}

fn write_in(book: &JournalBook, at: Moment, body: &str) {
    let id = book.add_entry(at, None).expect("the book is writable");
    book.find(&id).expect("the new entry is in a volume").edit(|j| j.set_body(&id, body));
}

#[wasm_bindgen_test]
async fn the_journal_is_one_document_per_month_and_a_damaged_month_spares_the_rest() {
    let name = db_name("book");
    let storage = open(&name).await;
    let book = JournalBook::new(Default::default());
    book.load(storage.clone(), &mut Default::default()).await;
    write_in(&book, noon(2026, 10, 30), "October, in the forest");
    write_in(&book, noon(2026, 11, 2), "November, back home");
    write_in(&book, noon(2026, 11, 20), "November, the pitch");
    book.flush().await;
    assert_eq!(storage.doc_ids().await.unwrap(), ["journal/2026-10", "journal/2026-11"]);
    storage.close();

    let storage = open(&name).await;
    let book = JournalBook::new(Default::default());
    book.load(storage.clone(), &mut Default::default()).await;
    let months: Vec<String> = book.volumes().iter().map(|v| v.month.to_string()).collect();
    assert_eq!(months, ["2026-11", "2026-10"], "newest first");
    let days: Vec<String> = book.days(&Query::default(), None).iter().map(|d| d.date.to_string()).collect();
    assert_eq!(days, ["2026-11-20", "2026-11-02", "2026-10-30"]);
    storage.close();

    let garbage = Uint8Array::from(&b"not a journal"[..]);
    poke(&name, "docs", Some("journal/2026-10".into()), garbage.into()).await;
    let storage = open(&name).await;
    let book = JournalBook::new(Default::default());
    book.load(storage.clone(), &mut Default::default()).await;
    let health: Vec<bool> =
        book.volumes().iter().map(|v| matches!(v.handle.health(), Health::Unreadable { .. })).collect();
    assert_eq!(health, [false, true], "only October is unreadable");
    let bodies: Vec<String> =
        book.days(&Query::default(), None).into_iter().flat_map(|d| d.entries).map(|e| e.body).collect();
    assert_eq!(bodies, ["November, the pitch", "November, back home"]);
}

#[wasm_bindgen_test]
async fn an_entry_started_while_the_months_are_being_listed_is_kept_with_what_was_stored() {
    let name = db_name("book-meanwhile");
    let storage = open(&name).await;
    let book = JournalBook::new(Default::default());
    book.load(storage.clone(), &mut Default::default()).await;
    write_in(&book, noon(2026, 11, 2), "November, stored before");
    book.flush().await;
    storage.close();

    // A new page: the entry is started after storage opened and before the months are listed.
    let storage = open(&name).await;
    let book = JournalBook::new(Default::default());
    let mut lost = Default::default();
    let load = book.load(storage.clone(), &mut lost);
    let mut load = std::pin::pin!(load);
    std::future::poll_fn(|cx| {
        assert!(load.as_mut().poll(cx).is_pending(), "the months are still being listed");
        std::task::Poll::Ready(())
    })
    .await;
    let id = book.add_entry(noon(2026, 11, 20), None).expect("the book is writable");
    let editing = book.find(&id).expect("the new entry is in a volume");
    load.await;
    // The page keeps writing through the handle it was given: the book shows those words.
    editing.edit(|j| j.set_body(&id, "November, started while opening"));

    let bodies: Vec<String> =
        book.days(&Query::default(), None).into_iter().flat_map(|d| d.entries).map(|e| e.body).collect();
    assert_eq!(bodies, ["November, started while opening", "November, stored before"]);
    assert_eq!(book.volumes().len(), 1, "one volume for the month");
    book.flush().await;
    storage.close();

    let storage = open(&name).await;
    let book = JournalBook::new(Default::default());
    book.load(storage.clone(), &mut Default::default()).await;
    let bodies: Vec<String> =
        book.days(&Query::default(), None).into_iter().flat_map(|d| d.entries).map(|e| e.body).collect();
    assert_eq!(bodies, ["November, started while opening", "November, stored before"]);
}

use std::{cell::RefCell, rc::Rc};

use amplify::PayloadKind;
use app::documents::{SharedHook, SyncHook};
use app::storage::Outgoing;

/// A hook that records what a handle would send to the relay.
fn recording_hook() -> (SharedHook, Rc<RefCell<Vec<Vec<u8>>>>) {
    let sent = Rc::new(RefCell::new(Vec::new()));
    let record = sent.clone();
    let hook = SyncHook {
        seal: Rc::new(move |_doc: DocId, bytes: &[u8]| {
            record.borrow_mut().push(bytes.to_vec());
            Some(Outgoing { space: "test".to_owned(), bytes: bytes.to_vec(), covers: 0 })
        }),
        notify: Rc::new(|| {}),
    };
    (Rc::new(RefCell::new(Some(hook))), sent)
}

#[wasm_bindgen_test]
async fn a_snapshot_from_the_relay_is_kept_across_a_reload() {
    let mut phone = Journal::new();
    for i in 0..5 {
        let id = phone.add_entry(Moment::new(i, 0), None);
        phone.set_body(&id, &format!("entry {i}"));
    }
    let name = db_name("snapshot");
    let storage = open(&name).await;
    let laptop = loaded::<Journal>("journal/2026-11", &storage).await;
    write(&laptop, 9, "written on the laptop");
    laptop.flush().await;
    laptop.apply_remote(&phone.doc_mut().save(), PayloadKind::Snapshot).await.unwrap();
    assert_eq!(laptop.with(|j| j.entries().len()), 6);
    storage.close();

    let storage = open(&name).await;
    assert!(
        matches!(storage.load("journal/2026-11").await.unwrap().snapshot, Some(Ok(_))),
        "kept as a snapshot"
    );
    assert_eq!(loaded::<Journal>("journal/2026-11", &storage).await.with(|j| j.entries().len()), 6);
}

#[wasm_bindgen_test]
async fn changes_from_the_relay_never_go_back_into_the_outbox() {
    let mut phone = Journal::new();
    let theirs = phone.add_entry(Moment::new(1, 0), None);
    phone.set_body(&theirs, "from the phone");
    let remote = phone.doc_mut().save();

    let storage = open(&db_name("outbox")).await;
    let (hook, sent) = recording_hook();
    let laptop = DocHandle::<Journal>::new("journal/2026-11".parse().unwrap()).attach(&hook);
    laptop.load(storage.clone(), None).await;
    // A local edit still waiting for its debounced save when the remote changes arrive.
    write(&laptop, 2, "typed on the laptop");
    laptop.apply_remote(&remote, PayloadKind::Changes).await.unwrap();
    write(&laptop, 3, "typed after the remote changes");
    laptop.flush().await;

    let mut relay_view = Journal::new();
    for bytes in sent.borrow().iter() {
        relay_view.doc_mut().apply(bytes).unwrap();
    }
    let bodies: Vec<String> = relay_view.entries().into_iter().map(|e| e.body).collect();
    assert!(bodies.contains(&"typed on the laptop".to_owned()), "{bodies:?}");
    assert!(!bodies.contains(&"from the phone".to_owned()), "remote changes were sent back: {bodies:?}");
    assert_eq!(storage.outbox().await.unwrap().len(), sent.borrow().len());
    assert_eq!(laptop.with(|j| j.entries().len()), 3);
}

#[wasm_bindgen_test]
async fn a_months_kept_list_is_used_only_for_the_very_bytes_it_was_made_from() {
    use app::documents::journal_view;
    let name = db_name("view");
    let storage = open(&name).await;
    let id = "journal/2026-11";
    let handle = loaded::<Journal>(id, &storage).await;
    let first = handle.edit(|j| j.add_entry(noon(2026, 11, 2), None));
    handle.edit(|j| j.set_body(&first, "November, back home"));
    handle.flush().await;
    journal_view::keep(&storage, id, handle).await;
    let kept = journal_view::cached(&storage, id).await.expect("a list for the bytes stored now");
    assert_eq!(kept, handle.with(Journal::entries));

    // A later save changes the bytes: the old list is never shown for them.
    handle.edit(|j| j.set_body(&first, "November, back home, and the pitch went well"));
    handle.flush().await;
    assert_eq!(journal_view::cached(&storage, id).await, None);
    // A list is not made while an edit waits to be saved.
    handle.edit(|j| j.set_body(&first, "unsaved"));
    journal_view::keep(&storage, id, handle).await;
    assert_eq!(journal_view::cached(&storage, id).await, None);
    handle.flush().await;
    journal_view::keep(&storage, id, handle).await;
    let kept = journal_view::cached(&storage, id).await.expect("a list again once saved");
    assert_eq!(kept[0].body, "unsaved");
}

#[wasm_bindgen_test]
async fn changes_from_the_relay_that_reach_no_storage_are_not_taken_as_kept() {
    let mut phone = Journal::new();
    let theirs = phone.add_entry(Moment::new(1, 0), None);
    phone.set_body(&theirs, "from the phone");
    let remote = phone.doc_mut().save();

    // A handle still waiting for its load has no storage: the changes show, but the caller is
    // told they are not kept, so its cursor stays and the relay sends them again.
    let waiting = DocHandle::<Journal>::new("journal/2026-11".parse().unwrap());
    let outcome = waiting.apply_remote(&remote, PayloadKind::Changes).await;
    assert!(matches!(outcome, Err(app::documents::RemoteError::Storage(_))), "{outcome:?}");
    assert_eq!(bodies(&waiting), ["from the phone"]);

    // Its load then keeps them.
    let name = db_name("waiting");
    let storage = open(&name).await;
    waiting.load(storage.clone(), None).await;
    waiting.flush().await;
    storage.close();
    let storage = open(&name).await;
    assert_eq!(bodies(&loaded::<Journal>("journal/2026-11", &storage).await), ["from the phone"]);
}
