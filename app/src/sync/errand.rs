//! A short connection of its own, for one errand the engine's connection cannot run: reading a
//! space before joining it, joining with an invite, restoring from a recovery code (as the
//! recovery key), erasing a space. Each step waits at most ten seconds for the relay.

use std::time::Duration;

use amplify::{Cert, ClientFrame, DeviceKey, RelayFrame, SpaceId, members::Op};
use futures_channel::mpsc::{UnboundedReceiver, unbounded};
use futures_util::{FutureExt, StreamExt};

use super::{
    engine::Event,
    socket::{Socket, open_socket},
};
use crate::platform;

/// How long one answer may take.
const PATIENCE: Duration = Duration::from_secs(10);

pub struct Errand {
    socket: Socket,
    frames: UnboundedReceiver<Event>,
    /// The spaces the relay admitted this connection to.
    pub spaces: Vec<SpaceId>,
    request: u32,
}

impl Errand {
    /// Connects and proves `device`, presenting `certs`.
    ///
    /// # Errors
    /// Why it could not, in words.
    pub async fn open(device: &DeviceKey, certs: Vec<Cert>) -> Result<Errand, String> {
        let (events, frames) = unbounded();
        let socket = open_socket(events).map_err(|_| "could not open a connection".to_owned())?;
        let mut errand = Errand { socket, frames, spaces: Vec::new(), request: 0 };
        loop {
            match errand.next().await? {
                RelayFrame::Challenge { nonce } => errand.send(&ClientFrame::Auth {
                    device: device.id(),
                    signature: device.sign_challenge(&nonce),
                    certs: certs.clone(),
                    compact: true,
                }),
                RelayFrame::Welcome { spaces, .. } => {
                    errand.spaces = spaces;
                    return Ok(errand);
                }
                _ => {}
            }
        }
    }

    pub fn send(&self, frame: &ClientFrame) {
        if let Err(e) = self.socket.ws.send_with_u8_array(&frame.encode()) {
            // The next answer then times out, and the errand says the relay did not answer.
            platform::warn(&format!("an errand could not ask the relay: {e:?}"));
        }
    }

    /// The relay's next frame.
    pub async fn next(&mut self) -> Result<RelayFrame, String> {
        loop {
            let event = futures_util::select! {
                _ = platform::sleep(PATIENCE).fuse() => return Err("the server did not answer in time".to_owned()),
                event = self.frames.next() => event,
            };
            match event {
                Some(Event::Frame(bytes)) => match RelayFrame::decode(&bytes) {
                    Ok(RelayFrame::Error { message, .. }) => return Err(message),
                    Ok(frame) => return Ok(frame),
                    Err(e) => return Err(format!("the server sent something unreadable ({e})")),
                },
                Some(Event::Closed { code: 1006, .. }) => {
                    return Err("no connection to the server".to_owned());
                }
                Some(Event::Closed { reason, .. }) => {
                    return Err(format!("the connection closed ({reason})"));
                }
                None => return Err("the connection closed".to_owned()),
                Some(_) => {}
            }
        }
    }

    /// Sends membership operations and waits for the relay to take them.
    ///
    /// # Errors
    /// The relay's reason for refusing them.
    pub async fn members(&mut self, space: SpaceId, ops: Vec<Op>) -> Result<(), String> {
        self.request += 1;
        let request = self.request;
        self.send(&ClientFrame::Members { request, space, ops });
        self.answer(request).await
    }

    /// Asks the relay to erase `space`, and waits until it has.
    ///
    /// # Errors
    /// The relay's reason for refusing.
    pub async fn erase(&mut self, space: SpaceId, signature: [u8; 64]) -> Result<(), String> {
        self.request += 1;
        let request = self.request;
        self.send(&ClientFrame::Erase { request, space, signature });
        self.answer(request).await
    }

    async fn answer(&mut self, request: u32) -> Result<(), String> {
        loop {
            match self.next().await? {
                RelayFrame::Ack { request: r, .. } if r == request => return Ok(()),
                RelayFrame::Reject { request: r, message, .. } if r == request => return Err(message),
                _ => {}
            }
        }
    }

    /// A governed space's whole membership log (this device must be a member).
    ///
    /// # Errors
    /// Why it could not be read.
    pub async fn log(&mut self, space: SpaceId) -> Result<Vec<Op>, String> {
        self.send(&ClientFrame::Subscribe { space, cursors: Vec::new() });
        loop {
            match self.next().await? {
                RelayFrame::Members { space: s, ops } if s == space => return Ok(ops),
                RelayFrame::Removed { space: s } if s == space => {
                    return Err("this device is no longer a member there".to_owned());
                }
                RelayFrame::CaughtUp { space: s } if s == space => return Ok(Vec::new()),
                RelayFrame::Reject { request: 0, message, .. } => return Err(message),
                _ => {}
            }
        }
    }

    /// Reads every blob the relay holds for `space`, until its catch-up ends.
    pub async fn blobs(&mut self, space: SpaceId) -> Result<Vec<amplify::Sealed>, String> {
        self.send(&ClientFrame::Subscribe { space, cursors: Vec::new() });
        let mut blobs = Vec::new();
        loop {
            match self.next().await? {
                RelayFrame::Blob { blob, .. } | RelayFrame::Snapshot { blob, .. } => blobs.push(blob),
                RelayFrame::CaughtUp { space: s } if s == space => return Ok(blobs),
                RelayFrame::Reject { request: 0, message, .. } => return Err(message),
                _ => {}
            }
        }
    }
}
