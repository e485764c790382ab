//! A big journal, as a year of heavy use would make it: 1,000 entries of about 300 words,
//! built by typing. Prints load time, save size, and the cost of one keystroke plus its
//! incremental save. Run with `cargo bench -p amplify` (or `./x bench`).

use std::{hint::black_box, time::Instant};

use amplify::{Journal, Model, Moment, Query};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};

const ENTRIES: usize = 1_000;
const WORDS: usize = 300;

/// A deterministic stream of plausible words, varied enough that compression sees text, not a
/// loop.
fn word(i: usize) -> &'static str {
    const WORDS: [&str; 96] = [
        "today",
        "I",
        "listened",
        "before",
        "speaking",
        "and",
        "the",
        "team",
        "found",
        "its",
        "own",
        "answer",
        "which",
        "felt",
        "uncomfortable",
        "but",
        "right",
        "for",
        "my",
        "experiment",
        "we",
        "tested",
        "one",
        "assumption",
        "about",
        "artists",
        "streaming",
        "customers",
        "in",
        "Nordics",
        "feedback",
        "coach",
        "home",
        "group",
        "forest",
        "rain",
        "courage",
        "leader",
        "stand",
        "why",
        "would",
        "anyone",
        "follow",
        "me",
        "smallest",
        "possible",
        "test",
        "measure",
        "evidence",
        "learned",
        "pivot",
        "persevere",
        "stop",
        "scale",
        "managing",
        "director",
        "asked",
        "question",
        "silence",
        "trust",
        "network",
        "region",
        "Tokyo",
        "London",
        "Miami",
        "flight",
        "hotel",
        "meeting",
        "pitch",
        "data",
        "predict",
        "hits",
        "catalog",
        "revenue",
        "partners",
        "deal",
        "young",
        "seasoned",
        "story",
        "showcase",
        "impact",
        "risk",
        "small",
        "think",
        "big",
        "energy",
        "drained",
        "curious",
        "proud",
        "nervous",
        "honest",
        "kind",
        "clear",
        "decision",
        "tomorrow",
        "again",
    ];
    let mut x = i as u64 ^ 0x9e37_79b9_7f4a_7c15;
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    WORDS[((x ^ (x >> 31)) % WORDS.len() as u64) as usize]
}

/// Types `ENTRIES` entries, one `set_body` per word (as the app calls it on each input event;
/// a word is roughly what gathers between two debounced saves), saving after every word.
fn typed_journal() -> Journal {
    let mut journal = Journal::new();
    let mut heads = journal.doc_mut().heads();
    for e in 0..ENTRIES {
        let at = Moment::new(1_750_000_000_000 + e as i64 * 21_600_000, 60);
        let id = journal.add_entry(at, (e % 3 == 0).then_some(amplify::CORE_PROMPTS[e % 4]));
        let mut body = String::new();
        for w in 0..WORDS {
            if w > 0 {
                body.push(' ');
            }
            body.push_str(word(e * WORDS + w));
            journal.set_body(&id, &body);
            // What the app's incremental save does after a pause in typing.
            let _ = journal.doc_mut().save_after(&heads);
            heads = journal.doc_mut().heads();
        }
        if e % 5 == 0 {
            journal.add_tag(&id, "feedback");
        }
    }
    journal
}

fn bench(c: &mut Criterion) {
    let started = Instant::now();
    let mut journal = typed_journal();
    let built = started.elapsed();
    let snapshot = journal.doc_mut().save();
    let text_bytes: usize = journal.entries().iter().map(|e| e.body.len()).sum();
    println!(
        "journal: {ENTRIES} entries x {WORDS} words typed in {built:.1?}; text {:.2} MB; snapshot {:.2} MB",
        text_bytes as f64 / 1e6,
        snapshot.len() as f64 / 1e6,
    );

    c.bench_function("load a 1,000-entry journal from its snapshot", |b| {
        b.iter(|| Journal::load(black_box(&snapshot)).unwrap())
    });

    c.bench_function("list every entry grouped by day", |b| {
        b.iter(|| black_box(journal.days(&Query::default())))
    });

    c.bench_function("search 1,000 entries for a word and a tag", |b| {
        let query = Query::parse("uncomfortable #feedback");
        b.iter(|| black_box(journal.search(&query)))
    });

    c.bench_function("one keystroke in a 300-word entry + incremental save", |b| {
        let id = journal.entries()[0].id;
        let body = journal.entry(&id).unwrap().body;
        b.iter_batched(
            || {
                let mut copy = Journal::load(&snapshot).unwrap();
                let heads = copy.doc_mut().heads();
                (copy, heads)
            },
            |(mut copy, heads)| {
                copy.set_body(&id, &format!("{body}!"));
                black_box(copy.doc_mut().save_after(&heads))
            },
            BatchSize::PerIteration,
        )
    });

    let mut copy = Journal::load(&snapshot).unwrap();
    let heads = copy.doc_mut().heads();
    let id = copy.entries()[0].id;
    let body = copy.entry(&id).unwrap().body;
    copy.set_body(&id, &format!("{body}!"));
    println!("one keystroke's incremental save: {} bytes", copy.doc_mut().save_after(&heads).len());

    c.bench_function("compact: save the whole 1,000-entry journal", |b| {
        b.iter_batched(
            || Journal::load(&snapshot).unwrap(),
            |mut j| black_box(j.doc_mut().save()),
            BatchSize::PerIteration,
        )
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
