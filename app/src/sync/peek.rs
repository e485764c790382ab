//! Reading what the relay holds for a space before joining it (the join page's preview).

use std::time::Duration;

use amplify::{ClientFrame, Payload, RelayFrame, SpaceSecret};
use futures_channel::mpsc::unbounded;
use futures_util::StreamExt;
use leptos::task::spawn_local;

use super::{engine::Event, socket::open_socket};
use crate::{account::Account, platform};

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
        if let Err(e) = socket.ws.send_with_u8_array(&frame.encode()) {
            // The preview then times out and says the relay did not answer.
            crate::platform::warn(&format!("the preview could not ask the relay: {e:?}"));
        }
    };
    let (done, mut timeout) = unbounded::<()>();
    spawn_local(async move {
        platform::sleep(Duration::from_secs(10)).await;
        // The preview may be over already.
        let _over = done.unbounded_send(());
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
