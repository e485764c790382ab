//! One connection's session: authentication, then frames in order until the client leaves,
//! stalls, misbehaves or the relay shuts down.
//!
//! A session is generic over a `Sink` of [`Outbound`] and a `Stream` of [`Inbound`], so tests
//! drive it with channels; `lib.rs` adapts axum's WebSocket to it. Each session has a send task
//! fed by a queue bounded in bytes (a slow reader slows only itself, and is dropped when it
//! stops reading) and a receive loop; when either ends, both end.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use amplify::{
    Cert, CertRole, ClientFrame, DeviceId, DocRef, Fatal, MAX_AUTH_CERTS, Reject, RelayFrame, Sealed,
    SpaceId, SpaceRegistration, blob_frame, compact_frame, encode_sealed,
    members::{MemberRole, Op},
    snapshot_frame, verify_challenge, verify_erase,
};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, oneshot};

use super::{Event, EventKind, Follower, Hub, Queued, governed::Refusal, permits};
use crate::{
    net::Gate,
    store::{Append, Appended, Change, Item, Scope, Snapshot, StoreError},
};

/// A message from the client, as the session sees it.
#[derive(Debug)]
pub enum Inbound {
    Binary(Vec<u8>),
    Text,
    /// A ping or a pong: the client is there.
    Alive,
    /// The transport refused a message over the size limit.
    TooLarge,
    Closed,
}

/// A message to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Binary(Vec<u8>),
    Ping,
    Close { code: u16, reason: String },
}

/// A message in a session's send queue, holding its share of the send budgets until written.
struct Sending {
    message: Outbound,
    _budget: Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)>,
}

/// Puts a session may have handed to the writer before the first of them is committed: enough
/// for the writer to commit a client's burst in a few transactions, little memory per session.
const IN_FLIGHT: usize = 64;
const IN_FLIGHT_BYTES: usize = 2 << 20;

/// A put or a snapshot handed to the writer.
struct InFlight {
    request: u32,
    space: SpaceId,
    doc: DocRef,
    bytes: usize,
    answer: Answer,
}

/// What the writer will answer for a write in flight.
enum Answer {
    Append {
        raw: Vec<u8>,
        answer: oneshot::Receiver<Appended>,
    },
    /// A snapshot covering the log up to `covers`.
    Snapshot {
        covers: u64,
        answer: oneshot::Receiver<Result<(), StoreError>>,
    },
}

/// What the writer answered.
enum Landed {
    Append(Appended),
    Snapshot(Result<(), StoreError>),
}

/// The writer's answer to the oldest write in flight (never, if none is).
async fn first_answer(in_flight: &mut VecDeque<InFlight>) -> Landed {
    let stopped = || StoreError::Interrupted("the writer stopped".to_owned());
    match in_flight.front_mut().map(|oldest| &mut oldest.answer) {
        Some(Answer::Append { answer, .. }) => {
            Landed::Append(answer.await.unwrap_or_else(|_| Err(stopped())))
        }
        Some(Answer::Snapshot { answer, .. }) => {
            Landed::Snapshot(answer.await.unwrap_or_else(|_| Err(stopped())))
        }
        None => std::future::pending().await,
    }
}

/// Serves one connection until it closes. `gate`, when the connection came through the
/// relay's listener, is told when the device has proved its key and when each frame is done.
pub async fn session<Tx, Rx>(hub: Arc<Hub>, sink: Tx, stream: Rx, gate: Option<Arc<Gate>>)
where
    Tx: Sink<Outbound> + Send + Unpin + 'static,
    Rx: Stream<Item = Inbound> + Send + Unpin,
{
    hub.metrics.connections.fetch_add(1, Ordering::Relaxed);
    let (queue, outgoing) = mpsc::channel::<Sending>(1024);
    let writer = tokio::spawn(write(sink, outgoing, hub.limits.send_timeout, hub.clone()));
    let (queue_live, live) = mpsc::channel::<Queued>(1024);
    let mut session = Session {
        own_budget: Arc::new(Semaphore::new(hub.limits.session_send_bytes)),
        hub: hub.clone(),
        queue,
        gate,
        device: None,
        admitted: HashSet::new(),
        verified: HashSet::new(),
        following: HashSet::new(),
        sent: HashMap::new(),
        queue_live,
        live: Some(live),
        live_bytes: Arc::default(),
        behind: Arc::default(),
        refused: 0,
        rejected: HashMap::new(),
        in_flight: VecDeque::new(),
        in_flight_bytes: 0,
        compact: false,
    };
    let outcome = session.run(stream).await;
    // Puts the writer took are stored whether or not the client is still there: followers
    // must hear of them now, not at their next connection.
    session.settle().await;
    if !session.rejected.is_empty() {
        // One line per connection, however many frames it had refused: no log amplification.
        tracing::info!(device = ?session.device, rejected = ?session.rejected, "refused frames on this connection");
    }
    if let Err(Closing(code, message)) = outcome {
        if code != Fatal::ShuttingDown {
            hub.metrics.closed_for_errors.fetch_add(1, Ordering::Relaxed);
            tracing::info!(device = ?session.device, ?code, message, "closing connection");
        }
        let error = RelayFrame::Error { code, message: message.clone() }.encode();
        let _ = session.queue.try_send(Sending { message: Outbound::Binary(error), _budget: None });
        let close = Outbound::Close { code: close_code(code), reason: message };
        let _ = session.queue.try_send(Sending { message: close, _budget: None });
    }
    drop(session);
    let _ = writer.await;
    hub.metrics.connections.fetch_sub(1, Ordering::Relaxed);
}

/// Sends queued messages; gives up on a client that does not take one within `timeout`.
async fn write<Tx: Sink<Outbound> + Unpin>(
    mut sink: Tx,
    mut outgoing: mpsc::Receiver<Sending>,
    timeout: Duration,
    hub: Arc<Hub>,
) {
    while let Some(Sending { message, _budget }) = outgoing.recv().await {
        let closing = matches!(message, Outbound::Close { .. });
        match tokio::time::timeout(timeout, sink.send(message)).await {
            Ok(Ok(())) if !closing => {}
            Ok(_) => break,
            Err(_) => {
                hub.metrics.dropped_slow_readers.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
    }
    // Closing may itself wait on a client that reads nothing.
    let _ = tokio::time::timeout(timeout, sink.close()).await;
}

/// The WebSocket close code for each reason to close.
fn close_code(code: Fatal) -> u16 {
    match code {
        Fatal::Unauthorized => 4401,
        Fatal::Malformed => 1007,
        Fatal::TooLarge => 1009,
        Fatal::ProtocolViolation => 1002,
        Fatal::ShuttingDown | Fatal::Refused => 1001,
        Fatal::TimedOut => 4408,
    }
}

/// Why a session ends early (the client is told, then the connection closes).
struct Closing(Fatal, String);

impl Closing {
    fn new(code: Fatal, message: impl Into<String>) -> Closing {
        Closing(code, message.into())
    }
}

/// The client went away: end quietly.
struct Gone;

enum Stop {
    Closing(Closing),
    Gone,
}

impl From<Closing> for Stop {
    fn from(c: Closing) -> Stop {
        Stop::Closing(c)
    }
}

impl From<Gone> for Stop {
    fn from(_: Gone) -> Stop {
        Stop::Gone
    }
}

struct Session {
    hub: Arc<Hub>,
    queue: mpsc::Sender<Sending>,
    /// Bytes this client may have queued (see `Limits::session_send_bytes`).
    own_budget: Arc<Semaphore>,
    gate: Option<Arc<Gate>>,
    device: Option<DeviceId>,
    admitted: HashSet<SpaceId>,
    /// Certificates already verified on this connection: checking one costs a signature
    /// verification, and every blob carries its author's.
    verified: HashSet<Cert>,
    /// Spaces this client subscribed to.
    following: HashSet<SpaceId>,
    /// The last sequence number sent to this client for each stored document it follows
    /// (never more entries than those documents).
    sent: HashMap<(SpaceId, DocRef), u64>,
    /// Live blobs of followed spaces arrive here (the receiving end is taken by `run`).
    queue_live: mpsc::Sender<Queued>,
    live: Option<mpsc::Receiver<Queued>>,
    live_bytes: Arc<AtomicUsize>,
    behind: Arc<AtomicBool>,
    /// Frames refused for cause so far.
    refused: u32,
    /// What was refused, by code, for the one log line at the end.
    rejected: HashMap<&'static str, u32>,
    /// Puts handed to the writer and not answered yet, oldest first: the session reads the
    /// next frame meanwhile, so a burst of puts shares the writer's commits.
    in_flight: VecDeque<InFlight>,
    in_flight_bytes: usize,
    /// The client reads blobs in the compact form (certificates by reference): every frame of
    /// a blob goes through [`compact_frame`] on its way out. Clients from before get the full
    /// form, as the relay keeps it.
    compact: bool,
}

impl Session {
    async fn run<Rx: Stream<Item = Inbound> + Unpin>(&mut self, mut stream: Rx) -> Result<(), Closing> {
        match self.authenticate(&mut stream).await {
            Ok(()) => {}
            Err(Stop::Closing(c)) => return Err(c),
            Err(Stop::Gone) => return Ok(()),
        }
        let mut events = self.live.take().expect("run is called once");
        let mut shutdown = self.hub.shutdown.clone();
        let mut bucket = Bucket::new(self.hub.limits.burst, self.hub.limits.blobs_per_second);
        let mut ping = tokio::time::interval(self.hub.limits.ping_interval);
        ping.tick().await;
        let mut heard = Instant::now();
        loop {
            let step = tokio::select! {
                inbound = stream.next() => {
                    heard = Instant::now();
                    let step = match inbound {
                        None | Some(Inbound::Closed) => return Ok(()),
                        Some(Inbound::Alive) => Ok(()),
                        Some(Inbound::TooLarge) => {
                            let limit = self.hub.limits.max_frame_bytes;
                            Err(Closing::new(Fatal::TooLarge, format!("frames may be at most {limit} bytes")).into())
                        }
                        Some(Inbound::Text) => Err(Closing::new(Fatal::ProtocolViolation, "the relay speaks binary frames only").into()),
                        Some(Inbound::Binary(bytes)) => match ClientFrame::decode(&bytes) {
                            Ok(frame) => self.handle(frame, &mut bucket).await,
                            Err(e) => Err(Closing::new(Fatal::Malformed, format!("unreadable frame: {e}")).into()),
                        },
                    };
                    // The frame is handled: its bytes no longer count as a frame in progress.
                    if let Some(gate) = &self.gate {
                        gate.frame_done();
                    }
                    step
                }
                stored = first_answer(&mut self.in_flight), if !self.in_flight.is_empty() => {
                    self.landed(stored).await
                }
                event = events.recv() => match event {
                    Some(queued) => {
                        self.live_bytes.fetch_sub(queued.event.frame.len(), Ordering::Relaxed);
                        // If the queue overflowed, read what was dropped from the store instead.
                        if self.behind.swap(false, Ordering::Relaxed) {
                            drop(queued);
                            self.catch_up_all().await
                        } else {
                            self.forward(queued).await
                        }
                    }
                    None => return Ok(()),
                },
                _ = ping.tick() => {
                    if heard.elapsed() > self.hub.limits.idle_timeout {
                        self.hub.metrics.timed_out.fetch_add(1, Ordering::Relaxed);
                        Err(Closing::new(Fatal::TimedOut, "nothing heard from this client for too long").into())
                    } else {
                        self.send_message(Outbound::Ping, 0).await
                    }
                }
                changed = shutdown.changed() => {
                    let stopping = changed.is_err() || *shutdown.borrow_and_update();
                    if stopping {
                        Err(Closing::new(Fatal::ShuttingDown, "the relay is restarting; reconnect in a moment").into())
                    } else {
                        Ok(())
                    }
                }
            };
            match step {
                Ok(()) => {}
                Err(Stop::Closing(c)) => return Err(c),
                Err(Stop::Gone) => return Ok(()),
            }
        }
    }

    /// Queues `message` once its bytes fit this client's budget and the relay's; a client that
    /// reads nothing for `send_timeout` is given up on.
    async fn send_message(&self, message: Outbound, size: usize) -> Result<(), Stop> {
        let budget = if size == 0 {
            None
        } else {
            let own = permits(size.min(self.hub.limits.session_send_bytes));
            let all = permits(size.min(self.hub.limits.send_bytes));
            let acquire = async {
                let mine = self.own_budget.clone().acquire_many_owned(own).await.ok()?;
                let shared = self.hub.send_budget.clone().acquire_many_owned(all).await.ok()?;
                Some((mine, shared))
            };
            match tokio::time::timeout(self.hub.limits.send_timeout, acquire).await {
                Ok(Some(permits)) => Some(permits),
                Ok(None) => return Err(Gone.into()),
                Err(_) => {
                    self.hub.metrics.dropped_slow_readers.fetch_add(1, Ordering::Relaxed);
                    return Err(Closing::new(Fatal::TimedOut, "this client stopped reading").into());
                }
            }
        };
        self.queue.send(Sending { message, _budget: budget }).await.map_err(|_| Gone.into())
    }

    async fn send(&self, frame: Vec<u8>) -> Result<(), Stop> {
        let frame = if self.compact { compact_frame(frame) } else { frame };
        let size = frame.len();
        self.send_message(Outbound::Binary(frame), size).await
    }

    async fn authenticate<Rx: Stream<Item = Inbound> + Unpin>(
        &mut self,
        stream: &mut Rx,
    ) -> Result<(), Stop> {
        let mut nonce = [0u8; 32];
        getrandom::fill(&mut nonce)
            .map_err(|e| Closing::new(Fatal::Unauthorized, format!("no randomness: {e}")))?;
        self.send(RelayFrame::Challenge { nonce }.encode()).await?;
        let first = loop {
            match tokio::time::timeout(self.hub.limits.auth_timeout, stream.next()).await {
                Ok(Some(Inbound::Binary(bytes))) => break bytes,
                Ok(Some(Inbound::Alive)) => {}
                Ok(None | Some(Inbound::Closed)) => return Err(Gone.into()),
                Ok(Some(_)) => return Err(Closing::new(Fatal::Unauthorized, "expected an Auth frame").into()),
                Err(_) => {
                    self.hub.metrics.timed_out.fetch_add(1, Ordering::Relaxed);
                    return Err(Closing::new(Fatal::Unauthorized, "no Auth frame in time").into());
                }
            }
        };
        let Ok(ClientFrame::Auth { device, signature, certs, compact }) = ClientFrame::decode(&first) else {
            return Err(Closing::new(
                Fatal::Unauthorized,
                "expected an Auth frame (with at most 64 certificates)",
            )
            .into());
        };
        let signed_certs = certs.iter().any(|c| c.role != CertRole::Governed);
        // Claims to governed spaces are checked against their membership logs below.
        let claims: Vec<SpaceId> = certs
            .iter()
            .filter(|c| c.role == CertRole::Governed && c.device == device)
            .map(|c| c.space)
            .collect();
        // Up to 65 signature checks: off the async workers.
        let checked = self
            .hub
            .verify(move || {
                let proved = verify_challenge(&nonce, device, &signature).is_ok();
                let valid: HashSet<Cert> =
                    certs.into_iter().filter(|c| c.device == device && c.verify().is_ok()).collect();
                (proved, valid)
            })
            .await;
        let Some((proved, valid)) = checked else {
            return Err(Closing::new(Fatal::Unauthorized, "the relay could not check the credentials").into());
        };
        if !proved {
            return Err(
                Closing::new(Fatal::Unauthorized, "the device key's signature does not verify").into()
            );
        }
        self.verified = valid;
        self.admitted = self.verified.iter().map(|c| c.space).collect();
        // Every governed space the device is a member of, claimed or not: a device restored from
        // a recovery code learns its spaces this way.
        let known = match self.hub.blocking(move |s| s.spaces_of(device, MAX_AUTH_CERTS)).await {
            Ok(spaces) => spaces,
            Err(e) => {
                tracing::error!(error = %e, "reading a device's spaces failed");
                Vec::new()
            }
        };
        for space in claims.into_iter().chain(known) {
            if self.admitted.len() < MAX_AUTH_CERTS && self.hub.is_member(space, device).await {
                self.admitted.insert(space);
            }
        }
        // A device with no space yet may come in to create its first one; certificates that
        // admit nothing are refused.
        if self.admitted.is_empty() && signed_certs {
            return Err(
                Closing::new(Fatal::Unauthorized, "no certificate admits this device to any space").into()
            );
        }
        self.device = Some(device);
        self.compact = compact;
        if let Some(gate) = &self.gate {
            gate.authenticated();
        }
        let spaces: Vec<SpaceId> = self.admitted.iter().copied().collect();
        // Before the welcome, so the client registers what it can before it sends anything.
        self.tell_unregistered(spaces.clone()).await?;
        self.send(RelayFrame::Welcome { device, spaces }.encode()).await
    }

    /// Says which of `spaces` this relay stores nothing for, if any.
    async fn tell_unregistered(&mut self, spaces: Vec<SpaceId>) -> Result<(), Stop> {
        match self.hub.blocking(move |s| s.unregistered(&spaces)).await {
            Ok(spaces) if spaces.is_empty() => Ok(()),
            Ok(spaces) => Ok(self.send(RelayFrame::Unregistered { spaces }.encode()).await?),
            Err(e) => {
                tracing::error!(error = %e, "reading registrations failed");
                Ok(())
            }
        }
    }

    async fn handle(&mut self, frame: ClientFrame, bucket: &mut Bucket) -> Result<(), Stop> {
        let request = match &frame {
            ClientFrame::Put { request, .. } | ClientFrame::Snapshot { request, .. } => *request,
            _ => 0,
        };
        // Every frame but a ping costs a token, refused or not: nothing is free to repeat.
        if !matches!(frame, ClientFrame::Ping) && !bucket.take(Instant::now()) {
            return self
                .reject(request, Reject::RateLimited, "too many frames at once; slow down and retry")
                .await;
        }
        // Everything but a put, a snapshot or a ping may read or change what the writer is
        // storing: the writes before it land first, so each frame sees the ones sent before it.
        // (Puts and snapshots queue for the one writer, which stores them in the order sent.)
        let queued = matches!(frame, ClientFrame::Put { .. } | ClientFrame::Snapshot { .. });
        if !queued && !matches!(frame, ClientFrame::Ping | ClientFrame::Presence { .. }) {
            self.land_all().await?;
        }
        match frame {
            ClientFrame::Auth { .. } => {
                Err(Closing::new(Fatal::ProtocolViolation, "already authenticated").into())
            }
            ClientFrame::Admit { cert } => self.admit(cert).await,
            ClientFrame::Subscribe { space, cursors } => {
                if !self.admitted.contains(&space) {
                    if self.was_member(space).await {
                        return self.send(RelayFrame::Removed { space }.encode()).await;
                    }
                    return self.reject(0, Reject::NotAdmitted, "no certificate for this space").await;
                }
                let cursors: HashMap<DocRef, u64> = cursors.into_iter().collect();
                self.catch_up(space, Some(cursors)).await
            }
            ClientFrame::Register { registration } => self.register(registration).await,
            ClientFrame::Members { request, space, ops } => self.members(request, space, ops).await,
            ClientFrame::Erase { request, space, signature } => self.erase(request, space, signature).await,
            ClientFrame::Put { request, blob } => {
                if let Some((code, why)) = self.refuse(&blob).await {
                    return self.reject(request, code, why).await;
                }
                self.put(request, blob).await
            }
            ClientFrame::Snapshot { request, covers, blob } => {
                if let Some((code, why)) = self.refuse(&blob).await {
                    return self.reject(request, code, why).await;
                }
                self.snapshot(request, covers, blob).await
            }
            ClientFrame::Ping => Ok(self.send(RelayFrame::Pong.encode()).await?),
            ClientFrame::Presence { blob } => {
                if let Some((code, why)) = self.refuse(&blob).await {
                    return self.reject(0, code, why).await;
                }
                let (space, doc) = (blob.space, blob.doc);
                let frame = Arc::new(RelayFrame::Presence { blob }.encode());
                self.hub.store.announce(&Change::Presence { space, doc, frame: frame.clone() });
                self.hub.publish(&Event { space, doc, seq: 0, frame, kind: EventKind::Presence });
                Ok(())
            }
        }
    }

    async fn admit(&mut self, cert: Cert) -> Result<(), Stop> {
        if self.admitted.len() >= MAX_AUTH_CERTS && !self.admitted.contains(&cert.space) {
            return self
                .reject(0, Reject::NotAdmitted, "this connection follows as many spaces as it may")
                .await;
        }
        if cert.role == CertRole::Governed {
            let member =
                Some(cert.device) == self.device && self.hub.is_member(cert.space, cert.device).await;
            if !member {
                if self.was_member(cert.space).await {
                    // Removed while away: told so, once, instead of a bare refusal.
                    return self.send(RelayFrame::Removed { space: cert.space }.encode()).await;
                }
                return self
                    .reject(0, Reject::NotAdmitted, "the space's members do not include this device")
                    .await;
            }
            self.admitted.insert(cert.space);
            return self.tell_unregistered(vec![cert.space]).await;
        }
        let valid = Some(cert.device) == self.device
            && self.hub.verify(move || cert.verify().is_ok()).await == Some(true);
        if !valid {
            return self.reject(0, Reject::NotAdmitted, "the certificate does not admit this device").await;
        }
        self.admitted.insert(cert.space);
        self.verified.insert(cert);
        self.tell_unregistered(vec![cert.space]).await
    }

    async fn register(&mut self, registration: SpaceRegistration) -> Result<(), Stop> {
        // A space being created (no members yet) is registered before its genesis is sent;
        // any other only by a connection admitted to it.
        let new = self.hub.membership(registration.space).await.is_none();
        if !self.admitted.contains(&registration.space) && !new {
            return self
                .reject(0, Reject::NotAdmitted, "register only spaces this connection was admitted to")
                .await;
        }
        if self.hub.verify(move || registration.verify()).await != Some(true) {
            return self.reject(0, Reject::Forged, "the registration's signature does not verify").await;
        }
        let SpaceRegistration { space, registration, .. } = registration;
        match self.hub.blocking(move |s| s.register(space, registration)).await {
            Ok(()) => Ok(()),
            Err(StoreError::UnknownRegistration) => {
                self.reject(
                    0,
                    Reject::NotRegistered,
                    "this relay does not know that registration, or it was revoked",
                )
                .await
            }
            Err(e) => {
                tracing::error!(error = %e, "registering a space failed");
                self.reject(0, Reject::Unavailable, "the relay could not register this space; try again")
                    .await
            }
        }
    }

    /// Membership operations for a governed space: checked against its log, stored, passed on.
    async fn members(&mut self, request: u32, space: SpaceId, ops: Vec<Op>) -> Result<(), Stop> {
        if ops.iter().any(|op| op.space != space) {
            return self.reject(request, Reject::NotAllowed, "an operation of another space").await;
        }
        match self.hub.add_membership(space, ops).await {
            Ok(state) => {
                if let Some(device) = self.device
                    && state.member(device).is_some()
                {
                    self.admitted.insert(space);
                }
                Ok(self.send(RelayFrame::Ack { request, doc: DocRef([0; 16]), seq: 0 }.encode()).await?)
            }
            Err(Refusal::NotAllowed(why)) => self.reject(request, Reject::NotAllowed, &why).await,
            Err(Refusal::Store(e)) => self.refused_by_store(request, e).await,
        }
    }

    /// A person erasing their own space: the request is signed by the space's key.
    async fn erase(&mut self, request: u32, space: SpaceId, signature: [u8; 64]) -> Result<(), Stop> {
        // A governed space is erased by one of its admins; an older one by its own key.
        let signers: Vec<[u8; 32]> = match self.hub.membership(space).await {
            Some(state) => {
                state.members().filter(|m| m.role == MemberRole::Admin).map(|m| m.device.0).collect()
            }
            None => vec![space.0],
        };
        let signed = move || signers.iter().any(|signer| verify_erase(space, signer, &signature));
        if self.hub.verify(signed).await != Some(true) {
            return self
                .reject(request, Reject::Forged, "the erase request is not signed by the space")
                .await;
        }
        match self.hub.erase(space).await {
            Ok(()) => {
                tracing::info!(?space, "erased a space at its owner's request");
                self.admitted.remove(&space);
                self.following.remove(&space);
                Ok(self.send(RelayFrame::Ack { request, doc: DocRef([0; 16]), seq: 0 }.encode()).await?)
            }
            Err(e) => self.refused_by_store(request, e).await,
        }
    }

    /// Hands a blob to the writer and goes on reading frames; [`Session::landed`] acknowledges
    /// it once it is durable. At most [`IN_FLIGHT`] writes (and [`IN_FLIGHT_BYTES`]) wait at once.
    async fn put(&mut self, request: u32, blob: Sealed) -> Result<(), Stop> {
        let raw = encode_sealed(&blob);
        self.make_room(raw.len()).await?;
        let hash: [u8; 32] = Sha256::digest(&raw).into();
        let (space, doc, author) = (blob.space, blob.doc, blob.author);
        let max_docs = self.hub.limits.max_docs_per_space;
        let answer = self.hub.submit(Append { space, doc, author, hash, blob: raw.clone(), max_docs });
        let bytes = raw.len();
        self.track(InFlight { request, space, doc, bytes, answer: Answer::Append { raw, answer } });
        Ok(())
    }

    /// Hands a snapshot to the writer like a put: the snapshots a device sends after a
    /// catch-up are stored together, in the writer's next group commit.
    async fn snapshot(&mut self, request: u32, covers: u64, blob: Sealed) -> Result<(), Stop> {
        let raw = encode_sealed(&blob);
        self.make_room(raw.len()).await?;
        let (space, doc, bytes) = (blob.space, blob.doc, raw.len());
        let answer =
            self.hub.submit_snapshot(Snapshot { space, doc, author: blob.author, covers, blob: raw });
        self.track(InFlight { request, space, doc, bytes, answer: Answer::Snapshot { covers, answer } });
        Ok(())
    }

    /// Counts a write just handed to the writer as in flight, behind those before it.
    fn track(&mut self, write: InFlight) {
        self.in_flight_bytes += write.bytes;
        self.in_flight.push_back(write);
    }

    /// Waits for the oldest writes to land until one of `bytes` more may be in flight.
    async fn make_room(&mut self, bytes: usize) -> Result<(), Stop> {
        while !self.in_flight.is_empty()
            && (self.in_flight.len() >= IN_FLIGHT || self.in_flight_bytes + bytes > IN_FLIGHT_BYTES)
        {
            self.land_next().await?;
        }
        Ok(())
    }

    async fn land_next(&mut self) -> Result<(), Stop> {
        let stored = first_answer(&mut self.in_flight).await;
        self.landed(stored).await
    }

    async fn land_all(&mut self) -> Result<(), Stop> {
        while !self.in_flight.is_empty() {
            self.land_next().await?;
        }
        Ok(())
    }

    /// Once the session ends: records and passes on what the writer stored, answering no one.
    async fn settle(&mut self) {
        while !self.in_flight.is_empty() {
            let stored = first_answer(&mut self.in_flight).await;
            self.record(&stored);
        }
    }

    /// Answers the oldest write in flight, which the writer is done with.
    async fn landed(&mut self, landed: Landed) -> Result<(), Stop> {
        let (request, doc, covers) = self.record(&landed);
        match landed {
            Landed::Append(Ok((seq, _))) => {
                Ok(self.send(RelayFrame::Ack { request, doc, seq }.encode()).await?)
            }
            Landed::Snapshot(Ok(())) => {
                Ok(self.send(RelayFrame::Ack { request, doc, seq: covers }.encode()).await?)
            }
            Landed::Snapshot(Err(StoreError::SnapshotBeyondLog { covers, last })) => {
                let why = format!("the snapshot covers up to {covers} but the log ends at {last}");
                self.reject(request, Reject::BadSnapshot, &why).await
            }
            Landed::Append(Err(e)) | Landed::Snapshot(Err(e)) => self.refused_by_store(request, e).await,
        }
    }

    /// Takes the oldest write off the in-flight queue and counts it if it stored something: a
    /// new blob is handed to the space's followers. Returns its request number, its document
    /// and, for a snapshot, what it covers.
    fn record(&mut self, landed: &Landed) -> (u32, DocRef, u64) {
        let InFlight { request, space, doc, bytes, answer } =
            self.in_flight.pop_front().expect("a write in flight");
        self.in_flight_bytes -= bytes;
        let m = &self.hub.metrics;
        match (answer, landed) {
            (Answer::Append { raw, .. }, Landed::Append(Ok((seq, new)))) => {
                let (seq, new) = (*seq, *new);
                if new {
                    m.blobs_accepted.fetch_add(1, Ordering::Relaxed);
                    m.bytes_accepted.fetch_add(raw.len() as u64, Ordering::Relaxed);
                    m.stored_blobs.fetch_add(1, Ordering::Relaxed);
                    m.stored_bytes.fetch_add(raw.len() as i64, Ordering::Relaxed);
                    // The writer has this blob: when it follows the space and was sent
                    // everything before it, its own copy counts as sent and is not handed back
                    // (on a phone, every change would come down again as it went up). After a
                    // gap it goes out with the blobs before it, in the log's order.
                    let key = (space, doc);
                    if self.following.contains(&space) && self.sent.get(&key).copied().unwrap_or(0) + 1 == seq
                    {
                        self.sent.insert(key, seq);
                    }
                    let frame = Arc::new(blob_frame(seq, &raw));
                    self.hub.publish(&Event { space, doc, seq, frame, kind: EventKind::Blob });
                }
                tracing::debug!(?space, ?doc, seq, bytes = raw.len(), new, "stored blob");
                (request, doc, 0)
            }
            (Answer::Snapshot { covers, .. }, Landed::Snapshot(Ok(()))) => {
                // The blobs it covered are gone: the store tidies up at its next quiet moment.
                self.hub.untidy();
                m.snapshots_accepted.fetch_add(1, Ordering::Relaxed);
                (request, doc, covers)
            }
            (Answer::Snapshot { covers, .. }, _) => (request, doc, covers),
            (Answer::Append { .. }, _) => (request, doc, 0),
        }
    }

    /// Answers a store refusal with the rejection the client can act on.
    async fn refused_by_store(&mut self, request: u32, error: StoreError) -> Result<(), Stop> {
        let (code, why) = match error {
            StoreError::TooManyDocuments(max) => {
                (Reject::TooManyDocuments, format!("this space already has its maximum of {max} documents"))
            }
            StoreError::NotRegistered => (
                Reject::NotRegistered,
                "this space is not registered on this relay (or was revoked)".to_owned(),
            ),
            StoreError::Full(scope) => {
                self.hub.metrics.quota_refusals.fetch_add(1, Ordering::Relaxed);
                let code = match scope {
                    Scope::Space => Reject::SpaceFull,
                    Scope::Registration => Reject::ProgrammeFull,
                    Scope::Device => Reject::DeviceFull,
                    Scope::Relay => Reject::RelayFull,
                };
                (code, format!("the {scope}'s storage on this relay is full"))
            }
            e => {
                tracing::error!(error = %e, "storing failed");
                (Reject::Unavailable, "the relay could not store this; try again".to_owned())
            }
        };
        self.reject(request, code, &why).await
    }

    /// Why a blob must not be stored, if it must not.
    async fn refuse(&self, blob: &Sealed) -> Option<(Reject, &'static str)> {
        if !self.admitted.contains(&blob.space) {
            return Some((Reject::NotAdmitted, "this connection has no certificate for the blob's space"));
        }
        if Some(blob.author) != self.device {
            return Some((Reject::NotAuthor, "a device may only store blobs it wrote"));
        }
        if blob.cert.role == CertRole::Governed {
            let Some(state) = self.hub.membership(blob.space).await else {
                return Some((Reject::NotAdmitted, "this space has no members"));
            };
            if !state.may_write(blob.author) {
                return Some((
                    Reject::ReadOnly,
                    "the space's members do not include this device as a writer",
                ));
            }
            if blob.epoch < state.epoch() {
                return Some((
                    Reject::StaleEpoch,
                    "sealed under a key the space has replaced; seal it again",
                ));
            }
            if blob.epoch > state.epoch() {
                return Some((Reject::NotAllowed, "sealed under an epoch the space does not have"));
            }
            let blob = blob.clone();
            let checked = self.hub.verify(move || blob.verify_signature().is_ok()).await;
            return (checked != Some(true))
                .then_some((Reject::Forged, "the blob's signature does not verify"));
        }
        if blob.cert.role != CertRole::Member {
            return Some((Reject::ReadOnly, "this device may read this space but not write to it"));
        }
        let known = self.verified.contains(&blob.cert);
        let blob = blob.clone();
        let checked = self
            .hub
            .verify(move || if known { blob.verify_signature() } else { blob.verify() }.is_ok())
            .await;
        if checked != Some(true) {
            return Some((Reject::Forged, "the blob's certificate or signature does not verify"));
        }
        None
    }

    async fn reject(&mut self, request: u32, code: Reject, message: &str) -> Result<(), Stop> {
        self.hub.metrics.rejected.fetch_add(1, Ordering::Relaxed);
        *self.rejected.entry(reject_name(code)).or_default() += 1;
        tracing::debug!(device = ?self.device, ?code, message, "rejected");
        if matches!(
            code,
            Reject::Forged | Reject::NotAdmitted | Reject::NotAuthor | Reject::ReadOnly | Reject::NotAllowed
        ) {
            self.refused += 1;
            if self.refused > self.hub.limits.max_refused {
                return Err(Closing::new(Fatal::Refused, "too many refused frames on this connection").into());
            }
        }
        self.send(RelayFrame::Reject { request, code, message: message.to_owned() }.encode()).await?;
        Ok(())
    }

    /// Sends a live blob on, unless this client has it; fills a gap from the store first.
    async fn forward(&mut self, queued: Queued) -> Result<(), Stop> {
        let event = &queued.event;
        if !self.following.contains(&event.space) {
            return Ok(());
        }
        match event.kind {
            EventKind::Blob => {}
            EventKind::Presence => return self.send((*event.frame).clone()).await,
            EventKind::Members => {
                let space = event.space;
                self.send((*event.frame).clone()).await?;
                drop(queued);
                return self.recheck_membership(space).await;
            }
            EventKind::Erased => {
                let space = event.space;
                self.admitted.remove(&space);
                self.following.remove(&space);
                return self.send((*event.frame).clone()).await;
            }
            EventKind::Missed => {
                let (space, doc, seq) = (event.space, event.doc, event.seq);
                drop(queued);
                if seq <= self.sent.get(&(space, doc)).copied().unwrap_or(0) {
                    return Ok(());
                }
                return self.catch_up_doc(space, doc).await;
            }
            EventKind::MissedAll => {
                let space = event.space;
                drop(queued);
                return self.catch_up(space, None).await;
            }
        }
        let sent = self.sent.get(&(event.space, event.doc)).copied().unwrap_or(0);
        if event.seq <= sent {
            return Ok(());
        }
        if event.seq > sent + 1 {
            // Blobs stored concurrently can be announced out of order; the store has them all.
            let (space, doc) = (event.space, event.doc);
            drop(queued);
            return self.catch_up_doc(space, doc).await;
        }
        let (space, doc, seq, frame) = (event.space, event.doc, event.seq, event.frame.clone());
        // The live queue's share of the budget goes when the frame is queued with its own.
        drop(queued);
        self.send((*frame).clone()).await?;
        self.sent.insert((space, doc), seq);
        Ok(())
    }

    /// Whether this connection's device was a member of the governed space `space` once, and is
    /// not now.
    async fn was_member(&self, space: SpaceId) -> bool {
        let Some(device) = self.device else { return false };
        self.hub
            .membership(space)
            .await
            .is_some_and(|s| s.member(device).is_none() && s.person_of(device).is_some())
    }

    /// After a membership change: a device no longer a member is served nothing more.
    async fn recheck_membership(&mut self, space: SpaceId) -> Result<(), Stop> {
        let Some(device) = self.device else { return Ok(()) };
        let Some(state) = self.hub.membership(space).await else { return Ok(()) };
        if state.member(device).is_none() && self.admitted.remove(&space) {
            self.following.remove(&space);
            self.sent.retain(|(s, _), _| *s != space);
            tracing::info!(?space, ?device, "a removed device stops being served");
            self.send(RelayFrame::Removed { space }.encode()).await?;
        }
        Ok(())
    }

    async fn catch_up_all(&mut self) -> Result<(), Stop> {
        let spaces: Vec<SpaceId> = self.following.iter().copied().collect();
        for space in spaces {
            self.catch_up(space, None).await?;
        }
        Ok(())
    }

    /// Sends everything stored for `space` that this client lacks (after `cursors`, for a new
    /// subscription), then [`RelayFrame::CaughtUp`].
    async fn catch_up(&mut self, space: SpaceId, cursors: Option<HashMap<DocRef, u64>>) -> Result<(), Stop> {
        if self.following.insert(space) {
            // Follow before reading the store, so nothing stored meanwhile is missed.
            let follower = Follower {
                queue: self.queue_live.clone(),
                queued: self.live_bytes.clone(),
                behind: self.behind.clone(),
            };
            self.hub.follow(space, follower);
        }
        // A governed space's members first: who wrote what is judged by them.
        if let Some(state) = self.hub.membership(space).await {
            let ops: Vec<Op> = state.ops().into_iter().cloned().collect();
            self.send(RelayFrame::Members { space, ops }.encode()).await?;
        }
        let docs = match self.hub.blocking(move |s| s.documents(space)).await {
            Ok(docs) => docs,
            Err(e) => {
                tracing::error!(error = %e, "reading documents failed");
                return self
                    .reject(0, Reject::Unavailable, "the relay could not read this space; try again")
                    .await;
            }
        };
        for info in docs {
            let sent = self.sent.entry((space, info.doc)).or_insert(0);
            // Cursors count only for documents the relay holds: a made-up one costs nothing.
            if let Some(cursor) = cursors.as_ref().and_then(|c| c.get(&info.doc)) {
                *sent = (*sent).max(*cursor);
            }
            if *sent < info.last {
                self.catch_up_doc(space, info.doc).await?;
            }
        }
        self.send(RelayFrame::CaughtUp { space }.encode()).await
    }

    /// Streams one document's missing blobs, a page at a time, each frame waiting for room in
    /// the client's queue: a client that reads slowly is sent slowly, and nothing piles up.
    async fn catch_up_doc(&mut self, space: SpaceId, doc: DocRef) -> Result<(), Stop> {
        let (page, page_bytes) = (self.hub.limits.catch_up_page, self.hub.limits.catch_up_page_bytes);
        loop {
            let after = self.sent.get(&(space, doc)).copied().unwrap_or(0);
            // The page's memory is reserved before it is read, and held until it is queued.
            let Ok(_held) = self.hub.catch_up_budget.clone().acquire_many_owned(permits(page_bytes)).await
            else {
                return Err(Gone.into());
            };
            let items = match self.hub.blocking(move |s| s.read(space, doc, after, page, page_bytes)).await {
                Ok(items) => items,
                Err(e) => {
                    tracing::error!(error = %e, "reading blobs failed");
                    return self
                        .reject(0, Reject::Unavailable, "the relay could not read this document")
                        .await;
                }
            };
            let blobs = items.iter().filter(|i| matches!(i, Item::Blob { .. })).count();
            let full = blobs == page || items.iter().map(Item::size).sum::<usize>() >= page_bytes;
            if items.is_empty() {
                return Ok(());
            }
            for item in items {
                let (frame, seq) = match item {
                    Item::Snapshot { covers, blob, .. } => (snapshot_frame(covers, &blob), covers),
                    Item::Blob { seq, blob, .. } => (blob_frame(seq, &blob), seq),
                };
                self.send(frame).await?;
                self.sent.insert((space, doc), seq);
            }
            if !full {
                return Ok(());
            }
        }
    }
}

fn reject_name(code: Reject) -> &'static str {
    match code {
        Reject::Forged => "forged",
        Reject::NotAdmitted => "not_admitted",
        Reject::NotAuthor => "not_author",
        Reject::RateLimited => "rate_limited",
        Reject::TooManyDocuments => "too_many_documents",
        Reject::TooLarge => "too_large",
        Reject::BadSnapshot => "bad_snapshot",
        Reject::Unavailable => "unavailable",
        Reject::ReadOnly => "read_only",
        Reject::NotRegistered => "not_registered",
        Reject::SpaceFull | Reject::ProgrammeFull | Reject::DeviceFull | Reject::RelayFull => "full",
        Reject::NotAllowed => "not_allowed",
        Reject::StaleEpoch => "stale_epoch",
    }
}

/// A token bucket: `capacity` frames at once, refilled at `rate` per second.
struct Bucket {
    tokens: f64,
    capacity: f64,
    rate: f64,
    at: Instant,
}

impl Bucket {
    fn new(capacity: f64, rate: f64) -> Bucket {
        Bucket { tokens: capacity, capacity, rate, at: Instant::now() }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_allows_a_burst_then_the_rate() {
        let start = Instant::now();
        let mut bucket = Bucket::new(3.0, 2.0);
        assert!((0..3).all(|_| bucket.take(start)));
        assert!(!bucket.take(start));
        assert!(bucket.take(start + Duration::from_millis(500)));
        assert!(!bucket.take(start + Duration::from_millis(500)));
        // Idle time refills only up to the burst.
        let later = start + Duration::from_secs(60);
        assert_eq!((0..10).filter(|_| bucket.take(later)).count(), 3);
    }
}
