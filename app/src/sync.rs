//! The sync engine: keeps this device's spaces in step with the relay.
//!
//! One task owns the connection. It connects when the browser is online, proves the device
//! key, subscribes to every space with its cursors, sends the outbox, and applies what comes
//! back; when the connection drops it waits (jittered, growing) and tries again, at once when
//! the network returns or the app comes back to the foreground. Local saves put sealed blobs in
//! the outbox (in IndexedDB, so they survive a reload or a closed tab) until the relay
//! acknowledges them. Nothing here blocks typing.

use std::{
    cell::RefCell,
    collections::{HashMap, HashSet},
    rc::Rc,
    time::Duration,
};

use amplify::{
    ClientFrame, DocRef, Fatal, Model, Payload, PayloadKind, Reject, RelayFrame, Sealed, SharedEntry,
    SpaceId, SpaceSecret, decode_sealed,
};
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use leptos::{ev, prelude::*, task::spawn_local};
use serde::{Deserialize, Serialize};
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use crate::{
    account::{Account, SpaceKind},
    platform,
    repo::{Repo, SyncHook, Target},
    storage::{Outgoing, Storage},
};

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

impl Problem {
    /// What to tell the person, and what they can do.
    pub fn message(&self) -> &'static str {
        match self {
            Problem::NotRegistered => {
                "The server does not keep your changes yet: this device is not registered with it. \
                 Open your programme's invite link, or enter your programme's registration code in \
                 Settings. Everything stays on this device meanwhile."
            }
            Problem::Full { code: Reject::SpaceFull, kind: Some(SpaceKind::HomeGroup) } => {
                "This group's storage on the server is full: ask your programme team. \
                 Your changes are kept on this device and sent once there is room."
            }
            Problem::Full { code: Reject::SpaceFull, kind: Some(SpaceKind::Personal) } => {
                "Your journal's storage on the server is full: ask your programme team. \
                 Your changes are kept on this device and sent once there is room."
            }
            Problem::Full { code: Reject::DeviceFull, .. } => {
                "This device has stored all the server allows one device: ask your programme team. \
                 Your changes are kept on this device and sent once there is room."
            }
            Problem::Full { code: Reject::ProgrammeFull, .. } => {
                "Your programme's storage on the server is full: ask your programme team. \
                 Your changes are kept on this device and sent once there is room."
            }
            Problem::Full { code: Reject::RelayFull, .. } => {
                "The server is full: ask your programme team. \
                 Your changes are kept on this device and sent once there is room."
            }
            Problem::Full { .. } => {
                "This space's storage on the server is full: ask your programme team. \
                 Your changes are kept on this device and sent once there is room."
            }
        }
    }
}

/// The sync engine's handle: what views show, and how pages ask it to act. Provided as context.
#[derive(Clone, Copy)]
pub struct Sync {
    phase: RwSignal<Phase>,
    /// Why changes keep waiting, when the relay refuses them for a reason the person can fix.
    problem: RwSignal<Option<Problem>>,
    /// Blobs in the outbox, not yet acknowledged by the relay.
    waiting: RwSignal<u32>,
    /// Blobs from the relay that failed verification or decryption, and were ignored.
    ignored: RwSignal<u32>,
    /// Who else is looking at which document, as their devices last said.
    presence: RwSignal<Vec<Here>>,
    engine: StoredValue<Option<Rc<Engine>>, LocalStorage>,
}

/// Upload a snapshot once a document's log has grown this far past the last one.
const SNAPSHOT_EVERY: u64 = 100;

impl Sync {
    pub fn new() -> Sync {
        Sync {
            phase: RwSignal::new(Phase::Starting),
            problem: RwSignal::new(None),
            waiting: RwSignal::new(0),
            ignored: RwSignal::new(0),
            presence: RwSignal::new(Vec::new()),
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
        });
        self.engine.set_value(Some(engine.clone()));
        let weak = Rc::downgrade(&engine);
        let sync = *self;
        *repo.hook().borrow_mut() = Some(SyncHook::new(repo, move || {
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
        let _ = window_event_listener(ev::online, nudge(Event::Online));
        let _ = window_event_listener(ev::offline, nudge(Event::Offline));
        let _ = window_event_listener(ev::visibilitychange, nudge(Event::Retry));
        spawn_local(engine.run(receiver));
    }

    /// Tells the relay, on the live connection, about a space this device just joined, and
    /// follows it. Call before saving anything in the space, so its certificate reaches the
    /// relay before its first blob.
    pub fn joined(&self, space: SpaceId) {
        if let Some(engine) = self.engine.get_value() {
            engine.nudge(Event::Joined(space));
        }
    }

    /// Reconnects at once (after this device's own space changed).
    pub fn restart(&self) {
        if let Some(engine) = self.engine.get_value() {
            engine.nudge(Event::Restart);
        }
    }

    /// Tells the others in `doc`'s space that this person is looking at it (for half a
    /// minute; call again to stay).
    pub fn announce(&self, doc: &str, person: &str, name: &str) {
        let Some(engine) = self.engine.get_value() else { return };
        let bytes = serde_json::to_vec(&Announcement { person: person.to_owned(), name: name.to_owned() })
            .expect("an announcement serializes");
        let Some(outgoing) = engine.seal(doc, &bytes, PayloadKind::Presence, 0) else { return };
        if let Ok(blob) = decode_sealed(&outgoing.bytes) {
            engine.send(&ClientFrame::Presence { blob });
        }
    }

    /// The names of the others looking at `doc` now (not `me`).
    pub fn here(&self, doc: &str, me: &str) -> Vec<String> {
        let now = js_sys::Date::now();
        self.presence.with(|all| {
            all.iter()
                .filter(|h| h.doc == doc && h.person != me && h.until_ms > now)
                .map(|h| h.name.clone())
                .collect()
        })
    }

    /// Seals `bytes` of local document `doc` for its space, for the outbox.
    pub fn seal_for(&self, doc: &str, bytes: &[u8], kind: PayloadKind) -> Option<Outgoing> {
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

    /// The badge's words: "Synced", "3 changes waiting", "Offline — saved on this device", or
    /// "Can't reach the relay: <reason>".
    pub fn badge(&self) -> String {
        let waiting = self.waiting.get();
        let changes =
            |n: u32| if n == 1 { "1 change waiting".to_owned() } else { format!("{n} changes waiting") };
        match self.phase.get() {
            Phase::Offline => "Offline — saved on this device".to_owned(),
            Phase::Unreachable(reason) => format!("Can't reach the relay: {reason}"),
            _ if waiting > 0 => changes(waiting),
            Phase::Connected { caught_up: true } => "Synced".to_owned(),
            Phase::Connected { caught_up: false } => "Syncing…".to_owned(),
            Phase::Starting | Phase::Connecting => "Connecting…".to_owned(),
        }
    }
}

impl Default for Sync {
    fn default() -> Sync {
        Sync::new()
    }
}

/// Someone looking at a document.
#[derive(Debug, Clone, PartialEq)]
struct Here {
    doc: String,
    person: String,
    name: String,
    until_ms: f64,
}

#[derive(Serialize, Deserialize)]
struct Announcement {
    person: String,
    name: String,
}

/// How long an announcement counts for.
const PRESENCE_MS: f64 = 30_000.0;

#[derive(Debug, Clone)]
enum Event {
    Frame(Vec<u8>),
    Closed {
        code: u16,
        reason: String,
    },
    Online,
    Offline,
    /// Something new in the outbox.
    Outbox,
    /// Try to connect now if not connected.
    Retry,
    /// Drop the connection and connect again.
    Restart,
    /// A space was joined: present its certificate and follow it.
    Joined(SpaceId),
}

/// How far this device has read each document's log on the relay.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Cursors(HashMap<String, HashMap<String, Cursor>>);

#[derive(Debug, Default, Clone, Copy, Serialize, Deserialize)]
struct Cursor {
    /// The last sequence number applied.
    seq: u64,
    /// What the newest snapshot on the relay covers.
    covers: u64,
}

impl Cursors {
    fn get(&self, space: SpaceId, doc: DocRef) -> Cursor {
        self.0
            .get(&space.to_string())
            .and_then(|docs| docs.get(&doc.to_string()))
            .copied()
            .unwrap_or_default()
    }

    fn entry(&mut self, space: SpaceId, doc: DocRef) -> &mut Cursor {
        self.0.entry(space.to_string()).or_default().entry(doc.to_string()).or_default()
    }

    fn of_space(&self, space: SpaceId) -> Vec<(DocRef, u64)> {
        self.0
            .get(&space.to_string())
            .map(|docs| docs.iter().filter_map(|(doc, c)| Some((DocRef::parse(doc)?, c.seq))).collect())
            .unwrap_or_default()
    }
}

const CURSORS: &str = "sync.cursors";

/// A live WebSocket and the callbacks it holds.
struct Socket {
    ws: WebSocket,
    _callbacks: (Closure<dyn FnMut(MessageEvent)>, Closure<dyn FnMut(CloseEvent)>),
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        let _ = self.ws.close();
    }
}

/// The relay's address: this page's host, over a WebSocket.
fn relay_url() -> String {
    let location = web_sys::window().expect("a window").location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
    format!("{scheme}://{}/sync", location.host().unwrap_or_default())
}

/// Opens a WebSocket to the relay whose frames and closing arrive on `events`.
fn open_socket(events: UnboundedSender<Event>) -> Result<Socket, JsValue> {
    let ws = WebSocket::new(&relay_url())?;
    ws.set_binary_type(BinaryType::Arraybuffer);
    let frames = events.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        if let Ok(buffer) = e.data().dyn_into::<js_sys::ArrayBuffer>() {
            let _ = frames.unbounded_send(Event::Frame(js_sys::Uint8Array::new(&buffer).to_vec()));
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        let _ = events.unbounded_send(Event::Closed { code: e.code(), reason: e.reason() });
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    Ok(Socket { ws, _callbacks: (on_message, on_close) })
}

/// Reads what the relay holds for one space without joining it, as `device`: what the join
/// page shows before someone decides.
///
/// # Errors
/// Why it could not be read, in words.
pub async fn peek(account: &Account, secret: &SpaceSecret) -> Result<Vec<Payload>, String> {
    let keys = secret.keys();
    let (events, mut frames) = unbounded();
    let socket = open_socket(events).map_err(|_| "could not open a connection".to_owned())?;
    let send = |frame: &ClientFrame| {
        let _ = socket.ws.send_with_u8_array(&frame.encode());
    };
    let (done, mut timeout) = unbounded::<()>();
    spawn_local(async move {
        platform::sleep(Duration::from_secs(10)).await;
        let _ = done.unbounded_send(());
    });
    let mut payloads = Vec::new();
    loop {
        let event = futures_util::select! {
            _ = timeout.next() => return Err("the relay did not answer in time".to_owned()),
            event = frames.next() => event,
        };
        match event {
            Some(Event::Frame(bytes)) => match RelayFrame::decode(&bytes) {
                Ok(RelayFrame::Challenge { nonce }) => send(&ClientFrame::Auth {
                    device: account.device.id(),
                    signature: account.device.sign_challenge(&nonce),
                    certs: vec![keys.admit(account.device.id())],
                }),
                Ok(RelayFrame::Welcome { .. }) => {
                    send(&ClientFrame::Subscribe { space: keys.id, cursors: vec![] })
                }
                Ok(RelayFrame::Blob { blob, .. } | RelayFrame::Snapshot { blob, .. }) => {
                    payloads.extend(blob.open(&keys).ok());
                }
                Ok(RelayFrame::CaughtUp { .. }) => return Ok(payloads),
                Ok(RelayFrame::Error { message, .. }) => return Err(message),
                _ => {}
            },
            Some(Event::Closed { code: 1006, .. }) => return Err("no connection to the server".to_owned()),
            Some(Event::Closed { reason, .. }) => return Err(format!("the connection closed ({reason})")),
            None => return Err("the connection closed".to_owned()),
            Some(_) => {}
        }
    }
}

struct Engine {
    repo: Repo,
    storage: Storage,
    events: UnboundedSender<Event>,
    sync: Sync,
    socket: RefCell<Option<Socket>>,
    cursors: RefCell<Cursors>,
    /// Outbox keys sent on this connection and not yet answered.
    in_flight: RefCell<HashSet<u32>>,
    /// Documents with a snapshot queued, so as not to queue another.
    snapshotting: RefCell<HashSet<(SpaceId, DocRef)>>,
    caught_up: RefCell<HashSet<SpaceId>>,
    /// Damaged documents being fetched again from the start of their log, by space, until
    /// their space's first catch-up ends.
    recovering: RefCell<HashMap<SpaceId, Vec<Target>>>,
    /// Spaces the relay said it stores nothing for until they are registered.
    unregistered: RefCell<HashSet<SpaceId>>,
    /// How long to wait before sending again what a full quota refused (grows to 5 minutes).
    retry_full: RefCell<Duration>,
}

/// How a connection ended.
enum Ended {
    Offline,
    Restart,
    Closed(String),
}

impl Engine {
    fn nudge(&self, event: Event) {
        let _ = self.events.unbounded_send(event);
    }

    fn account(&self) -> Option<Account> {
        self.repo.with_account(|a| a.cloned())
    }

    async fn run(self: Rc<Self>, mut events: UnboundedReceiver<Event>) {
        if let Ok(Some(value)) = self.storage.get_kv(CURSORS).await
            && let Some(cursors) = value.as_string().and_then(|json| serde_json::from_str(&json).ok())
        {
            *self.cursors.borrow_mut() = cursors;
        }
        // A document that is not whole here is fetched again from the start of its log; once
        // its space has caught up, the relay has sent everything it holds for it.
        if let Some(account) = self.account() {
            for target in self.repo.damaged_docs() {
                let doc = target.id();
                if let Some(space) = account.space_for_doc(&doc) {
                    let doc_ref = space.content().doc_ref(&doc);
                    if let Some(docs) = self.cursors.borrow_mut().0.get_mut(&space.id().to_string()) {
                        docs.remove(&doc_ref.to_string());
                    }
                    self.recovering.borrow_mut().entry(space.id()).or_default().push(target);
                }
            }
        }
        self.count_waiting().await;
        let mut attempt: u32 = 0;
        loop {
            if !platform::online() {
                self.sync.phase.set(Phase::Offline);
                while !matches!(events.next().await, Some(Event::Online | Event::Restart) | None) {}
            }
            self.sync.phase.set(Phase::Connecting);
            let ended = self.session(&mut events, &mut attempt).await;
            *self.socket.borrow_mut() = None;
            self.in_flight.borrow_mut().clear();
            self.caught_up.borrow_mut().clear();
            self.save_cursors().await;
            match ended {
                Ended::Offline => continue,
                Ended::Restart => {
                    attempt = 0;
                    continue;
                }
                Ended::Closed(reason) => self.sync.phase.set(if platform::online() {
                    Phase::Unreachable(reason)
                } else {
                    Phase::Offline
                }),
            }
            attempt = attempt.saturating_add(1);
            // 1 s, 2 s, 4 s… up to a minute, each ±50 %, so a relay restart is not met by every
            // client in the same second.
            let base = 1000.0 * 2f64.powi(attempt.min(6) as i32 - 1);
            let delay = base.min(60_000.0) * (0.5 + js_sys::Math::random());
            let (wake, mut woken) = unbounded::<()>();
            spawn_local(async move {
                platform::sleep(Duration::from_millis(delay as u64)).await;
                let _ = wake.unbounded_send(());
            });
            loop {
                futures_util::select! {
                    _ = woken.next() => break,
                    event = events.next() => match event {
                        Some(Event::Online | Event::Retry | Event::Restart) => break,
                        None => return,
                        Some(_) => {}
                    },
                }
            }
        }
    }

    fn open(&self) -> Result<Socket, JsValue> {
        open_socket(self.events.clone())
    }

    fn send(&self, frame: &ClientFrame) {
        if let Some(socket) = self.socket.borrow().as_ref() {
            let _ = socket.ws.send_with_u8_array(&frame.encode());
        }
    }

    async fn session(&self, events: &mut UnboundedReceiver<Event>, attempt: &mut u32) -> Ended {
        match self.open() {
            Ok(socket) => *self.socket.borrow_mut() = Some(socket),
            Err(e) => return Ended::Closed(format!("{e:?}")),
        }
        let mut welcomed = false;
        let mut last_error: Option<String> = None;
        while let Some(event) = events.next().await {
            match event {
                Event::Frame(bytes) => match RelayFrame::decode(&bytes) {
                    Ok(RelayFrame::Challenge { nonce }) => {
                        let Some(account) = self.account() else { return Ended::Closed("no account".into()) };
                        let signature = account.device.sign_challenge(&nonce);
                        let certs = account.spaces.iter().map(|s| s.cert).collect();
                        self.send(&ClientFrame::Auth { device: account.device.id(), signature, certs });
                    }
                    Ok(RelayFrame::Unregistered { spaces }) => {
                        self.unregistered.borrow_mut().extend(spaces);
                        if welcomed {
                            self.register_spaces();
                            self.send_outbox().await;
                        }
                    }
                    Ok(RelayFrame::Welcome { spaces: admitted, .. }) => {
                        welcomed = true;
                        *attempt = 0;
                        self.sync.phase.set(Phase::Connected { caught_up: false });
                        // The relay says which spaces it does not store before it welcomes.
                        self.register_spaces();
                        if let Some(account) = self.account() {
                            for space in &account.spaces {
                                // Joined while the connection was proving itself: the Auth frame
                                // did not carry this certificate yet.
                                if !admitted.contains(&space.id()) {
                                    self.send(&ClientFrame::Admit { cert: space.cert });
                                }
                                let cursors = self.cursors.borrow().of_space(space.id());
                                self.send(&ClientFrame::Subscribe { space: space.id(), cursors });
                            }
                        }
                        self.send_outbox().await;
                    }
                    Ok(RelayFrame::Blob { seq, blob }) => self.receive(&blob, seq, None).await,
                    Ok(RelayFrame::Snapshot { covers, blob }) => {
                        self.receive(&blob, covers, Some(covers)).await
                    }
                    Ok(RelayFrame::CaughtUp { space }) => self.caught_up(space).await,
                    Ok(RelayFrame::Ack { request, doc, seq }) => self.acknowledged(request, doc, seq).await,
                    Ok(RelayFrame::Reject { request, code, message }) => {
                        self.rejected(request, code, &message).await
                    }
                    Ok(RelayFrame::Error { code, message }) => {
                        last_error = Some(match code {
                            Fatal::Unauthorized => format!("this device was not let in ({message})"),
                            Fatal::ShuttingDown => "the relay is restarting".to_owned(),
                            _ => message,
                        });
                    }
                    Ok(RelayFrame::Pong) => {}
                    Ok(RelayFrame::Presence { blob }) => self.presence(&blob),
                    Err(e) => return Ended::Closed(format!("the relay sent something unreadable ({e})")),
                },
                Event::Closed { code, reason } => {
                    return Ended::Closed(last_error.unwrap_or_else(|| match code {
                        1006 => "no connection to the server".to_owned(),
                        _ if !reason.is_empty() => reason,
                        _ => format!("the connection closed ({code})"),
                    }));
                }
                Event::Offline => return Ended::Offline,
                Event::Restart => return Ended::Restart,
                Event::Outbox if welcomed => self.send_outbox().await,
                Event::Joined(space) if welcomed => {
                    if let Some(joined) = self.account().and_then(|a| a.space(space).cloned()) {
                        self.send(&ClientFrame::Admit { cert: joined.cert });
                        self.send(&ClientFrame::Subscribe {
                            space,
                            cursors: self.cursors.borrow().of_space(space),
                        });
                        self.send_outbox().await;
                    }
                }
                Event::Outbox | Event::Joined(_) | Event::Online | Event::Retry => {}
            }
        }
        Ended::Closed("the app is closing".to_owned())
    }

    /// Registers the spaces the relay does not store yet, with the programme's registration if
    /// this device has it; otherwise says so, once, for the person to act on.
    fn register_spaces(&self) {
        let Some(account) = self.account() else { return };
        let waiting: Vec<SpaceId> = self.unregistered.borrow().iter().copied().collect();
        if waiting.is_empty() {
            return;
        }
        match &account.registration {
            Some(key) => {
                for space in waiting {
                    self.send(&ClientFrame::Register { registration: key.register(space) });
                }
                self.unregistered.borrow_mut().clear();
                if self.sync.problem.get_untracked() == Some(Problem::NotRegistered) {
                    self.sync.problem.set(None);
                }
            }
            None => self.sync.problem.set(Some(Problem::NotRegistered)),
        }
    }

    /// Seals `bytes` of local document `doc` for its space.
    fn seal(&self, doc: &str, bytes: &[u8], kind: PayloadKind, covers: u64) -> Option<Outgoing> {
        // Read-only spaces seal nothing: their documents are never written here.
        self.repo.account_untracked(|account| account?.seal(doc, bytes, kind, covers))
    }

    async fn count_waiting(&self) {
        if let Ok(n) = self.storage.outbox_len().await {
            self.sync.waiting.set(n);
        }
    }

    async fn send_outbox(&self) {
        let Ok(items) = self.storage.outbox().await else { return };
        let spaces: HashSet<String> =
            self.account().map(|a| a.spaces.iter().map(|s| s.id().to_string()).collect()).unwrap_or_default();
        let mut orphans = Vec::new();
        for (key, outgoing) in items {
            if self.in_flight.borrow().contains(&key) {
                continue;
            }
            let Ok(blob) = decode_sealed(&outgoing.bytes) else {
                orphans.push(key);
                continue;
            };
            if !spaces.contains(&outgoing.space) {
                // Queued for a space this device no longer belongs to.
                orphans.push(key);
                continue;
            }
            self.in_flight.borrow_mut().insert(key);
            let frame = match outgoing.covers {
                0 => ClientFrame::Put { request: key, blob },
                covers => ClientFrame::Snapshot { request: key, covers, blob },
            };
            self.send(&frame);
        }
        if !orphans.is_empty() {
            let _ = self.storage.dequeue(&orphans).await;
        }
        self.sync.waiting.set(self.storage.outbox_len().await.unwrap_or(0));
    }

    async fn acknowledged(&self, request: u32, doc: DocRef, seq: u64) {
        self.in_flight.borrow_mut().remove(&request);
        if self.sync.problem.get_untracked().is_some() {
            // The relay takes changes again.
            self.sync.problem.set(None);
            *self.retry_full.borrow_mut() = Duration::from_secs(15);
        }
        let mut space = None;
        if let Ok(items) = self.storage.outbox().await
            && let Some((_, outgoing)) = items.iter().find(|(k, _)| *k == request)
        {
            space = SpaceId::parse(&outgoing.space);
            if let (Some(space), true) = (space, outgoing.covers > 0) {
                let mut cursors = self.cursors.borrow_mut();
                let cursor = cursors.entry(space, doc);
                cursor.covers = cursor.covers.max(seq);
                self.snapshotting.borrow_mut().remove(&(space, doc));
            } else if let Some(space) = space {
                let mut cursors = self.cursors.borrow_mut();
                let cursor = cursors.entry(space, doc);
                cursor.seq = cursor.seq.max(seq);
            }
        }
        let _ = self.storage.dequeue(&[request]).await;
        self.count_waiting().await;
        if let Some(space) = space {
            // A withdrawn entry's text leaves the relay as soon as the withdrawal is stored.
            self.snapshot_if_due(space).await;
        }
    }

    async fn rejected(&self, request: u32, code: Reject, message: &str) {
        web_sys::console::warn_1(&format!("the relay refused a request: {code:?}: {message}").into());
        if request == 0 {
            return;
        }
        self.in_flight.borrow_mut().remove(&request);
        let space = match self.storage.outbox().await {
            Ok(items) => {
                items.into_iter().find(|(k, _)| *k == request).and_then(|(_, o)| SpaceId::parse(&o.space))
            }
            Err(_) => None,
        };
        let retry = |after: Duration| {
            let events = self.events.clone();
            spawn_local(async move {
                platform::sleep(after).await;
                let _ = events.unbounded_send(Event::Outbox);
            });
        };
        match code {
            // Not admitted yet (the certificate follows), or busy: keep it and try again shortly.
            Reject::NotAdmitted | Reject::RateLimited | Reject::Unavailable => retry(Duration::from_secs(5)),
            // Kept until the space is registered (the next connection registers it, if this
            // device has the registration by then).
            Reject::NotRegistered => {
                if let Some(space) = space {
                    self.unregistered.borrow_mut().insert(space);
                }
                self.register_spaces();
                if self.sync.problem.get_untracked().is_none() {
                    retry(Duration::from_secs(5));
                } else {
                    retry(Duration::from_secs(60));
                }
            }
            // Kept until someone makes room; tried again less and less often.
            Reject::SpaceFull | Reject::ProgrammeFull | Reject::DeviceFull | Reject::RelayFull => {
                let kind = space.and_then(|s| self.account().and_then(|a| a.space(s).map(|j| j.kind)));
                self.sync.problem.set(Some(Problem::Full { code, kind }));
                let after = *self.retry_full.borrow();
                *self.retry_full.borrow_mut() = (after * 2).min(Duration::from_secs(300));
                retry(after);
            }
            _ => {
                // It can never succeed; keeping it would block nothing but would count forever.
                let _ = self.storage.dequeue(&[request]).await;
                self.count_waiting().await;
            }
        }
    }

    /// Notes who is looking at what, from another device's announcement.
    fn presence(&self, blob: &Sealed) {
        let Some(account) = self.account() else { return };
        let Some(payload) = account.space(blob.space).and_then(|s| s.open(blob).ok()) else { return };
        let Ok(said) = serde_json::from_slice::<Announcement>(&payload.bytes) else { return };
        let here = Here {
            doc: payload.doc,
            person: said.person,
            name: said.name,
            until_ms: js_sys::Date::now() + PRESENCE_MS,
        };
        self.sync.presence.update(|all| {
            all.retain(|h| {
                !(h.doc == here.doc && h.person == here.person) && h.until_ms > js_sys::Date::now()
            });
            all.push(here);
        });
    }

    /// Applies a blob or snapshot from the relay and moves the cursor past it.
    async fn receive(&self, blob: &Sealed, seq: u64, snapshot: Option<u64>) {
        let Some(account) = self.account() else { return };
        let Some(space) = account.space(blob.space) else { return };
        let opened = space.open(blob);
        let outcome = match &opened {
            Ok(payload) => match self.repo.target(&payload.doc) {
                Some(target) => {
                    target.apply_remote(&payload.bytes, payload.kind).await.map_err(|e| e.to_string())
                }
                None => Err(format!("no document here for {}", payload.doc)),
            },
            Err(e) => Err(e.to_string()),
        };
        match outcome {
            Ok(()) => {}
            Err(reason) => {
                let storage_failed = opened.is_ok() && reason.contains("storage");
                web_sys::console::warn_1(&format!("ignored a blob from the relay: {reason}").into());
                if storage_failed {
                    // Not kept on this device: leave the cursor so it comes again.
                    return;
                }
                self.sync.ignored.update(|n| *n += 1);
            }
        }
        let mut cursors = self.cursors.borrow_mut();
        let cursor = cursors.entry(blob.space, blob.doc);
        cursor.seq = cursor.seq.max(seq);
        if let Some(covers) = snapshot {
            cursor.covers = cursor.covers.max(covers);
        }
    }

    async fn caught_up(&self, space: SpaceId) {
        self.caught_up.borrow_mut().insert(space);
        let recovered = self.recovering.borrow_mut().remove(&space).unwrap_or_default();
        for target in recovered {
            target.relay_sent_everything().await;
        }
        let all =
            self.account().is_none_or(|a| a.spaces.iter().all(|s| self.caught_up.borrow().contains(&s.id())));
        if all {
            self.sync.phase.set(Phase::Connected { caught_up: true });
        }
        self.save_cursors().await;
        self.refile_legacy(space).await;
        self.snapshot_if_due(space).await;
    }

    /// Re-files, once, each document the relay holds under its version-1 reference (keyed with
    /// the content key itself) under its current one: the whole document as one blob. Blobs
    /// under the old reference still open; from here on the current log has everything, so its
    /// snapshots cover the whole document.
    async fn refile_legacy(&self, space: SpaceId) {
        let Some(account) = self.account() else { return };
        let Some(joined) = account.space(space).filter(|s| s.can_write()) else { return };
        let mut queued = false;
        for target in self.repo.targets_in(space) {
            let id = target.id();
            let legacy = joined.content().legacy_doc_ref(&id);
            let on_relay = self.cursors.borrow().get(space, legacy).seq > 0;
            let done_key = format!("refiled/{id}");
            if !on_relay || matches!(self.storage.get_kv(&done_key).await, Ok(Some(_))) {
                continue;
            }
            let Some(outgoing) = self.seal(&id, &target.save_whole(), PayloadKind::Changes, 0) else {
                continue;
            };
            // The outbox is durable: once the blob is queued, the re-filing is as good as done.
            if self.storage.enqueue(&outgoing).await.is_ok() {
                queued = true;
                if let Err(e) = self.storage.put_kv(&done_key, &JsValue::TRUE).await {
                    web_sys::console::warn_1(&format!("could not note that {id} was re-filed: {e}").into());
                }
            }
        }
        if queued {
            self.send_outbox().await;
        }
    }

    /// Queues a snapshot of each document whose log has grown far past its last one, so a new
    /// device starts from it instead of replaying everything; and of each withdrawn shared
    /// entry at once, as a document with no history, so the relay drops every blob that held
    /// the entry's text.
    async fn snapshot_if_due(&self, space: SpaceId) {
        let Some(account) = self.account() else { return };
        let Some(joined) = account.space(space).filter(|s| s.can_write()) else { return };
        let mut queued = false;
        for target in self.repo.targets_in(space) {
            let id = target.id();
            let doc = joined.content().doc_ref(&id);
            let cursor = self.cursors.borrow().get(space, doc);
            let withdrawn = matches!(target, Target::Shared(h) if h.with_untracked(|s| s.view().withdrawn));
            let due = if withdrawn {
                cursor.seq > cursor.covers
            } else {
                cursor.seq >= cursor.covers + SNAPSHOT_EVERY
            };
            if !due || self.snapshotting.borrow().contains(&(space, doc)) {
                continue;
            }
            let bytes =
                if withdrawn { SharedEntry::withdrawn().doc_mut().save() } else { target.save_whole() };
            let Some(outgoing) = self.seal(&id, &bytes, PayloadKind::Snapshot, cursor.seq) else { continue };
            if self.storage.enqueue(&outgoing).await.is_ok() {
                self.snapshotting.borrow_mut().insert((space, doc));
                queued = true;
            }
        }
        if queued {
            self.send_outbox().await;
        }
    }

    async fn save_cursors(&self) {
        let json = serde_json::to_string(&*self.cursors.borrow()).expect("cursors serialize");
        let _ = self.storage.put_kv(CURSORS, &JsValue::from_str(&json)).await;
    }
}
