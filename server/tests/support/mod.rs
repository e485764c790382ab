//! A relay on a real socket, and a client that speaks the protocol, for the integration tests
//! and the load benchmark.
#![allow(dead_code, unreachable_pub)]

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use amplify::{
    Cert, ClientFrame, DeviceKey, DocRef, Payload, PayloadKind, RelayFrame, Sealed, SpaceId, SpaceKeys,
};
use clap::Parser;
use futures_util::{SinkExt, StreamExt};
use server::{AppState, Cli, Config, Limits, NetLimits, Store, app, net, open_store};
use tokio::{net::TcpStream, sync::watch, task::JoinHandle};
use tokio_tungstenite::{
    MaybeTlsStream, WebSocketStream, connect_async,
    tungstenite::{Message, protocol::CloseFrame},
};

/// A relay running inside the test process.
pub struct Relay {
    pub addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Relay {
    /// A relay with open admission (any space may store), as `./x run` starts it.
    pub async fn start(data_dir: &Path, limits: Limits) -> Relay {
        Relay::start_with(data_dir, limits, NetLimits::default(), &["--open-admission"]).await
    }

    /// A relay with more flags (`--space-quota 1KiB`…) and listener limits of its own.
    pub async fn start_with(data_dir: &Path, limits: Limits, net_limits: NetLimits, flags: &[&str]) -> Relay {
        let config = config(data_dir, flags);
        let (state, stop) = AppState::open_with(&config, limits).expect("the relay opens its store");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut stopped = stop.subscribe();
        let state = Arc::new(state);
        let hub = state.hub.clone();
        let task = tokio::spawn(async move {
            let shutdown = async move {
                let _ = stopped.wait_for(|s| *s).await;
            };
            net::serve(listener, app(state), net_limits, hub, shutdown).await.unwrap();
        });
        Relay { addr, stop, task }
    }

    /// Stops as on SIGTERM: sessions are told, then the server ends.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

/// The store the relay tests run against: SQLite in the data directory, or with
/// `AMPLIFY_TEST_STORE=postgres` PostgreSQL at `AMPLIFY_TEST_DATABASE_URL` (`./x test` runs the
/// suite both ways, against a throwaway cluster).
pub fn on_postgres() -> bool {
    std::env::var("AMPLIFY_TEST_STORE").is_ok_and(|s| s == "postgres")
}

/// The PostgreSQL cluster `./x test` started, as an administrator's URL.
pub fn postgres_url() -> String {
    std::env::var("AMPLIFY_TEST_DATABASE_URL")
        .expect("AMPLIFY_TEST_DATABASE_URL names a PostgreSQL cluster (./x test starts a throwaway one)")
}

/// A database of its own for the relay on `data_dir` (the same one each time for the same
/// directory, so a relay restarted on it finds what it stored), created if missing.
pub fn database_for(data_dir: &Path) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(data_dir.to_string_lossy().as_bytes());
    let name: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    let name = format!("relay_{name}");
    let admin = postgres_url();
    let url = format!("{}/{name}", admin.rsplit_once('/').expect("a URL with a database").0);
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let mut client =
                    postgres::Client::connect(&admin, postgres::NoTls).expect("the test cluster answers");
                let exists =
                    client.query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name]).unwrap();
                if exists.is_none() {
                    client.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
                }
            })
            .join()
            .unwrap();
    });
    url
}

/// The flags that put a relay on `data_dir` on the store under test.
pub fn store_flags(data_dir: &Path, flags: &[&str]) -> Vec<String> {
    // A test that names its database keeps it.
    if on_postgres() && !flags.contains(&"--database-url") {
        vec!["--database-url".to_owned(), database_for(data_dir)]
    } else {
        Vec::new()
    }
}

/// The server's settings for a relay on `data_dir` with `flags`, on the store under test.
pub fn config(data_dir: &Path, flags: &[&str]) -> Config {
    let mut args: Vec<String> =
        ["server", "--data-dir", data_dir.to_str().unwrap(), "--dist", "/nonexistent"]
            .map(str::to_owned)
            .to_vec();
    args.extend(flags.iter().map(|f| (*f).to_owned()));
    args.extend(store_flags(data_dir, flags));
    Cli::parse_from(args).config
}

/// The relay's store opened beside it, as the operator's subcommands open it. Its calls block:
/// make them through [`blocking`].
pub fn store_beside(data_dir: &Path, flags: &[&str]) -> Arc<dyn Store> {
    let config = config(data_dir, flags);
    blocking(|| open_store(&config)).expect("the store opens beside the relay")
}

/// Runs a blocking store call from a test's async code, on a thread of its own.
pub fn blocking<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|scope| scope.spawn(f).join().expect("the call did not panic"))
}

/// Every byte the relay's database holds for `data_dir` besides files in it (PostgreSQL: each
/// stored value, as stored); empty for SQLite, whose file is in the directory.
pub fn database_bytes(data_dir: &Path) -> Vec<u8> {
    if !on_postgres() {
        return Vec::new();
    }
    let url = database_for(data_dir);
    blocking(move || {
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        let columns = client
            .query(
                "SELECT table_name::text, column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = 'public' AND data_type IN ('bytea', 'text')",
                &[],
            )
            .unwrap();
        let mut out = Vec::new();
        for column in columns {
            let (table, name, kind): (String, String, String) = (column.get(0), column.get(1), column.get(2));
            for row in client.query(&format!("SELECT \"{name}\" FROM \"{table}\""), &[]).unwrap() {
                if kind == "bytea" {
                    out.extend(row.get::<_, Option<Vec<u8>>>(0).unwrap_or_default());
                } else {
                    out.extend(row.get::<_, Option<String>>(0).unwrap_or_default().into_bytes());
                }
            }
        }
        out
    })
}

/// The relay as its own process, for killing it hard and for reading its logs.
pub struct RelayProcess {
    pub addr: SocketAddr,
    pub child: Child,
    pub log: PathBuf,
}

impl RelayProcess {
    pub fn start(data_dir: &Path, log: &Path) -> RelayProcess {
        RelayProcess::start_with(data_dir, log, &["--open-admission"], "debug")
    }

    /// A relay process with `flags`, logging at `level`.
    pub fn start_with(data_dir: &Path, log: &Path, flags: &[&str], level: &str) -> RelayProcess {
        let log_file = std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(["--port", "0", "--dist", "/nonexistent"])
            .args(flags)
            .args(store_flags(data_dir, flags))
            .arg("--data-dir")
            .arg(data_dir)
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .expect("the server binary starts");
        let mut line = String::new();
        BufReader::new(child.stdout.as_mut().unwrap()).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("Amplify is running at http://")
            .expect("the first line names the address");
        RelayProcess { addr: url.trim_end_matches('/').parse().unwrap(), child, log: log.to_owned() }
    }

    /// The process's resident memory, in bytes, as the kernel counts it.
    pub fn rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("the kernel reports VmRSS");
        kib * 1024
    }

    /// The relay's open sync connections, from `/healthz`.
    pub async fn connections(&self) -> i64 {
        healthz_connections(self.addr).await
    }

    pub fn kill_hard(mut self) {
        // SIGKILL: no chance to flush or close anything.
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for RelayProcess {
    /// A test that fails before `kill_hard` leaves no relay running (nor its database
    /// connections and port): it is killed the same way.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One member device of one or more spaces.
pub struct Member {
    pub device: DeviceKey,
    pub certs: Vec<Cert>,
}

impl Member {
    pub fn of(spaces: &[&SpaceKeys]) -> Member {
        let device = DeviceKey::generate();
        let certs = spaces.iter().map(|s| s.admit(device.id())).collect();
        Member { device, certs }
    }

    pub fn seal(&self, space: &SpaceKeys, doc: &str, bytes: &[u8]) -> Sealed {
        let cert = self.certs.iter().find(|c| c.space == space.id).expect("a member of this space");
        let payload = Payload { doc: doc.to_owned(), kind: PayloadKind::Changes, bytes: bytes.to_vec() };
        Sealed::seal(space, &self.device, cert, &payload)
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A protocol client on a real WebSocket.
pub struct Client {
    pub ws: Ws,
}

/// How a connection ended, from the client's side.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    pub error: Option<RelayFrame>,
    pub code: Option<u16>,
}

impl Client {
    pub async fn raw(addr: SocketAddr) -> Client {
        let (ws, _) = connect_async(format!("ws://{addr}/sync")).await.expect("the relay accepts WebSockets");
        Client { ws }
    }

    /// Connects from the loopback address `from` (127.0.0.x), and authenticates as `member`:
    /// how a benchmark plays clients on several machines.
    pub async fn connect_from(addr: SocketAddr, from: std::net::IpAddr, member: &Member) -> Option<Client> {
        let stream = connect_from(addr, from).await?;
        let (ws, _) =
            tokio_tungstenite::client_async(format!("ws://{addr}/sync"), MaybeTlsStream::Plain(stream))
                .await
                .ok()?;
        let mut client = Client { ws };
        let RelayFrame::Challenge { nonce } = client.try_recv().await? else { return None };
        let signature = member.device.sign_challenge(&nonce);
        client
            .send(&ClientFrame::Auth {
                device: member.device.id(),
                signature,
                certs: member.certs.clone(),
                compact: true,
            })
            .await;
        loop {
            match client.try_recv().await? {
                RelayFrame::Welcome { .. } => return Some(client),
                RelayFrame::Unregistered { .. } => {}
                _ => return None,
            }
        }
    }

    /// The next frame within five seconds, or `None` if the connection ended or stayed silent.
    pub async fn try_recv(&mut self) -> Option<RelayFrame> {
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.ws.next()).await.ok()?? {
                Ok(Message::Binary(bytes)) => return RelayFrame::decode(&bytes).ok(),
                Ok(Message::Close(_)) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// Connects and authenticates as `member`.
    pub async fn connect(addr: SocketAddr, member: &Member) -> Client {
        let mut client = Client::raw(addr).await;
        let RelayFrame::Challenge { nonce } = client.recv().await else { panic!("expected a challenge") };
        let signature = member.device.sign_challenge(&nonce);
        client
            .send(&ClientFrame::Auth {
                device: member.device.id(),
                signature,
                certs: member.certs.clone(),
                compact: true,
            })
            .await;
        loop {
            match client.recv().await {
                RelayFrame::Welcome { .. } => return client,
                RelayFrame::Unregistered { .. } => {}
                other => panic!("expected a welcome, got {other:?}"),
            }
        }
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        self.send_raw(frame.encode()).await;
    }

    /// Sends `frame`; whether the connection took it (attackers go on after being closed).
    pub async fn try_send(&mut self, frame: &ClientFrame) -> bool {
        self.ws.send(Message::Binary(frame.encode().into())).await.is_ok()
    }

    pub async fn send_raw(&mut self, bytes: Vec<u8>) {
        self.ws.send(Message::Binary(bytes.into())).await.expect("the socket is open");
    }

    /// The next frame, within five seconds.
    pub async fn recv(&mut self) -> RelayFrame {
        loop {
            let message = tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("a frame within five seconds")
                .expect("the connection is open")
                .expect("the connection is healthy");
            match message {
                Message::Binary(bytes) => {
                    return RelayFrame::decode(&bytes).expect("the relay sends valid frames");
                }
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
    }

    /// Reads until the relay closes the connection: the error it sent, and the close code.
    pub async fn closed(&mut self) -> Closed {
        let mut error = None;
        loop {
            match tokio::time::timeout(Duration::from_secs(5), self.ws.next())
                .await
                .expect("closed within five seconds")
            {
                Some(Ok(Message::Binary(bytes))) => error = RelayFrame::decode(&bytes).ok(),
                Some(Ok(Message::Close(frame))) => {
                    return Closed { error, code: frame.map(|f: CloseFrame| u16::from(f.code)) };
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return Closed { error, code: None },
            }
        }
    }

    pub async fn put(&mut self, request: u32, blob: &Sealed) -> RelayFrame {
        self.send(&ClientFrame::Put { request, blob: blob.clone() }).await;
        self.recv().await
    }

    /// Subscribes and collects what the relay sends until it says it caught up.
    pub async fn subscribe(&mut self, space: SpaceId, cursors: Vec<(DocRef, u64)>) -> Vec<RelayFrame> {
        self.send(&ClientFrame::Subscribe { space, cursors }).await;
        let mut frames = Vec::new();
        loop {
            match self.recv().await {
                RelayFrame::CaughtUp { space: s } if s == space => return frames,
                frame => frames.push(frame),
            }
        }
    }
}

/// The payload bytes of every blob and snapshot in `frames`, opened with `space`.
pub fn opened(space: &SpaceKeys, frames: &[RelayFrame]) -> Vec<Vec<u8>> {
    frames
        .iter()
        .filter_map(|f| match f {
            RelayFrame::Blob { blob, .. } | RelayFrame::Snapshot { blob, .. } => {
                Some(blob.open(space).unwrap().bytes)
            }
            _ => None,
        })
        .collect()
}

/// Sequence numbers of the blobs in `frames`.
pub fn seqs(frames: &[RelayFrame]) -> Vec<u64> {
    frames
        .iter()
        .filter_map(|f| if let RelayFrame::Blob { seq, .. } = f { Some(*seq) } else { None })
        .collect()
}

/// The open sync connections a relay reports on `/healthz`.
pub async fn healthz_connections(addr: SocketAddr) -> i64 {
    let body = http_get(addr, "/healthz").await;
    let json = body.split("\r\n\r\n").nth(1).unwrap_or_default();
    let value: serde_json::Value = serde_json::from_str(json).expect("healthz answers JSON");
    value["connections"].as_i64().unwrap()
}

/// A plain HTTP/1.1 GET on a fresh connection: the whole response as text.
pub async fn http_get(addr: SocketAddr, path: &str) -> String {
    http_get_as(addr, path, None).await
}

/// [`http_get`] with a bearer token.
pub async fn http_get_as(addr: SocketAddr, path: &str, bearer: Option<&str>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("the relay accepts connections");
    let auth = bearer.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut response)).await;
    String::from_utf8_lossy(&response).into_owned()
}

/// Waits (checking every 50 ms, at most `tries` times) until `check` holds; whether it did.
pub async fn eventually<F, Fut>(tries: u32, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..tries {
        if check().await {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

/// A WebSocket spoken by hand on a raw socket, for what well-behaved libraries will not do:
/// stop reading, or stall in the middle of a frame.
pub struct RawSocket {
    pub stream: TcpStream,
}

/// A TCP connection to `addr` from the loopback address `from`.
pub async fn connect_from(addr: SocketAddr, from: std::net::IpAddr) -> Option<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4().ok()?;
    socket.bind(SocketAddr::new(from, 0)).ok()?;
    socket.connect(addr).await.ok()
}

impl RawSocket {
    /// Opens `/sync` and completes the upgrade; the relay's challenge is the first frame.
    pub async fn open(addr: SocketAddr) -> RawSocket {
        let stream = TcpStream::connect(addr).await.expect("the relay accepts connections");
        RawSocket::upgrade(addr, stream).await.expect("the relay accepts the upgrade")
    }

    /// Like [`RawSocket::open`], from the loopback address `from`; `None` if refused.
    pub async fn open_from(addr: SocketAddr, from: std::net::IpAddr) -> Option<RawSocket> {
        RawSocket::upgrade(addr, connect_from(addr, from).await?).await
    }

    async fn upgrade(addr: SocketAddr, mut stream: TcpStream) -> Option<RawSocket> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let request = format!(
            "GET /sync HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(request.as_bytes()).await.ok()?;
        // Read the response headers byte by byte, so no frame bytes are taken with them.
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut byte = [0u8; 1];
            stream.read_exact(&mut byte).await.ok()?;
            head.push(byte[0]);
        }
        head.starts_with(b"HTTP/1.1 101").then_some(RawSocket { stream })
    }

    /// Reads one (unmasked, unfragmented) frame from the relay: its opcode and payload.
    pub async fn read_frame(&mut self) -> (u8, Vec<u8>) {
        use tokio::io::AsyncReadExt;
        let mut head = [0u8; 2];
        self.stream.read_exact(&mut head).await.unwrap();
        let len = match head[1] & 0x7f {
            126 => {
                let mut n = [0u8; 2];
                self.stream.read_exact(&mut n).await.unwrap();
                u64::from(u16::from_be_bytes(n))
            }
            127 => {
                let mut n = [0u8; 8];
                self.stream.read_exact(&mut n).await.unwrap();
                u64::from_be_bytes(n)
            }
            n => u64::from(n),
        };
        let mut payload = vec![0u8; len as usize];
        self.stream.read_exact(&mut payload).await.unwrap();
        (head[0] & 0x0f, payload)
    }

    /// The next binary frame from the relay, decoded.
    pub async fn recv(&mut self) -> RelayFrame {
        loop {
            let (opcode, payload) = self.read_frame().await;
            if opcode == 2 {
                return RelayFrame::decode(&payload).unwrap();
            }
        }
    }

    /// The header of a masked binary frame of `len` bytes (the mask is all zeros, so the
    /// payload goes as it is).
    pub fn frame_header(len: usize) -> Vec<u8> {
        let mut header = vec![0x82];
        match len {
            0..=125 => header.push(0x80 | len as u8),
            126..=65535 => {
                header.push(0x80 | 126);
                header.extend_from_slice(&(len as u16).to_be_bytes());
            }
            _ => {
                header.push(0x80 | 127);
                header.extend_from_slice(&(len as u64).to_be_bytes());
            }
        }
        header.extend_from_slice(&[0, 0, 0, 0]);
        header
    }

    pub async fn send(&mut self, frame: &ClientFrame) {
        use tokio::io::AsyncWriteExt;
        let bytes = frame.encode();
        let mut out = RawSocket::frame_header(bytes.len());
        out.extend_from_slice(&bytes);
        self.stream.write_all(&out).await.unwrap();
    }

    /// Answers the challenge as `member`; returns once welcomed.
    pub async fn authenticate(&mut self, member: &Member) {
        assert!(self.try_authenticate(member).await, "the relay welcomes the member");
    }

    /// Like [`RawSocket::authenticate`]; whether the relay welcomed the member (attackers go on
    /// when it does not).
    pub async fn try_authenticate(&mut self, member: &Member) -> bool {
        self.try_authenticate_reading(member, true).await
    }

    /// Like [`RawSocket::try_authenticate`], saying whether this client reads blobs in the
    /// compact form (clients from before did not).
    pub async fn try_authenticate_reading(&mut self, member: &Member, compact: bool) -> bool {
        use tokio::io::AsyncWriteExt;
        let Some(RelayFrame::Challenge { nonce }) = self.try_recv().await else { return false };
        let signature = member.device.sign_challenge(&nonce);
        let auth =
            ClientFrame::Auth { device: member.device.id(), signature, certs: member.certs.clone(), compact }
                .encode();
        let mut out = RawSocket::frame_header(auth.len());
        out.extend_from_slice(&auth);
        if self.stream.write_all(&out).await.is_err() {
            return false;
        }
        loop {
            match self.try_recv().await {
                Some(RelayFrame::Welcome { .. }) => return true,
                Some(RelayFrame::Unregistered { .. }) => {}
                _ => return false,
            }
        }
    }

    /// The next binary frame within ten seconds, or `None` if the connection ended or stalled.
    pub async fn try_recv(&mut self) -> Option<RelayFrame> {
        use tokio::io::AsyncReadExt;
        let read = async {
            loop {
                let mut head = [0u8; 2];
                self.stream.read_exact(&mut head).await.ok()?;
                let len = match head[1] & 0x7f {
                    126 => {
                        let mut n = [0u8; 2];
                        self.stream.read_exact(&mut n).await.ok()?;
                        u64::from(u16::from_be_bytes(n))
                    }
                    127 => {
                        let mut n = [0u8; 8];
                        self.stream.read_exact(&mut n).await.ok()?;
                        u64::from_be_bytes(n)
                    }
                    n => u64::from(n),
                };
                let mut payload = vec![0u8; usize::try_from(len).ok()?];
                self.stream.read_exact(&mut payload).await.ok()?;
                match head[0] & 0x0f {
                    2 => return RelayFrame::decode(&payload).ok(),
                    8 => return None,
                    _ => {}
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), read).await.ok()?
    }

    /// Whether the relay has closed this socket (reads to the end, at most ten seconds).
    pub async fn closed_by_relay(&mut self) -> bool {
        use tokio::io::AsyncReadExt;
        let mut sink = vec![0u8; 64 * 1024];
        loop {
            match tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut sink)).await {
                Ok(Ok(0) | Err(_)) => return true,
                Ok(Ok(_)) => {}
                Err(_) => return false,
            }
        }
    }
}
