//! The engine: one task that owns the connection, from connecting to closing.

use std::{
    cell::{Cell, RefCell},
    collections::{HashMap, HashSet},
    time::Duration,
};

use std::{future::Future, pin::Pin, rc::Rc};

use amplify::{ClientFrame, DocId, DocRef, Fatal, PayloadKind, RelayFrame, SpaceId};
use futures_channel::mpsc::{UnboundedReceiver, UnboundedSender, unbounded};
use futures_util::StreamExt;
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::JsValue;

use super::{
    Phase, SyncHandle,
    cursors::{CURSORS, Cursors},
    members::MEMBERS_REQUEST,
    socket::{Socket, open_socket},
};
use crate::{
    account::Account,
    documents::{Repo, Target},
    platform::{self, NotLoaded},
    storage::{Outgoing, Storage},
};

#[derive(Debug, Clone)]
pub(super) enum Event {
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
    /// Membership operations made here, to send.
    Publish(Vec<amplify::members::Op>),
    /// Ask again for the governed spaces the relay has not admitted this device to yet (another
    /// device of the person may have added it meanwhile).
    Refollow,
}

pub(super) struct Engine {
    pub(super) repo: Repo,
    pub(super) storage: Storage,
    pub(super) events: UnboundedSender<Event>,
    pub(super) sync: SyncHandle,
    pub(super) socket: RefCell<Option<Socket>>,
    pub(super) cursors: RefCell<Cursors>,
    /// Outbox keys sent on this connection and not yet answered.
    pub(super) in_flight: RefCell<HashSet<u32>>,
    /// Documents with a snapshot queued, so as not to queue another.
    pub(super) snapshotting: RefCell<HashSet<(SpaceId, DocRef)>>,
    pub(super) caught_up: RefCell<HashSet<SpaceId>>,
    /// Damaged documents being fetched again from the start of their log, by space, until
    /// their space's first catch-up ends.
    pub(super) recovering: RefCell<HashMap<SpaceId, Vec<Target>>>,
    /// Spaces the relay said it stores nothing for until they are registered.
    pub(super) unregistered: RefCell<HashSet<SpaceId>>,
    /// How long to wait before sending again what a full quota refused (grows to 5 minutes).
    pub(super) retry_full: RefCell<Duration>,
    /// Governed spaces whose whole log arrived on this connection.
    pub(super) logged: RefCell<HashSet<SpaceId>>,
    /// Membership frames sent and not yet answered, with their space.
    pub(super) members_requests: RefCell<HashMap<u32, SpaceId>>,
    pub(super) members_sent: Cell<u32>,
}

/// How often to ask again for governed spaces not admitted yet.
const REFOLLOW_EVERY: Duration = Duration::from_secs(8);

/// How a connection ended.
pub(super) enum Ended {
    Offline,
    Restart,
    Closed(String),
}

/// How long to wait before fetching the engine's chunk again after it did not arrive: the
/// first time, and at most (doubling in between).
#[cfg(feature = "split")]
const FETCH_AGAIN: (Duration, Duration) = (Duration::from_secs(5), Duration::from_secs(60));

/// Runs the engine for the life of the app. With the `split` feature its code (the session,
/// receiving, upkeep, membership) is a chunk of its own, fetched once the documents have
/// loaded, so the first screen never waits for it. If the chunk cannot be fetched (offline
/// before the app was kept here), it is asked for again after 5 seconds, then less and less
/// often, up to once a minute; meanwhile saves go to the outbox as always, and the events wait
/// in their channel.
pub(super) async fn run(engine: Rc<Engine>, events: UnboundedReceiver<Event>) {
    #[cfg(feature = "split")]
    {
        let (mut wait, longest) = FETCH_AGAIN;
        while fetch_engine().await.is_err() {
            platform::sleep(wait).await;
            wait = (wait * 2).min(longest);
        }
        if let Ok(session) = drive(engine, events).await {
            session.await;
        }
    }
    #[cfg(not(feature = "split"))]
    {
        // Without the feature nothing is fetched, so nothing can fail to arrive.
        if let Ok(session) = drive(engine, events) {
            session.await;
        }
    }
}

/// The split point: everything only `Engine::run` reaches is in the chunk.
#[cfg_attr(
    feature = "split",
    leptos::wasm_split::wasm_split(
        sync,
        wasm_split_path = ::leptos::wasm_split,
        fallible,
        preload(fetch_engine)
    )
)]
fn drive(
    engine: Rc<Engine>,
    events: UnboundedReceiver<Event>,
) -> Result<Pin<Box<dyn Future<Output = ()>>>, NotLoaded> {
    Ok(Box::pin(engine.run(events)))
}

impl Engine {
    pub(super) fn nudge(&self, event: Event) {
        // Only fails once the engine has stopped: nothing left to nudge.
        let _stopped = self.events.unbounded_send(event);
    }

    pub(super) fn account(&self) -> Option<Account> {
        self.repo.with_account(|a| a.cloned())
    }

    pub(super) async fn run(self: Rc<Self>, mut events: UnboundedReceiver<Event>) {
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
                if let Some(space) = account.space_for_doc(doc)
                    && let Some(refs) = space.refs()
                {
                    let doc_ref = refs.doc_ref(&doc.to_string());
                    if let Some(docs) = self.cursors.borrow_mut().0.get_mut(&space.id().to_string()) {
                        docs.remove(&doc_ref.to_string());
                    }
                    self.recovering.borrow_mut().entry(space.id()).or_default().push(target);
                }
            }
        }
        self.count_waiting().await;
        let nudges = self.events.clone();
        spawn_local(async move {
            // For the life of the app; stops once the engine is gone.
            while nudges.unbounded_send(Event::Refollow).is_ok() {
                platform::sleep(REFOLLOW_EVERY).await;
            }
        });
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
            self.logged.borrow_mut().clear();
            self.members_requests.borrow_mut().clear();
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
                // The engine may have moved on already (online again): nobody waits for it.
                let _moved_on = wake.unbounded_send(());
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

    pub(super) fn open(&self) -> Result<Socket, JsValue> {
        open_socket(self.events.clone())
    }

    pub(super) fn send(&self, frame: &ClientFrame) {
        // On failure the socket is closing; its close event restarts the session, which sends
        // everything again (the outbox is durable).
        if let Some(socket) = self.socket.borrow().as_ref()
            && let Err(e) = socket.ws.send_with_u8_array(&frame.encode())
        {
            platform::warn(&format!("a frame was not sent: {e:?}"));
        }
    }

    pub(super) async fn session(&self, events: &mut UnboundedReceiver<Event>, attempt: &mut u32) -> Ended {
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
                        self.send(&ClientFrame::Auth {
                            device: account.device.id(),
                            signature,
                            certs,
                            compact: true,
                        });
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
                                self.follow(&account, space, &admitted);
                            }
                        }
                        self.send_outbox().await;
                    }
                    Ok(RelayFrame::Blob { seq, blob }) => self.receive(&blob, seq, None).await,
                    Ok(RelayFrame::Snapshot { covers, blob }) => {
                        self.receive(&blob, covers, Some(covers)).await
                    }
                    Ok(RelayFrame::CaughtUp { space }) => self.caught_up(space).await,
                    Ok(RelayFrame::Ack { request, .. }) if request >= MEMBERS_REQUEST => {
                        self.members_answered(request, None)
                    }
                    Ok(RelayFrame::Ack { request, doc, seq }) => self.acknowledged(request, doc, seq).await,
                    Ok(RelayFrame::Reject { request, code, message }) if request >= MEMBERS_REQUEST => {
                        self.members_answered(request, Some((code, &message)))
                    }
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
                    Ok(RelayFrame::Members { space, ops }) => self.members(space, ops).await,
                    Ok(RelayFrame::Removed { space }) => self.removed(space).await,
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
                    if let Some(account) = self.account()
                        && let Some(joined) = account.space(space)
                    {
                        self.follow(&account, joined, &[]);
                        self.send_outbox().await;
                    }
                }
                Event::Publish(ops) if welcomed => self.publish(ops).await,
                Event::Refollow if welcomed => {
                    if let Some(account) = self.account() {
                        let logged = self.logged.borrow().clone();
                        for space in account
                            .spaces
                            .iter()
                            .filter(|s| s.governed().is_some() && !logged.contains(&s.id()))
                        {
                            self.follow(&account, space, &[]);
                        }
                    }
                }
                Event::Outbox
                | Event::Joined(_)
                | Event::Publish(_)
                | Event::Refollow
                | Event::Online
                | Event::Retry => {}
            }
        }
        Ended::Closed("the app is closing".to_owned())
    }

    /// Seals `bytes` of local document `doc` for its space.
    pub(super) fn seal(&self, doc: DocId, bytes: &[u8], kind: PayloadKind, covers: u64) -> Option<Outgoing> {
        // Read-only spaces seal nothing: their documents are never written here.
        self.repo.account_untracked(|account| account?.seal(doc, bytes, kind, covers))
    }

    pub(super) async fn count_waiting(&self) {
        if let Ok(n) = self.storage.outbox_len().await {
            self.sync.waiting.set(n);
        }
    }

    pub(super) async fn save_cursors(&self) {
        let json = serde_json::to_string(&*self.cursors.borrow()).expect("cursors serialize");
        if let Err(e) = self.storage.put_kv(CURSORS, &JsValue::from_str(&json)).await {
            // Older cursors only mean the relay sends some blobs again, which changes nothing.
            platform::warn(&format!("could not keep the sync cursors: {e}"));
        }
    }
}
