//! The WebSocket to the relay, as a stream of events.

use futures_channel::mpsc::UnboundedSender;
use wasm_bindgen::{JsCast, JsValue, closure::Closure};
use web_sys::{BinaryType, CloseEvent, MessageEvent, WebSocket};

use super::engine::Event;

/// A live WebSocket and the callbacks it holds.
pub(super) struct Socket {
    pub(super) ws: WebSocket,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_close: Closure<dyn FnMut(CloseEvent)>,
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.ws.set_onmessage(None);
        self.ws.set_onclose(None);
        // Closing a socket that is already closed is not an error worth knowing.
        let _already_closed = self.ws.close();
    }
}

/// The relay's address: this page's host, over a WebSocket.
fn relay_url() -> String {
    let location = web_sys::window().expect("a window").location();
    let scheme = if location.protocol().ok().as_deref() == Some("https:") { "wss" } else { "ws" };
    format!("{scheme}://{}/sync", location.host().unwrap_or_default())
}

/// Opens a WebSocket to the relay whose frames and closing arrive on `events`.
pub(super) fn open_socket(events: UnboundedSender<Event>) -> Result<Socket, JsValue> {
    let ws = WebSocket::new(&relay_url())?;
    ws.set_binary_type(BinaryType::Arraybuffer);
    let frames = events.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |e: MessageEvent| {
        if let Ok(buffer) = e.data().dyn_into::<js_sys::ArrayBuffer>() {
            // Only fails once the engine has stopped listening.
            let _stopped = frames.unbounded_send(Event::Frame(js_sys::Uint8Array::new(&buffer).to_vec()));
        }
    });
    let on_close = Closure::<dyn FnMut(CloseEvent)>::new(move |e: CloseEvent| {
        let _stopped = events.unbounded_send(Event::Closed { code: e.code(), reason: e.reason() });
    });
    ws.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    ws.set_onclose(Some(on_close.as_ref().unchecked_ref()));
    Ok(Socket { ws, _on_message: on_message, _on_close: on_close })
}
