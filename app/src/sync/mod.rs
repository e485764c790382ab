//! The sync engine: keeps this device's spaces in step with the relay.
//!
//! One task (`engine`) owns the connection. It connects when the browser is online, proves the
//! device key, subscribes to every space with its cursors (`cursors`), sends the outbox
//! (`outbox`), and applies what comes back (`receive`); when the connection drops it waits
//! (jittered, growing) and tries again, at once when the network returns or the app comes back
//! to the foreground. Local saves put sealed blobs in the outbox (in IndexedDB, so they survive
//! a reload or a closed tab) until the relay acknowledges them; `upkeep` uploads snapshots and
//! re-files documents. [`SyncHandle`] is what the rest of the app holds. Nothing here blocks
//! typing.

mod cursors;
mod engine;
mod errand;
mod members;
mod outbox;
mod peek;
mod receive;
mod socket;
mod upkeep;

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
    time::Duration,
};

use amplify::{ClientFrame, DocId, PayloadKind, Reject, SpaceId, decode_sealed, members::Op};
use futures_channel::mpsc::unbounded;
use leptos::{ev, prelude::*, task::spawn_local};

use self::{
    cursors::Cursors,
    engine::{Engine, Event},
    receive::{Announcement, Here},
};
pub use self::{errand::Errand, peek::peek};
use crate::{account::SpaceKind, documents::Repo, storage::Outgoing};

/// Where the connection stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    Starting,
    Connecting,
    /// Connected and authenticated; `caught_up` once every space has sent what it had.
    Connected {
        caught_up: bool,
    },
    Offline,
    Unreachable(String),
}

/// Why the relay keeps refusing this device's changes, while they wait safely on the device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The relay stores nothing for one of this person's spaces: no registration yet.
    NotRegistered,
    /// A quota on the relay is full (`code` says which) for a space of this kind.
    Full { code: Reject, kind: Option<SpaceKind> },
}

/// The sync engine's handle: what views show, and how pages ask it to act. Provided as context.
#[derive(Clone, Copy)]
pub struct SyncHandle {
    phase: RwSignal<Phase>,
    /// Why changes keep waiting, when the relay refuses them for a reason the person can fix.
    problem: RwSignal<Option<Problem>>,
    /// Blobs in the outbox, not yet acknowledged by the relay.
    waiting: RwSignal<u32>,
    /// Blobs from the relay that failed verification or decryption, and were ignored.
    ignored: RwSignal<u32>,
    /// Who else is looking at which document, as their devices last said.
    presence: RwSignal<Vec<Here>>,
    /// What happened that the person should hear of (a removal), newest last.
    news: RwSignal<Vec<String>>,
    engine: StoredValue<Option<Rc<Engine>>, LocalStorage>,
}

/// Upload a snapshot once a document's log has grown this far past the last one.
const SNAPSHOT_EVERY: u64 = 100;
/// ...or, past this many bytes, once it outweighs the whole document.
const SNAPSHOT_BYTES: u64 = 8 * 1024;

impl SyncHandle {
    pub fn new() -> SyncHandle {
        SyncHandle {
            phase: RwSignal::new(Phase::Starting),
            problem: RwSignal::new(None),
            waiting: RwSignal::new(0),
            ignored: RwSignal::new(0),
            presence: RwSignal::new(Vec::new()),
            news: RwSignal::new(Vec::new()),
            engine: StoredValue::new_local(None),
        }
    }

    /// Starts syncing `repo`'s documents (once they are loaded).
    pub fn start(&self, repo: Repo) {
        let Some(storage) = repo.storage() else { return };
        let (events, receiver) = unbounded();
        let engine = Rc::new(Engine {
            repo,
            storage,
            events,
            sync: *self,
            socket: RefCell::new(None),
            cursors: RefCell::new(Cursors::default()),
            in_flight: RefCell::new(HashSet::new()),
            snapshotting: RefCell::new(HashSet::new()),
            caught_up: RefCell::new(HashSet::new()),
            recovering: RefCell::new(HashMap::new()),
            unregistered: RefCell::new(HashSet::new()),
            retry_full: RefCell::new(Duration::from_secs(15)),
            logged: RefCell::new(HashSet::new()),
            members_requests: RefCell::new(HashMap::new()),
            members_sent: std::cell::Cell::new(0),
        });
        self.engine.set_value(Some(engine.clone()));
        let weak = Rc::downgrade(&engine);
        let sync = *self;
        *repo.hook().borrow_mut() = Some(repo.sealing_hook(move || {
            // Count it at once: the badge must never say "Synced" while a save waits.
            sync.waiting.update(|n| *n += 1);
            if let Some(engine) = weak.upgrade() {
                engine.nudge(Event::Outbox);
            }
        }));
        let nudge = |event: Event| {
            let engine = engine.clone();
            move |_| engine.nudge(event.clone())
        };
        // For the life of the app: the handles are not kept because they are never removed.
        let _forever = window_event_listener(ev::online, nudge(Event::Online));
        let _forever = window_event_listener(ev::offline, nudge(Event::Offline));
        let _forever = window_event_listener(ev::visibilitychange, nudge(Event::Retry));
        spawn_local(engine::run(engine, receiver));
    }

    /// Tells the relay, on the live connection, about a space this device just joined, and
    /// follows it. Call before saving anything in the space, so its certificate reaches the
    /// relay before its first blob.
    pub fn joined(&self, space: SpaceId) {
        if let Some(engine) = self.engine.get_value() {
            engine.nudge(Event::Joined(space));
        }
    }

    /// Sends membership operations made here (they are already in the account; if the
    /// connection is down, the next one sends whatever the relay lacks).
    pub fn publish(&self, ops: Vec<Op>) {
        if let Some(engine) = self.engine.get_value()
            && !ops.is_empty()
        {
            engine.nudge(Event::Publish(ops));
        }
    }

    /// What happened that the person should hear of, newest last (reactive).
    pub fn news(&self) -> Vec<String> {
        self.news.get()
    }

    /// Reconnects at once (after this device's own space changed).
    pub fn restart(&self) {
        if let Some(engine) = self.engine.get_value() {
            engine.nudge(Event::Restart);
        }
    }

    /// Tells the others in `doc`'s space that this person is looking at it (for half a
    /// minute; call again to stay).
    pub fn announce(&self, doc: DocId, person: &str, name: &str, at: Option<&str>) {
        let Some(engine) = self.engine.get_value() else { return };
        let said =
            Announcement { person: person.to_owned(), name: name.to_owned(), at: at.map(str::to_owned) };
        let bytes = serde_json::to_vec(&said).expect("an announcement serializes");
        let Some(outgoing) = engine.seal(doc, &bytes, PayloadKind::Presence, 0) else { return };
        if let Ok(blob) = decode_sealed(&outgoing.bytes) {
            engine.send(&ClientFrame::Presence { blob });
        }
    }

    /// The others looking at `doc` now (not `me`): their names, and the part each is editing
    /// if they said.
    pub fn here(&self, doc: DocId, me: &str) -> Vec<(String, Option<String>)> {
        let now = js_sys::Date::now();
        self.presence.with(|all| {
            all.iter()
                .filter(|h| h.doc == doc && h.person != me && h.until_ms > now)
                .map(|h| (h.name.clone(), h.at.clone()))
                .collect()
        })
    }

    /// Seals `bytes` of local document `doc` for its space, for the outbox.
    pub fn seal_for(&self, doc: DocId, bytes: &[u8], kind: PayloadKind) -> Option<Outgoing> {
        self.engine.get_value()?.seal(doc, bytes, kind, 0)
    }

    pub fn phase(&self) -> Phase {
        self.phase.get()
    }

    /// Why the relay keeps refusing this device's changes, if it does.
    pub fn problem(&self) -> Option<Problem> {
        self.problem.get()
    }

    pub fn waiting(&self) -> u32 {
        self.waiting.get()
    }

    pub fn ignored(&self) -> u32 {
        self.ignored.get()
    }
}

impl Default for SyncHandle {
    fn default() -> SyncHandle {
        SyncHandle::new()
    }
}
