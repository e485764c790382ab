//! Accepting connections without letting anyone exhaust the relay: a cap on connections (in
//! all and per address, refused with a short 503), a deadline for request headers, an idle
//! deadline on every socket, accept errors backed off, and a global budget for large frames in
//! progress.
//!
//! Every socket is read through a [`Guarded`] stream. It counts the bytes of the frame in
//! progress (the session says when a frame is done, through the connection's [`Gate`]): up to
//! [`NetLimits::small_frame`] is free; past that, the connection must hold a share of the
//! relay's large-frame budget, or it is simply not read until one frees up (its bytes wait in
//! the kernel, not in the relay). Before the device has proved its key, no frame may be large
//! at all. So however many connections stall one byte short of a big frame, the relay holds at
//! most the budget for them.

use std::{
    collections::HashMap,
    future::Future,
    io,
    net::IpAddr,
    pin::Pin,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    task::{Context, Poll, ready},
    time::Duration,
};

use axum::Router;
use hyper::{body::Incoming, server::conn::http1, service::service_fn};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::{
    io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore},
    time::{Instant, Sleep},
};
use tower::ServiceExt;

use crate::relay::{Hub, Metrics};

/// What the listener allows.
#[derive(Debug, Clone)]
pub struct NetLimits {
    /// Open connections in all, and from one address (an IPv6 /64 counts as one address).
    pub max_connections: usize,
    pub max_per_address: usize,
    /// Time to send a request's headers.
    pub header_timeout: Duration,
    /// A socket that sends nothing for this long is closed (sync sessions are pinged well
    /// within it).
    pub idle_timeout: Duration,
    /// Bytes of a frame in progress that need no share of the large-frame budget.
    pub small_frame: usize,
    /// Bytes all large frames in progress may hold together, and the largest one.
    pub large_frames: usize,
    pub max_frame: usize,
}

impl Default for NetLimits {
    fn default() -> NetLimits {
        NetLimits {
            max_connections: 4096,
            max_per_address: 256,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            small_frame: 16 * 1024,
            large_frames: 64 * 1024 * 1024,
            max_frame: 2 * 1024 * 1024,
        }
    }
}

/// One connection's frame accounting, shared by its socket and its session.
#[derive(Debug)]
pub struct Gate {
    /// Bytes read since the last frame was done.
    pending: AtomicUsize,
    authenticated: AtomicBool,
}

impl Gate {
    fn new() -> Gate {
        Gate { pending: AtomicUsize::new(0), authenticated: AtomicBool::new(false) }
    }

    /// The frame (or HTTP request) read so far has been handled.
    pub fn frame_done(&self) {
        self.pending.store(0, Ordering::Relaxed);
    }

    /// The device proved its key: its frames may now be large.
    pub fn authenticated(&self) {
        self.authenticated.store(true, Ordering::Relaxed);
    }
}

/// A socket read under its connection's [`Gate`], with an idle deadline.
struct Guarded {
    inner: TcpStream,
    gate: Arc<Gate>,
    idle: Pin<Box<Sleep>>,
    idle_timeout: Duration,
    small_frame: usize,
    large: Arc<Semaphore>,
    large_share: u32,
    holding: Option<OwnedSemaphorePermit>,
    waiting: Option<Pin<Box<dyn Future<Output = Option<OwnedSemaphorePermit>> + Send>>>,
}

impl AsyncRead for Guarded {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.idle.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(io::Error::new(io::ErrorKind::TimedOut, "idle for too long")));
        }
        let pending = this.gate.pending.load(Ordering::Relaxed);
        if pending == 0 {
            this.holding = None;
        }
        if pending > this.small_frame && this.holding.is_none() {
            if !this.gate.authenticated.load(Ordering::Relaxed) {
                return Poll::Ready(Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "a large frame before the device proved its key",
                )));
            }
            let large = this.large.clone();
            let share = this.large_share;
            let waiting = this
                .waiting
                .get_or_insert_with(|| Box::pin(async move { large.acquire_many_owned(share).await.ok() }));
            // Not read until there is room: the bytes wait in the kernel's buffers.
            let permit = ready!(waiting.as_mut().poll(cx));
            this.waiting = None;
            match permit {
                Some(permit) => this.holding = Some(permit),
                None => return Poll::Ready(Err(io::Error::other("the relay is stopping"))),
            }
        }
        let before = buf.filled().len();
        ready!(Pin::new(&mut this.inner).poll_read(cx, buf))?;
        let read = buf.filled().len() - before;
        if read > 0 {
            this.gate.pending.fetch_add(read, Ordering::Relaxed);
            this.idle.as_mut().reset(Instant::now() + this.idle_timeout);
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Guarded {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Open connections per address.
#[derive(Debug, Default)]
struct Connections {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// The address connections are counted under: IPv6 by /64 (one host gets a whole /64).
fn counted_as(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::V6(segments.into())
        }
        v4 => v4,
    }
}

/// A counted connection; uncounted when dropped.
struct Slot {
    connections: Arc<Mutex<Connections>>,
    address: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.connections.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        c.total -= 1;
        if let Some(n) = c.by_address.get_mut(&self.address) {
            *n -= 1;
            if *n == 0 {
                c.by_address.remove(&self.address);
            }
        }
    }
}

fn take_slot(connections: &Arc<Mutex<Connections>>, limits: &NetLimits, ip: IpAddr) -> Option<Slot> {
    let address = counted_as(ip);
    let mut c = connections.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    let mine = c.by_address.get(&address).copied().unwrap_or(0);
    if c.total >= limits.max_connections || mine >= limits.max_per_address {
        return None;
    }
    c.total += 1;
    *c.by_address.entry(address).or_default() += 1;
    Some(Slot { connections: connections.clone(), address })
}

/// Raises this process's open-file limit as far as it may go, so the connection cap, not the
/// descriptor limit, is what refuses connections. Returns the limit now in force.
pub fn raise_descriptor_limit() -> Option<u64> {
    rlimit::increase_nofile_limit(u64::MAX).ok()
}

/// Serves `app` on `listener` until `shutdown` resolves, then waits (up to ten seconds) for
/// open connections to finish.
///
/// # Errors
/// Only if the listener itself fails for good.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: NetLimits,
    metrics: Arc<Hub>,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let connections = Arc::new(Mutex::new(Connections::default()));
    let large = Arc::new(Semaphore::new(limits.large_frames));
    let (stopping, stop_signal) = tokio::sync::watch::channel(false);
    let refusing = Arc::new(Semaphore::new(64));
    let mut backoff = Duration::from_millis(5);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of descriptors or memory: wait, without spinning or logging in a loop.
                    if backoff >= Duration::from_millis(640) {
                        tracing::warn!(error = %e, "accepting connections failed; backing off");
                    }
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        backoff = Duration::from_millis(5);
        let Some(slot) = take_slot(&connections, &limits, peer.ip()) else {
            refuse(stream, &refusing, &metrics.metrics);
            continue;
        };
        let gate = Arc::new(Gate::new());
        let guarded = Guarded {
            inner: stream,
            gate: gate.clone(),
            idle: Box::pin(tokio::time::sleep(limits.idle_timeout)),
            idle_timeout: limits.idle_timeout,
            small_frame: limits.small_frame,
            large: large.clone(),
            large_share: u32::try_from(limits.max_frame.min(limits.large_frames)).unwrap_or(u32::MAX),
            holding: None,
            waiting: None,
        };
        let app = app.clone();
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            // Each request starts a new "frame" (its headers are bounded by hyper).
            gate.frame_done();
            request.extensions_mut().insert(gate.clone());
            request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            app.clone().oneshot(request)
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(16 * 1024)
            .serve_connection(TokioIo::new(guarded), service)
            .with_upgrades();
        let mut stop_signal = stop_signal.clone();
        tokio::spawn(async move {
            let _slot = slot;
            tokio::pin!(connection);
            let outcome = tokio::select! {
                outcome = connection.as_mut() => outcome,
                _ = async { stop_signal.wait_for(|s| *s).await.is_ok() } => {
                    // Finish the request in flight, take no new one.
                    connection.as_mut().graceful_shutdown();
                    connection.await
                }
            };
            if let Err(e) = outcome {
                tracing::debug!(error = %e, "connection ended");
            }
        });
    }
    drop(listener);
    let _ = stopping.send(true);
    // Upgraded sync sessions close on the hub's own shutdown signal; wait for every connection.
    let deadline = Instant::now() + Duration::from_secs(10);
    while connections.lock().unwrap_or_else(std::sync::PoisonError::into_inner).total > 0 {
        if Instant::now() >= deadline {
            tracing::warn!("some connections were still open after ten seconds");
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

/// Answers a connection over the cap with a short 503 and closes it, a bounded number at a
/// time (past that, it is just closed).
fn refuse(mut stream: TcpStream, refusing: &Arc<Semaphore>, metrics: &Metrics) {
    metrics.refused_connections.fetch_add(1, Ordering::Relaxed);
    let Ok(turn) = refusing.clone().try_acquire_owned() else { return };
    tokio::spawn(async move {
        let _turn = turn;
        let body = "The server is at its connection limit. Try again in a moment.\n";
        let response = format!(
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
             Retry-After: 5\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = tokio::time::timeout(Duration::from_secs(2), stream.write_all(response.as_bytes())).await;
        let _ = stream.shutdown().await;
    });
}
