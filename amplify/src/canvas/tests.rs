use super::*;
use crate::Model;

#[test]
fn fields_stage_and_decision_round_trip() {
    let mut canvas = Canvas::new();
    canvas.set_owner("maya");
    canvas.set_owner("someone else");
    canvas.set(Field::Problem, "Older listeners never try streaming.");
    canvas.set_stage(Stage::Running);
    canvas.decide(Decision::Pivot, "2026-11-24");
    let loaded = Canvas::load(&canvas.doc_mut().save()).unwrap();
    assert_eq!(loaded.owner().as_deref(), Some("maya"), "the owner is set once");
    assert_eq!(loaded.get(Field::Problem), "Older listeners never try streaming.");
    assert_eq!(loaded.stage(), Stage::Running);
    assert_eq!(loaded.decision(), Some((Decision::Pivot, "2026-11-24".to_owned())));
    assert_eq!(Canvas::new().stage(), Stage::Idea);
}

#[test]
fn the_riskiest_assumption_comes_first() {
    let mut canvas = Canvas::new();
    let safe = canvas.add_assumption("Labels will share data", Risk::Feasible);
    let risky = canvas.add_assumption("Grandparents want playlists", Risk::Desirable);
    canvas.place_assumption(&safe, 1, 3);
    canvas.place_assumption(&risky, 3, 1);
    canvas.set_assumption_text(&risky, "Grandparents want curated playlists");
    let list = canvas.assumptions();
    assert_eq!(list[0].text, "Grandparents want curated playlists");
    assert_eq!(list[1].id, safe);
    canvas.remove_assumption(&safe);
    assert_eq!(canvas.assumptions().len(), 1);
}

#[test]
fn comments_resolve_and_the_story_tells_the_experiment() {
    let mut canvas = Canvas::new();
    canvas.set(Field::Problem, "Older fans miss new releases");
    canvas.set(Field::WeBelieve, "a weekly email will bring them");
    canvas.set(Field::WeLearned, "they prefer radio");
    canvas.add_evidence("12 of 40 opened the email", "Sam", 2);
    canvas.add_evidence("3 asked for a radio show", "Maya", 1);
    let c = canvas.comment("problem", "sam", "Sam", "Which markets?", 5);
    canvas.resolve(&c, "Maya");
    assert_eq!(canvas.comments()[0].resolved_by.as_deref(), Some("Maya"));
    let story = canvas.story();
    assert_eq!(story.evidence, ["3 asked for a radio show", "12 of 40 opened the email"]);
    assert_eq!(story.test, "a weekly email will bring them");
    assert_eq!(story.learning, "they prefer radio");
}

#[test]
fn changes_since_a_look_are_named_by_field() {
    let mut canvas = Canvas::new();
    canvas.set(Field::Problem, "first");
    let seen = canvas.doc_mut().heads();
    canvas.set(Field::Problem, "first, edited");
    canvas.set(Field::Impact, "new");
    assert_eq!(canvas.changed_since(&seen), [Field::Problem, Field::Impact]);
    let now = canvas.doc_mut().heads();
    assert!(canvas.changed_since(&now).is_empty());
}

#[test]
fn two_group_members_editing_one_field_offline_keep_both_edits() {
    let mut maya = Canvas::new();
    maya.set(Field::WeBelieve, "fans will pay");
    let mut sam = Canvas::load(&maya.doc_mut().save()).unwrap();
    maya.set(Field::WeBelieve, "fans will pay for early access");
    sam.set(Field::WeBelieve, "young fans will pay");
    let from_sam = sam.doc_mut().save();
    maya.doc_mut().apply(&from_sam).unwrap();
    assert_eq!(maya.get(Field::WeBelieve), "young fans will pay for early access");
}

#[test]
fn who_wrote_a_part_is_kept_and_a_run_of_typing_is_one_edit() {
    let mut canvas = Canvas::new();
    assert_eq!(canvas.edited("problem"), None);
    canvas.note_edit("problem", "maya-id", "Maya", 1_000);
    let heads = canvas.doc_mut().heads();
    // Typing on: within the minute, nothing more is written.
    canvas.note_edit("problem", "maya-id", "Maya", 30_000);
    assert_eq!(canvas.doc_mut().heads(), heads);
    assert_eq!(
        canvas.edited("problem"),
        Some(Edit { person: "maya-id".into(), name: "Maya".into(), at_ms: 1_000 })
    );
    // Later, or someone else: a new edit.
    canvas.note_edit("problem", "maya-id", "Maya", 200_000);
    assert_eq!(canvas.edited("problem").map(|e| e.at_ms), Some(200_000));
    canvas.note_edit("problem", "sam-id", "Sam", 200_500);
    assert_eq!(canvas.edited("problem").map(|e| e.name), Some("Sam".to_owned()));
    assert_eq!(canvas.edited("we_believe"), None, "each part its own");

    // Written at once on two devices: both end up naming the same writer.
    let mut other = Canvas::load(&canvas.doc_mut().save()).unwrap();
    canvas.note_edit("impact", "maya-id", "Maya", 300_000);
    other.note_edit("impact", "sam-id", "Sam", 300_001);
    let (a, b) = (canvas.doc_mut().save(), other.doc_mut().save());
    canvas.doc_mut().apply(&b).unwrap();
    other.doc_mut().apply(&a).unwrap();
    assert_eq!(canvas.edited("impact"), other.edited("impact"));
    assert!(canvas.edited("impact").is_some());
}
