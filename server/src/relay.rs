//! The sync relay: one session per WebSocket connection, sharing a [`Hub`] (the store, the
//! live fan-out, limits, metrics and the shutdown signal).
//!
//! A session is generic over a `Sink` of [`Outbound`] and a `Stream` of [`Inbound`], so tests
//! drive it with channels; `lib.rs` adapts axum's WebSocket to it. Each session has a send task
//! fed by a bounded queue (a slow reader slows only itself) and a receive loop; when either
//! ends, both end.
//!
//! The relay never decrypts anything. It checks that a blob's certificate was signed by the
//! blob's space, that the author signed the blob, and that the author is the device that
//! proved its key on this connection.

use std::{
    collections::{HashMap, HashSet},
    sync::{
        Arc,
        atomic::{AtomicI64, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use amplify::{
    Cert, ClientFrame, DeviceId, DocRef, Fatal, Reject, RelayFrame, Role, Sealed, SpaceId, blob_frame,
    encode_sealed, snapshot_frame, verify_challenge,
};
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use sha2::{Digest, Sha256};
use tokio::sync::{mpsc, watch};

use crate::store::{Append, Item, Store, StoreError};

/// What the relay allows one connection.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest frame accepted; a bigger one closes the connection.
    pub max_frame_bytes: usize,
    /// Sustained blobs per second per connection, and how many may come in a burst.
    pub blobs_per_second: f64,
    pub burst: f64,
    pub max_docs_per_space: u64,
    /// How long a new connection has to prove its key.
    pub auth_timeout: Duration,
    /// Blobs read from the store at a time during catch-up.
    pub catch_up_page: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_frame_bytes: 2 * 1024 * 1024,
            blobs_per_second: 50.0,
            burst: 500.0,
            max_docs_per_space: 10_000,
            auth_timeout: Duration::from_secs(10),
            catch_up_page: 256,
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct Metrics {
    pub connections: AtomicI64,
    pub blobs_accepted: AtomicU64,
    pub bytes_accepted: AtomicU64,
    pub snapshots_accepted: AtomicU64,
    pub rejected: AtomicU64,
    pub closed_for_errors: AtomicU64,
}

/// A blob that was just stored, for every session subscribed to its space.
#[derive(Debug, Clone)]
struct Event {
    space: SpaceId,
    doc: DocRef,
    /// 0 for presence: passed on live, outside any document's log.
    seq: u64,
    /// The encoded [`RelayFrame::Blob`], shared by every session that forwards it.
    frame: Arc<Vec<u8>>,
}

type Reply = tokio::sync::oneshot::Sender<Result<(u64, bool), StoreError>>;

/// A session's live queue, as the hub holds it.
#[derive(Debug, Clone)]
struct Follower {
    queue: mpsc::Sender<Event>,
    /// Set when an event was dropped because the queue was full.
    behind: Arc<std::sync::atomic::AtomicBool>,
}

/// What every session shares.
pub struct Hub {
    store: Arc<dyn Store>,
    /// Appends go through one writer thread that commits whatever queued up meanwhile in one
    /// transaction: one fsync for many blobs (group commit) under load, no wait when idle.
    appends: std::sync::mpsc::Sender<(Append, Reply)>,
    /// Per space, the live queues of the sessions following it: a blob wakes only its
    /// space's followers, not every connection.
    followers: std::sync::Mutex<HashMap<SpaceId, Vec<Follower>>>,
    pub limits: Limits,
    pub metrics: Metrics,
    shutdown: watch::Receiver<bool>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("limits", &self.limits).finish_non_exhaustive()
    }
}

impl Hub {
    /// `shutdown` turning `true` makes every session say so and close.
    pub fn new(store: Arc<dyn Store>, limits: Limits, shutdown: watch::Receiver<bool>) -> Hub {
        let (appends, queue) = std::sync::mpsc::channel::<(Append, Reply)>();
        let writer_store = store.clone();
        std::thread::Builder::new()
            .name("relay-writer".to_owned())
            .spawn(move || {
                // Ends when the hub, the only sender, is dropped.
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    while batch.len() < 512 {
                        match queue.try_recv() {
                            Ok(next) => batch.push(next),
                            Err(_) => break,
                        }
                    }
                    let (items, replies): (Vec<Append>, Vec<Reply>) = batch.into_iter().unzip();
                    for (reply, result) in replies.into_iter().zip(writer_store.append_many(&items)) {
                        let _ = reply.send(result);
                    }
                }
            })
            .expect("a thread for the relay's writer");
        Hub { store, appends, followers: Default::default(), limits, metrics: Metrics::default(), shutdown }
    }

    /// Hands a stored blob to every session following its space. A session whose queue is full
    /// is marked behind and reads what it missed from the store; a closed one is forgotten.
    fn publish(&self, event: Event) {
        let mut followers = self.followers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(list) = followers.get_mut(&event.space) {
            list.retain(|f| match f.queue.try_send(event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    f.behind.store(true, Ordering::Relaxed);
                    true
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            });
            if list.is_empty() {
                followers.remove(&event.space);
            }
        }
    }

    fn follow(&self, space: SpaceId, follower: Follower) {
        let mut followers = self.followers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        followers.entry(space).or_default().push(follower);
    }

    /// Appends a blob through the group-committing writer; durable when this resolves.
    async fn append(&self, item: Append) -> Result<(u64, bool), StoreError> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.appends
            .send((item, reply))
            .map_err(|_| StoreError::Interrupted("the writer stopped".to_owned()))?;
        answer.await.map_err(|_| StoreError::Interrupted("the writer stopped".to_owned()))?
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Runs a blocking store call off the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
            Ok(result) => result,
            Err(join) => Err(StoreError::Interrupted(join.to_string())),
        }
    }
}

/// A message from the client, as the session sees it.
#[derive(Debug)]
pub enum Inbound {
    Binary(Vec<u8>),
    Text,
    /// The transport refused a message over the size limit.
    TooLarge,
    Closed,
}

/// A message to the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outbound {
    Binary(Vec<u8>),
    Close { code: u16, reason: String },
}

/// Serves one connection until it closes.
pub async fn session<Tx, Rx>(hub: Arc<Hub>, sink: Tx, stream: Rx)
where
    Tx: Sink<Outbound> + Send + Unpin + 'static,
    Rx: Stream<Item = Inbound> + Send + Unpin,
{
    hub.metrics.connections.fetch_add(1, Ordering::Relaxed);
    let (queue, outgoing) = mpsc::channel::<Outbound>(256);
    let writer = tokio::spawn(write(sink, outgoing));
    let (queue_live, live) = mpsc::channel::<Event>(1024);
    let mut session = Session {
        hub: hub.clone(),
        queue,
        device: None,
        admitted: HashSet::new(),
        verified: HashSet::new(),
        following: HashSet::new(),
        sent: HashMap::new(),
        queue_live,
        live: Some(live),
        behind: Arc::default(),
    };
    let outcome = session.run(stream).await;
    if let Err(Closing(code, message)) = outcome {
        if code != Fatal::ShuttingDown {
            hub.metrics.closed_for_errors.fetch_add(1, Ordering::Relaxed);
            tracing::info!(device = ?session.device, ?code, message, "closing connection");
        }
        let _ = session
            .queue
            .send(Outbound::Binary(RelayFrame::Error { code, message: message.clone() }.encode()))
            .await;
        let _ = session.queue.send(Outbound::Close { code: close_code(code), reason: message }).await;
    }
    drop(session);
    let _ = writer.await;
    hub.metrics.connections.fetch_sub(1, Ordering::Relaxed);
}

async fn write<Tx: Sink<Outbound> + Unpin>(mut sink: Tx, mut outgoing: mpsc::Receiver<Outbound>) {
    while let Some(message) = outgoing.recv().await {
        let closing = matches!(message, Outbound::Close { .. });
        if sink.send(message).await.is_err() || closing {
            break;
        }
    }
    let _ = sink.close().await;
}

/// The WebSocket close code for each reason to close.
fn close_code(code: Fatal) -> u16 {
    match code {
        Fatal::Unauthorized => 4401,
        Fatal::Malformed => 1007,
        Fatal::TooLarge => 1009,
        Fatal::ProtocolViolation => 1002,
        Fatal::ShuttingDown => 1001,
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
    queue: mpsc::Sender<Outbound>,
    device: Option<DeviceId>,
    admitted: HashSet<SpaceId>,
    /// Certificates already verified on this connection: checking one costs a signature
    /// verification, and every blob carries its author's.
    verified: HashSet<Cert>,
    /// Spaces this client subscribed to.
    following: HashSet<SpaceId>,
    /// The last sequence number sent to this client for each document it follows.
    sent: HashMap<(SpaceId, DocRef), u64>,
    /// Live blobs of followed spaces arrive here (the receiving end is taken by `run`).
    queue_live: mpsc::Sender<Event>,
    live: Option<mpsc::Receiver<Event>>,
    behind: Arc<std::sync::atomic::AtomicBool>,
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
        loop {
            let step = tokio::select! {
                inbound = stream.next() => match inbound {
                    None | Some(Inbound::Closed) => return Ok(()),
                    Some(Inbound::TooLarge) => {
                        let limit = self.hub.limits.max_frame_bytes;
                        Err(Closing::new(Fatal::TooLarge, format!("frames may be at most {limit} bytes")).into())
                    }
                    Some(Inbound::Text) => Err(Closing::new(Fatal::ProtocolViolation, "the relay speaks binary frames only").into()),
                    Some(Inbound::Binary(bytes)) => match ClientFrame::decode(&bytes) {
                        Ok(frame) => self.handle(frame, &mut bucket).await,
                        Err(e) => Err(Closing::new(Fatal::Malformed, format!("unreadable frame: {e}")).into()),
                    },
                },
                event = events.recv() => match event {
                    // If the queue overflowed, read what was dropped from the store instead.
                    Some(_) if self.behind.swap(false, Ordering::Relaxed) => self.catch_up_all().await,
                    Some(event) => self.forward(event).await,
                    None => return Ok(()),
                },
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

    async fn send(&self, frame: Vec<u8>) -> Result<(), Gone> {
        self.queue.send(Outbound::Binary(frame)).await.map_err(|_| Gone)
    }

    async fn authenticate<Rx: Stream<Item = Inbound> + Unpin>(
        &mut self,
        stream: &mut Rx,
    ) -> Result<(), Stop> {
        let mut nonce = [0u8; 32];
        getrandom::fill(&mut nonce)
            .map_err(|e| Closing::new(Fatal::Unauthorized, format!("no randomness: {e}")))?;
        self.send(RelayFrame::Challenge { nonce }.encode()).await?;
        let first = match tokio::time::timeout(self.hub.limits.auth_timeout, stream.next()).await {
            Ok(Some(Inbound::Binary(bytes))) => bytes,
            Ok(None | Some(Inbound::Closed)) => return Err(Gone.into()),
            Ok(Some(_)) => return Err(Closing::new(Fatal::Unauthorized, "expected an Auth frame").into()),
            Err(_) => return Err(Closing::new(Fatal::Unauthorized, "no Auth frame in time").into()),
        };
        let Ok(ClientFrame::Auth { device, signature, certs }) = ClientFrame::decode(&first) else {
            return Err(Closing::new(Fatal::Unauthorized, "expected an Auth frame").into());
        };
        if verify_challenge(&nonce, device, &signature).is_err() {
            return Err(
                Closing::new(Fatal::Unauthorized, "the device key's signature does not verify").into()
            );
        }
        self.verified = certs.into_iter().filter(|c| c.device == device && c.verify().is_ok()).collect();
        self.admitted = self.verified.iter().map(|c| c.space).collect();
        if self.admitted.is_empty() {
            return Err(
                Closing::new(Fatal::Unauthorized, "no certificate admits this device to any space").into()
            );
        }
        self.device = Some(device);
        let spaces = self.admitted.iter().copied().collect();
        self.send(RelayFrame::Welcome { device, spaces }.encode()).await?;
        Ok(())
    }

    async fn handle(&mut self, frame: ClientFrame, bucket: &mut Bucket) -> Result<(), Stop> {
        match frame {
            ClientFrame::Auth { .. } => {
                Err(Closing::new(Fatal::ProtocolViolation, "already authenticated").into())
            }
            ClientFrame::Admit { cert } => {
                if Some(cert.device) == self.device && cert.verify().is_ok() {
                    self.admitted.insert(cert.space);
                    self.verified.insert(cert);
                    Ok(())
                } else {
                    self.reject(0, Reject::NotAdmitted, "the certificate does not admit this device").await
                }
            }
            ClientFrame::Subscribe { space, cursors } => {
                if !self.admitted.contains(&space) {
                    return self.reject(0, Reject::NotAdmitted, "no certificate for this space").await;
                }
                for (doc, seq) in cursors {
                    let sent = self.sent.entry((space, doc)).or_insert(0);
                    *sent = (*sent).max(seq);
                }
                self.catch_up(space).await
            }
            ClientFrame::Put { request, blob } => {
                if let Some((code, why)) = self.refuse(&blob, bucket) {
                    return self.reject(request, code, why).await;
                }
                let raw = encode_sealed(&blob);
                let hash: [u8; 32] = Sha256::digest(&raw).into();
                let (space, doc) = (blob.space, blob.doc);
                let max_docs = self.hub.limits.max_docs_per_space;
                let stored = self.hub.append(Append { space, doc, hash, blob: raw.clone(), max_docs }).await;
                match stored {
                    Ok((seq, new)) => {
                        if new {
                            let m = &self.hub.metrics;
                            m.blobs_accepted.fetch_add(1, Ordering::Relaxed);
                            m.bytes_accepted.fetch_add(raw.len() as u64, Ordering::Relaxed);
                            let frame = Arc::new(blob_frame(seq, &raw));
                            self.hub.publish(Event { space, doc, seq, frame });
                        }
                        tracing::debug!(?space, ?doc, seq, bytes = raw.len(), new, "stored blob");
                        self.send(RelayFrame::Ack { request, doc, seq }.encode()).await?;
                        Ok(())
                    }
                    Err(StoreError::TooManyDocuments(max)) => {
                        let why = format!("this space already has its maximum of {max} documents");
                        self.reject(request, Reject::TooManyDocuments, &why).await
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "storing a blob failed");
                        self.reject(request, Reject::Unavailable, "the relay could not store this; try again")
                            .await
                    }
                }
            }
            ClientFrame::Snapshot { request, covers, blob } => {
                if let Some((code, why)) = self.refuse(&blob, bucket) {
                    return self.reject(request, code, why).await;
                }
                let raw = encode_sealed(&blob);
                let (space, doc) = (blob.space, blob.doc);
                match self.hub.blocking(move |s| s.snapshot(space, doc, covers, &raw)).await {
                    Ok(()) => {
                        self.hub.metrics.snapshots_accepted.fetch_add(1, Ordering::Relaxed);
                        self.send(RelayFrame::Ack { request, doc, seq: covers }.encode()).await?;
                        Ok(())
                    }
                    Err(StoreError::SnapshotBeyondLog { covers, last }) => {
                        let why = format!("the snapshot covers up to {covers} but the log ends at {last}");
                        self.reject(request, Reject::BadSnapshot, &why).await
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "storing a snapshot failed");
                        self.reject(request, Reject::Unavailable, "the relay could not store this; try again")
                            .await
                    }
                }
            }
            ClientFrame::Ping => Ok(self.send(RelayFrame::Pong.encode()).await?),
            ClientFrame::Presence { blob } => {
                if let Some((code, why)) = self.refuse(&blob, bucket) {
                    return self.reject(0, code, why).await;
                }
                let (space, doc) = (blob.space, blob.doc);
                let frame = Arc::new(RelayFrame::Presence { blob }.encode());
                self.hub.publish(Event { space, doc, seq: 0, frame });
                Ok(())
            }
        }
    }

    /// Why a blob must not be stored, if it must not.
    fn refuse(&self, blob: &Sealed, bucket: &mut Bucket) -> Option<(Reject, &'static str)> {
        if !self.admitted.contains(&blob.space) {
            return Some((Reject::NotAdmitted, "this connection has no certificate for the blob's space"));
        }
        if Some(blob.author) != self.device {
            return Some((Reject::NotAuthor, "a device may only store blobs it wrote"));
        }
        if blob.cert.role != Role::Member {
            return Some((Reject::ReadOnly, "this device may read this space but not write to it"));
        }
        let checked =
            if self.verified.contains(&blob.cert) { blob.verify_signature() } else { blob.verify() };
        if checked.is_err() {
            return Some((Reject::Forged, "the blob's certificate or signature does not verify"));
        }
        if !bucket.take(Instant::now()) {
            return Some((Reject::RateLimited, "too many blobs at once; slow down and retry"));
        }
        None
    }

    async fn reject(&self, request: u32, code: Reject, message: &str) -> Result<(), Stop> {
        self.hub.metrics.rejected.fetch_add(1, Ordering::Relaxed);
        tracing::info!(device = ?self.device, ?code, message, "rejected");
        self.send(RelayFrame::Reject { request, code, message: message.to_owned() }.encode()).await?;
        Ok(())
    }

    /// Sends a live blob on, unless this client has it; fills a gap from the store first.
    async fn forward(&mut self, event: Event) -> Result<(), Stop> {
        if !self.following.contains(&event.space) {
            return Ok(());
        }
        if event.seq == 0 {
            return Ok(self.send((*event.frame).clone()).await?);
        }
        let sent = self.sent.get(&(event.space, event.doc)).copied().unwrap_or(0);
        if event.seq <= sent {
            return Ok(());
        }
        if event.seq > sent + 1 {
            // Blobs stored concurrently can be announced out of order; the store has them all.
            return self.catch_up_doc(event.space, event.doc).await;
        }
        self.send((*event.frame).clone()).await?;
        self.sent.insert((event.space, event.doc), event.seq);
        Ok(())
    }

    async fn catch_up_all(&mut self) -> Result<(), Stop> {
        let spaces: Vec<SpaceId> = self.following.iter().copied().collect();
        for space in spaces {
            self.catch_up(space).await?;
        }
        Ok(())
    }

    /// Sends everything stored for `space` that this client lacks, then [`RelayFrame::CaughtUp`].
    async fn catch_up(&mut self, space: SpaceId) -> Result<(), Stop> {
        if self.following.insert(space) {
            // Follow before reading the store, so nothing stored meanwhile is missed.
            self.hub.follow(space, Follower { queue: self.queue_live.clone(), behind: self.behind.clone() });
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
        for (doc, _covers, last) in docs {
            if self.sent.get(&(space, doc)).copied().unwrap_or(0) < last {
                self.catch_up_doc(space, doc).await?;
            }
        }
        self.send(RelayFrame::CaughtUp { space }.encode()).await?;
        Ok(())
    }

    async fn catch_up_doc(&mut self, space: SpaceId, doc: DocRef) -> Result<(), Stop> {
        let page = self.hub.limits.catch_up_page;
        loop {
            let after = self.sent.get(&(space, doc)).copied().unwrap_or(0);
            let items = match self.hub.blocking(move |s| s.read(space, doc, after, page)).await {
                Ok(items) => items,
                Err(e) => {
                    tracing::error!(error = %e, "reading blobs failed");
                    return self
                        .reject(0, Reject::Unavailable, "the relay could not read this document")
                        .await;
                }
            };
            let blobs = items.iter().filter(|i| matches!(i, Item::Blob { .. })).count();
            for item in items {
                let (frame, seq) = match item {
                    Item::Snapshot { covers, blob, .. } => (snapshot_frame(covers, &blob), covers),
                    Item::Blob { seq, blob, .. } => (blob_frame(seq, &blob), seq),
                };
                self.send(frame).await?;
                self.sent.insert((space, doc), seq);
            }
            if blobs < page {
                return Ok(());
            }
        }
    }
}

/// A token bucket: `capacity` blobs at once, refilled at `rate` per second.
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
