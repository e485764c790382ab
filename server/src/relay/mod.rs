//! The sync relay: one session per WebSocket connection (`session.rs`), sharing a [`Hub`]: the
//! store and its writer thread, the live fan-out, the limits and budgets, metrics and the
//! shutdown signal.
//!
//! The relay never decrypts anything. It checks that a blob's certificate was signed by the
//! blob's space, that the author signed the blob, and that the author is the device that
//! proved its key on this connection; and it stores blobs only for registered spaces, within
//! their quotas.
//!
//! Memory is bounded by budgets, not by how well clients behave: bytes queued for clients and
//! live blobs waiting for a session share one global budget (plus a per-session one), catch-up
//! pages held in memory another; a client that does not read for [`Limits::send_timeout`] is
//! dropped. ARCHITECTURE.md states the resulting budget.

mod governed;
mod instances;
mod session;

use std::{
    collections::HashMap,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering},
        mpsc::RecvTimeoutError,
    },
    time::Duration,
};

use amplify::{DocRef, SpaceId};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};

pub use self::{
    instances::follow_instances,
    session::{Inbound, Outbound, session},
};
use crate::store::{Append, Appended, Snapshot, Store, StoreError};

/// What the relay allows one connection, and how much it holds for all of them.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest frame accepted; a bigger one closes the connection.
    pub max_frame_bytes: usize,
    /// Sustained frames per second per connection (blobs, subscriptions, admissions…), and
    /// how many may come in a burst.
    pub blobs_per_second: f64,
    pub burst: f64,
    pub max_docs_per_space: u64,
    /// How long a new connection has to prove its key.
    pub auth_timeout: Duration,
    /// Blobs and bytes read from the store at a time during catch-up.
    pub catch_up_page: usize,
    pub catch_up_page_bytes: usize,
    /// Bytes queued for one client (a frame bigger than this still goes, alone).
    pub session_send_bytes: usize,
    /// Bytes of live blobs waiting for one session; past it the session reads the store instead.
    pub session_live_bytes: usize,
    /// Bytes queued for all clients together, live blobs included.
    pub send_bytes: usize,
    /// Bytes of catch-up pages held in memory at once, for all sessions.
    pub catch_up_bytes: usize,
    /// A client that takes nothing from its queue for this long is dropped.
    pub send_timeout: Duration,
    /// The relay pings every connection this often; one that sends nothing (not even the pong)
    /// for `idle_timeout` is closed.
    pub ping_interval: Duration,
    pub idle_timeout: Duration,
    /// Frames refused for cause (forged, not admitted, not the author, read-only) before the
    /// connection is closed.
    pub max_refused: u32,
    /// Signature checks running at once, off the async workers.
    pub verifiers: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        const MIB: usize = 1024 * 1024;
        Limits {
            max_frame_bytes: 2 * MIB,
            blobs_per_second: 50.0,
            burst: 500.0,
            max_docs_per_space: 10_000,
            auth_timeout: Duration::from_secs(10),
            catch_up_page: 256,
            catch_up_page_bytes: MIB,
            session_send_bytes: MIB,
            session_live_bytes: MIB / 2,
            send_bytes: 256 * MIB,
            catch_up_bytes: 64 * MIB,
            send_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(20),
            idle_timeout: Duration::from_secs(60),
            max_refused: 32,
            verifiers: std::thread::available_parallelism().map_or(2, |n| n.get()),
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
    pub refused_connections: AtomicU64,
    pub timed_out: AtomicU64,
    pub dropped_slow_readers: AtomicU64,
    pub quota_refusals: AtomicU64,
    /// Store totals, kept in step by the sessions (read once at start): `/metrics` costs O(1).
    pub stored_bytes: AtomicI64,
    pub stored_blobs: AtomicI64,
}

/// Something that just happened in a space, for every session following it.
#[derive(Debug, Clone)]
struct Event {
    space: SpaceId,
    doc: DocRef,
    /// For a blob, its number in its document's log (0 otherwise).
    seq: u64,
    /// The encoded frame, shared by every session that forwards it.
    frame: Arc<Vec<u8>>,
    kind: EventKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EventKind {
    Blob,
    /// Passed on live, outside any document's log.
    Presence,
    /// New membership operations: a session checks whether its device is still a member.
    Members,
    /// The space was erased: every session stops following it.
    Erased,
    /// Stored by another instance and not passed on here: the session reads the document.
    Missed,
    /// Anything in the space may have been missed: the session reads all of it again.
    MissedAll,
}

/// A live event in a session's queue, with the share of the send budget it holds.
#[derive(Debug)]
struct Queued {
    event: Event,
    _budget: Option<OwnedSemaphorePermit>,
}

type Reply = tokio::sync::oneshot::Sender<Appended>;
type SnapshotReply = tokio::sync::oneshot::Sender<Result<(), StoreError>>;

/// What the writer thread writes, and whom it answers.
enum Job {
    Append(Append, Reply),
    Snapshot(Snapshot, SnapshotReply),
}

impl Job {
    /// The bytes it writes.
    fn len(&self) -> usize {
        match self {
            Job::Append(append, _) => append.blob.len(),
            Job::Snapshot(snapshot, _) => snapshot.blob.len(),
        }
    }
}

/// A session's live queue, as the hub holds it.
#[derive(Debug, Clone)]
struct Follower {
    queue: mpsc::Sender<Queued>,
    /// Bytes waiting in `queue`.
    queued: Arc<AtomicUsize>,
    /// Set when an event was dropped because the queue was full: the session reads what it
    /// missed from the store.
    behind: Arc<AtomicBool>,
}

/// What every session shares.
pub struct Hub {
    store: Arc<dyn Store>,
    /// Appends go through one writer thread that commits whatever queued up meanwhile in one
    /// transaction: one fsync for many blobs (group commit) under load, no wait when idle.
    jobs: std::sync::mpsc::Sender<Job>,
    /// Per space, the live queues of the sessions following it: a blob wakes only its
    /// space's followers, not every connection.
    followers: std::sync::Mutex<HashMap<SpaceId, Vec<Follower>>>,
    pub limits: Limits,
    pub metrics: Metrics,
    shutdown: watch::Receiver<bool>,
    /// Bytes queued for clients, all sessions together (see [`Limits::send_bytes`]).
    send_budget: Arc<Semaphore>,
    /// Bytes of catch-up pages in memory (see [`Limits::catch_up_bytes`]).
    catch_up_budget: Arc<Semaphore>,
    /// Signature checks running at once.
    verifiers: Arc<Semaphore>,
    /// Store reads running at once: more would only queue inside the store.
    readers: Arc<Semaphore>,
    /// Governed spaces' membership.
    governed: governed::Governed,
    /// Something was written or dropped since the store last tidied up (see [`Store::maintain`]).
    untidy: Arc<AtomicBool>,
    /// Other instances write to the same store (see [`follow_instances`]): what is cached
    /// about a space may be out of date.
    shared: AtomicBool,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").field("limits", &self.limits).finish_non_exhaustive()
    }
}

/// How long the writer waits with nothing to write before the store tidies up.
const QUIET: Duration = Duration::from_secs(2);

/// The most writes (appends and snapshots) one group commit takes, and the most bytes: a
/// transaction stays short and its memory bounded however large the blobs waiting are.
const BATCH_WRITES: usize = 512;
const BATCH_BYTES: usize = 8 << 20;

/// `first` and whatever else is waiting in `queue`, up to `writes` jobs or until they reach
/// `bytes` (the first always goes, however large).
fn gather(first: Job, queue: &std::sync::mpsc::Receiver<Job>, writes: usize, bytes: usize) -> Vec<Job> {
    let mut size = first.len();
    let mut batch = vec![first];
    while batch.len() < writes && size < bytes {
        match queue.try_recv() {
            Ok(next) => {
                size += next.len();
                batch.push(next);
            }
            Err(_) => break,
        }
    }
    batch
}

/// Writes a group commit's jobs in the order they came: each run of appends, and each run of
/// snapshots, in one transaction.
fn write_batch(store: &dyn Store, batch: Vec<Job>) {
    let mut jobs = batch.into_iter().peekable();
    while let Some(job) = jobs.next() {
        match job {
            Job::Append(item, reply) => {
                let (mut items, mut replies) = (vec![item], vec![reply]);
                while let Some(Job::Append(..)) = jobs.peek() {
                    if let Some(Job::Append(item, reply)) = jobs.next() {
                        items.push(item);
                        replies.push(reply);
                    }
                }
                for (reply, result) in replies.into_iter().zip(store.append_many(&items)) {
                    let _ = reply.send(result);
                }
            }
            Job::Snapshot(item, reply) => {
                let (mut items, mut replies) = (vec![item], vec![reply]);
                while let Some(Job::Snapshot(..)) = jobs.peek() {
                    if let Some(Job::Snapshot(item, reply)) = jobs.next() {
                        items.push(item);
                        replies.push(reply);
                    }
                }
                for (reply, result) in replies.into_iter().zip(store.snapshot_many(&items)) {
                    let _ = reply.send(result);
                }
            }
        }
    }
}

/// Semaphores count permits in `u32`; budgets are far below 4 GiB.
fn permits(bytes: usize) -> u32 {
    u32::try_from(bytes).unwrap_or(u32::MAX)
}

impl Hub {
    /// `shutdown` turning `true` makes every session say so and close.
    pub fn new(store: Arc<dyn Store>, limits: Limits, shutdown: watch::Receiver<bool>) -> Hub {
        let (jobs, queue) = std::sync::mpsc::channel::<Job>();
        let writer_store = store.clone();
        let untidy = Arc::new(AtomicBool::new(false));
        let untidy_writes = untidy.clone();
        std::thread::Builder::new()
            .name("relay-writer".to_owned())
            .spawn(move || {
                // Ends when the hub, the only sender, is dropped. After a quiet spell following
                // writes, the store tidies up (its files shrink back to what it holds).
                loop {
                    let first = match queue.recv_timeout(QUIET) {
                        Ok(first) => first,
                        Err(RecvTimeoutError::Timeout) => {
                            if untidy_writes.swap(false, Ordering::Relaxed)
                                && let Err(e) = writer_store.maintain()
                            {
                                tracing::warn!(error = %e, "the store's housekeeping failed; trying again later");
                                untidy_writes.store(true, Ordering::Relaxed);
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    };
                    untidy_writes.store(true, Ordering::Relaxed);
                    write_batch(writer_store.as_ref(), gather(first, &queue, BATCH_WRITES, BATCH_BYTES));
                }
            })
            .expect("a thread for the relay's writer");
        let metrics = Metrics::default();
        match store.totals() {
            Ok(totals) => {
                metrics.stored_bytes.store(totals.bytes as i64, Ordering::Relaxed);
                metrics.stored_blobs.store(totals.blobs as i64, Ordering::Relaxed);
            }
            Err(e) => tracing::warn!(error = %e, "could not read the store's totals"),
        }
        Hub {
            store,
            jobs,
            followers: Default::default(),
            send_budget: Arc::new(Semaphore::new(limits.send_bytes)),
            catch_up_budget: Arc::new(Semaphore::new(limits.catch_up_bytes)),
            verifiers: Arc::new(Semaphore::new(limits.verifiers.max(1))),
            readers: Arc::new(Semaphore::new(8)),
            governed: governed::Governed::default(),
            untidy,
            shared: AtomicBool::new(false),
            limits,
            metrics,
            shutdown,
        }
    }

    /// Hands a stored blob to every session following its space. A session whose queue is full
    /// (in bytes, or the relay's send budget is spent) is marked behind and reads what it
    /// missed from the store; a closed one is forgotten.
    fn publish(&self, event: &Event) {
        let size = event.frame.len();
        let mut followers = self.followers.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(list) = followers.get_mut(&event.space) {
            list.retain(|f| {
                if f.queue.is_closed() {
                    return false;
                }
                let waiting = f.queued.load(Ordering::Relaxed);
                let budget = self.send_budget.clone().try_acquire_many_owned(permits(size)).ok();
                if (waiting > 0 && waiting + size > self.limits.session_live_bytes) || budget.is_none() {
                    f.behind.store(true, Ordering::Relaxed);
                    return true;
                }
                let queued = Queued { event: event.clone(), _budget: budget };
                match f.queue.try_send(queued) {
                    Ok(()) => {
                        f.queued.fetch_add(size, Ordering::Relaxed);
                        true
                    }
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        f.behind.store(true, Ordering::Relaxed);
                        true
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                }
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

    /// Queues a blob for the group-committing writer; it is durable when the answer comes.
    /// Answers come in the order blobs were queued, so a session can queue its next put
    /// before the last one is committed and still acknowledge them in order.
    fn submit(&self, item: Append) -> tokio::sync::oneshot::Receiver<Appended> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        // A stopped writer drops the reply: the answer then says so.
        let _ = self.jobs.send(Job::Append(item, reply));
        answer
    }

    /// Hands a snapshot to the writer, to be stored in its next group commit.
    fn submit_snapshot(&self, item: Snapshot) -> tokio::sync::oneshot::Receiver<Result<(), StoreError>> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let _ = self.jobs.send(Job::Snapshot(item, reply));
        answer
    }

    /// Says that something was dropped from the store (a snapshot covered blobs, a space was
    /// erased): the writer tidies up at its next quiet moment.
    fn untidy(&self) {
        self.untidy.store(true, Ordering::Relaxed);
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    /// Runs a blocking store call off the async runtime, a bounded number at a time.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(&dyn Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let _turn = self.readers.acquire().await.map_err(|e| StoreError::Interrupted(e.to_string()))?;
        let store = self.store.clone();
        match tokio::task::spawn_blocking(move || f(store.as_ref())).await {
            Ok(result) => result,
            Err(join) => Err(StoreError::Interrupted(join.to_string())),
        }
    }

    /// Runs a CPU-bound check (signatures) off the async workers, a bounded number at a time,
    /// so a flood of expensive frames slows only the connections that send them.
    async fn verify<T: Send + 'static>(&self, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        let _turn = self.verifiers.acquire().await.ok()?;
        tokio::task::spawn_blocking(f).await.ok()
    }
}

#[cfg(test)]
mod tests {
    use amplify::DeviceId;

    use super::*;

    fn append(len: usize) -> Job {
        let (space, doc, author) = (SpaceId([1; 32]), DocRef([2; 16]), DeviceId([3; 32]));
        let (reply, _) = tokio::sync::oneshot::channel();
        Job::Append(Append { space, doc, author, hash: [0; 32], blob: vec![0; len], max_docs: 1 }, reply)
    }

    fn snapshot(len: usize) -> Job {
        let (space, doc, author) = (SpaceId([1; 32]), DocRef([2; 16]), DeviceId([3; 32]));
        let (reply, _) = tokio::sync::oneshot::channel();
        Job::Snapshot(Snapshot { space, doc, author, covers: 1, blob: vec![0; len] }, reply)
    }

    #[test]
    fn a_group_commit_is_bounded_in_appends_and_in_bytes() {
        let (send, queue) = std::sync::mpsc::channel();
        for _ in 0..10 {
            send.send(append(100)).unwrap();
        }
        // By count: the first and three more.
        assert_eq!(gather(append(100), &queue, 4, usize::MAX).len(), 4);
        // By bytes: 250 reached after the first and two more (300 bytes).
        assert_eq!(gather(append(100), &queue, 512, 250).len(), 3);
        // A first append larger than the budget still goes, alone.
        assert_eq!(gather(append(1_000), &queue, 512, 250).len(), 1);
        // Whatever is left, when the queue runs dry first.
        assert_eq!(gather(append(100), &queue, 512, usize::MAX).len(), 1 + 10 - 3 - 2);
        // Snapshots count against the same bounds.
        send.send(snapshot(200)).unwrap();
        send.send(append(100)).unwrap();
        assert_eq!(gather(snapshot(100), &queue, 512, 250).len(), 2);
    }
}
