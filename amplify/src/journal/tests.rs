use super::*;
use crate::Model;

const DAY: i64 = 86_400_000;

fn at(day: i64, hour: i64) -> Moment {
    Moment::new(20_000 * DAY + day * DAY + hour * 3_600_000, 0)
}

#[test]
fn entries_are_listed_newest_first_and_grouped_by_day() {
    let mut journal = Journal::new();
    let a = journal.add_entry(at(0, 9), None);
    let b = journal.add_entry(at(0, 18), Some(CORE));
    let c = journal.add_entry(at(2, 7), None);
    let days = journal.days(&Query::default());
    assert_eq!(days.len(), 2);
    assert_eq!(days[0].entries.iter().map(|e| &e.id).collect::<Vec<_>>(), [&c]);
    assert_eq!(days[1].entries.iter().map(|e| &e.id).collect::<Vec<_>>(), [&b, &a]);
    assert_eq!(days[1].entries[0].prompt.as_deref(), Some(CORE));
}

const CORE: &str = crate::prompts::CORE_PROMPTS[0];

#[test]
fn edits_are_read_back() {
    let mut journal = Journal::new();
    let id = journal.add_entry(at(0, 9), None);
    assert!(journal.set_body(&id, "Spoke up in the forest.\nIt felt odd."));
    journal.set_energy(&id, Energy::new(4));
    assert_eq!(journal.add_tag(&id, " #Comfort Zone ").as_deref(), Some("comfort-zone"));
    journal.add_tag(&id, "feedback");
    let entry = journal.entry(&id).unwrap();
    assert_eq!(entry.body, "Spoke up in the forest.\nIt felt odd.");
    assert_eq!(entry.title(), "Spoke up in the forest.");
    assert_eq!(entry.energy.map(Energy::label), Some("Good"));
    assert_eq!(entry.tags, ["comfort-zone", "feedback"]);
    journal.remove_tag(&id, "feedback");
    journal.set_energy(&id, None);
    let entry = journal.entry(&id).unwrap();
    assert_eq!(entry.tags, ["comfort-zone"]);
    assert_eq!(entry.energy, None);
}

#[test]
fn delete_hides_and_restore_brings_back() {
    let mut journal = Journal::new();
    let id = journal.add_entry(at(0, 9), None);
    journal.set_body(&id, "keep me");
    assert!(journal.is_live(&id));
    assert!(journal.delete(&id, 1));
    assert!(journal.entries().is_empty());
    assert!(journal.entry(&id).unwrap().deleted.is_some());
    assert!(journal.has_entry(&id) && !journal.is_live(&id));
    assert!(journal.restore(&id));
    assert!(journal.is_live(&id));
    assert_eq!(journal.entries()[0].body, "keep me");
}

#[test]
fn unknown_ids_change_nothing() {
    let mut journal = Journal::new();
    let ghost = EntryId::random();
    assert!(!journal.set_body(&ghost, "x"));
    assert!(!journal.delete(&ghost, 1));
    assert_eq!(journal.add_tag(&ghost, "x"), None);
    assert!(journal.entries().is_empty());
    assert!(!journal.has_entry(&ghost) && !journal.is_live(&ghost));
}

#[test]
fn search_matches_words_anywhere_and_all_tags() {
    let mut journal = Journal::new();
    let a = journal.add_entry(at(0, 9), Some("What do I stand for?"));
    journal.set_body(&a, "Honesty, even when it costs me.");
    journal.add_tag(&a, "values");
    let b = journal.add_entry(at(1, 9), None);
    journal.set_body(&b, "Gave honest feedback to Sam.");
    journal.add_tag(&b, "feedback");
    journal.add_tag(&b, "values");
    let ids = |q: &str| journal.search(&Query::parse(q)).into_iter().map(|e| e.id).collect::<Vec<_>>();
    assert_eq!(ids("HONEST"), [b, a]);
    assert_eq!(ids("stand"), [a]);
    assert_eq!(ids("#values"), [b, a]);
    assert_eq!(ids("#values #feedback"), [b]);
    assert_eq!(ids("honest #feedback"), [b]);
    assert_eq!(ids("sam costs"), Vec::<EntryId>::new());
    assert_eq!(journal.tags(), [("values".to_owned(), 2), ("feedback".to_owned(), 1)]);
}

#[test]
fn a_saved_journal_loads_with_everything() {
    let mut journal = Journal::new();
    let id = journal.add_entry(at(0, 9), Some(CORE));
    journal.set_body(&id, "مرحبا — RTL text survives too");
    let bytes = journal.doc_mut().save();
    let loaded = Journal::load(&bytes).unwrap();
    assert_eq!(loaded.entries(), journal.entries());
}

#[test]
fn volume_ids_name_their_month() {
    let month = Month { year: 2026, month: 11 };
    assert_eq!(volume_id(month), "journal/2026-11");
    assert_eq!(volume_month("journal/2026-11"), Some(month));
    assert_eq!(volume_month("profile"), None);
    assert_eq!(volume_month("journal/November"), None);
}

#[test]
fn entry_ids_reject_anything_but_their_own_form() {
    let id = EntryId::random();
    assert_eq!(EntryId::parse(&id.to_string()), Some(id));
    assert_eq!(EntryId::parse("../../etc"), None);
    assert_eq!(EntryId::parse(&"A".repeat(32)), None);
}

#[test]
fn a_list_of_entries_round_trips_through_bytes_and_garbage_is_refused() {
    let mut journal = Journal::new();
    let a = journal.add_entry(Moment::new(1_764_000_000_000, 60), Some("What did you learn?"));
    journal.set_body(&a, "Listened first. تعلم");
    journal.add_tag(&a, "courage");
    journal.set_energy(&a, Energy::new(4));
    let b = journal.add_entry(Moment::new(1_764_100_000_000, -300), None);
    journal.set_body(&b, "");
    let entries = journal.entries();
    let bytes = encode_entries(&entries);
    assert_eq!(decode_entries(&bytes), Some(entries));
    assert_eq!(decode_entries(&bytes[..bytes.len() - 1]), None);
    assert_eq!(decode_entries(b"\x01\xff\xff\xff\x7f"), None);
    assert_eq!(decode_entries(&[]), None);
}
