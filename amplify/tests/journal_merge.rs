//! Two copies of a journal edited apart always merge into the same journal, losing nothing.

use amplify::{Energy, EntryId, Journal, Model, Moment, Query};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Edit {
    Add { hour: i64, prompt: bool },
    Append { pick: usize, word: String },
    Replace { pick: usize, text: String },
    Tag { pick: usize, tag: String },
    Untag { pick: usize },
    Energy { pick: usize, level: u8 },
    Delete { pick: usize },
    Restore { pick: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0i64..500, any::<bool>()).prop_map(|(hour, prompt)| Edit::Add { hour, prompt }),
        (any::<usize>(), "[a-zé ]{1,8}").prop_map(|(pick, word)| Edit::Append { pick, word }),
        (any::<usize>(), "[a-z \n]{0,12}").prop_map(|(pick, text)| Edit::Replace { pick, text }),
        (any::<usize>(), "[a-c]").prop_map(|(pick, tag)| Edit::Tag { pick, tag }),
        any::<usize>().prop_map(|pick| Edit::Untag { pick }),
        (any::<usize>(), 1u8..=5).prop_map(|(pick, level)| Edit::Energy { pick, level }),
        any::<usize>().prop_map(|pick| Edit::Delete { pick }),
        any::<usize>().prop_map(|pick| Edit::Restore { pick }),
    ]
}

fn apply(journal: &mut Journal, known: &mut Vec<EntryId>, edit: &Edit) {
    let pick = |i: usize| (!known.is_empty()).then(|| known[i % known.len()]);
    match edit {
        Edit::Add { hour, prompt } => {
            let prompt = prompt.then_some(amplify::CORE_PROMPTS[0]);
            known.push(journal.add_entry(Moment::new(hour * 3_600_000, 0), prompt));
        }
        Edit::Append { pick: i, word } => {
            if let Some(id) = pick(*i) {
                let body = journal.entry(&id).unwrap().body;
                journal.set_body(&id, &format!("{body}{word}"));
            }
        }
        Edit::Replace { pick: i, text } => {
            if let Some(id) = pick(*i) {
                journal.set_body(&id, text);
            }
        }
        Edit::Tag { pick: i, tag } => {
            if let Some(id) = pick(*i) {
                journal.add_tag(&id, tag);
            }
        }
        Edit::Untag { pick: i } => {
            if let Some(id) = pick(*i)
                && let Some(tag) = journal.entry(&id).unwrap().tags.first().cloned()
            {
                journal.remove_tag(&id, &tag);
            }
        }
        Edit::Energy { pick: i, level } => {
            if let Some(id) = pick(*i) {
                journal.set_energy(&id, Energy::new(*level));
            }
        }
        Edit::Delete { pick: i } => {
            if let Some(id) = pick(*i) {
                journal.delete(&id, 1);
            }
        }
        Edit::Restore { pick: i } => {
            if let Some(id) = pick(*i) {
                journal.restore(&id);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn concurrent_copies_converge_and_keep_every_entry(
        base in prop::collection::vec(edit(), 0..10),
        left in prop::collection::vec(edit(), 0..20),
        right in prop::collection::vec(edit(), 0..20),
    ) {
        let mut a = Journal::new();
        let mut known = Vec::new();
        for e in &base { apply(&mut a, &mut known, e); }
        let mut b = Journal::load(&a.doc_mut().save()).unwrap();
        let (mut known_a, mut known_b) = (known.clone(), known);
        for e in &left { apply(&mut a, &mut known_a, e); }
        for e in &right { apply(&mut b, &mut known_b, e); }

        let (bytes_a, bytes_b) = (a.doc_mut().save(), b.doc_mut().save());
        a.doc_mut().apply(&bytes_b).unwrap();
        b.doc_mut().apply(&bytes_a).unwrap();
        // Applying the same changes again is harmless.
        a.doc_mut().apply(&bytes_b).unwrap();

        prop_assert_eq!(a.entries(), b.entries());
        let mut every: Vec<EntryId> = known_a.into_iter().chain(known_b).collect();
        every.sort();
        every.dedup();
        for id in &every {
            // Deleted entries too: they must agree, and still be there to restore.
            prop_assert!(a.entry(id).is_some(), "entry {} was lost", id);
            prop_assert_eq!(a.entry(id), b.entry(id));
        }
    }
}

#[test]
fn concurrent_typing_in_one_entry_keeps_both_peoples_words() {
    let mut phone = Journal::new();
    let id = phone.add_entry(Moment::new(0, 0), None);
    phone.set_body(&id, "Today I");
    let mut laptop = Journal::load(&phone.doc_mut().save()).unwrap();
    phone.set_body(&id, "Today I listened first.");
    laptop.set_body(&id, "Morning. Today I");
    let from_laptop = laptop.doc_mut().save();
    phone.doc_mut().apply(&from_laptop).unwrap();
    assert_eq!(phone.entry(&id).unwrap().body, "Morning. Today I listened first.");
}

#[test]
fn two_devices_that_each_start_the_journal_offline_keep_both_entries() {
    // Neither device has seen the other: both create the document from nothing.
    let mut phone = Journal::new();
    let mut laptop = Journal::new();
    let on_phone = phone.add_entry(Moment::new(1, 0), None);
    let on_laptop = laptop.add_entry(Moment::new(2, 0), None);
    let from_laptop = laptop.doc_mut().save();
    phone.doc_mut().apply(&from_laptop).unwrap();
    assert!(phone.entry(&on_phone).is_some());
    assert!(phone.entry(&on_laptop).is_some());
    assert_eq!(phone.search(&Query::default()).len(), 2);
}

#[test]
fn a_deleted_entry_keeps_a_concurrent_edit_for_restore() {
    let mut phone = Journal::new();
    let id = phone.add_entry(Moment::new(0, 0), None);
    let mut laptop = Journal::load(&phone.doc_mut().save()).unwrap();
    phone.delete(&id, 5);
    laptop.set_body(&id, "written on the laptop");
    let from_laptop = laptop.doc_mut().save();
    phone.doc_mut().apply(&from_laptop).unwrap();
    assert!(phone.entries().is_empty());
    phone.restore(&id);
    assert_eq!(phone.entries()[0].body, "written on the laptop");
}

#[test]
fn garbage_is_refused_and_changes_nothing() {
    let mut journal = Journal::new();
    let id = journal.add_entry(Moment::new(0, 0), None);
    journal.set_body(&id, "safe");
    let before = journal.entries();
    for garbage in [&b"not automerge at all"[..], &[0x85, 0x6f, 0x4a, 0x83, 1, 2, 3][..]] {
        assert!(journal.doc_mut().apply(garbage).is_err());
        assert!(Journal::load(garbage).is_err());
    }
    assert_eq!(journal.entries(), before);
}

#[test]
fn a_snapshot_applied_keeps_local_changes_it_lacks() {
    let mut phone = Journal::new();
    let shared = phone.add_entry(Moment::new(0, 0), None);
    phone.set_body(&shared, "from the phone");
    let mut laptop = Journal::load(&phone.doc_mut().save()).unwrap();
    let local = laptop.add_entry(Moment::new(1, 0), None);
    laptop.set_body(&local, "only on the laptop");
    phone.set_body(&shared, "from the phone, edited later");

    let snapshot = phone.doc_mut().save();
    laptop.doc_mut().apply_snapshot(&snapshot).unwrap();
    assert_eq!(laptop.entry(&shared).unwrap().body, "from the phone, edited later");
    assert_eq!(laptop.entry(&local).unwrap().body, "only on the laptop");
    // The laptop keeps writing as itself, and its changes still save incrementally.
    let heads = laptop.doc_mut().heads();
    laptop.set_body(&local, "only on the laptop, still");
    assert!(!laptop.doc_mut().save_after(&heads).is_empty());
    assert!(laptop.doc_mut().apply_snapshot(b"garbage").is_err());
    assert_eq!(laptop.entries().len(), 2);
}
