//! How a document's saves reach sync: sealed into the outbox in the same transaction as the
//! local record, from the moment the account is read.

use std::{cell::RefCell, rc::Rc};

use amplify::DocId;

use crate::storage::Outgoing;

/// Seals a document's saved bytes for the relay; `None` if this device may not write there.
pub type Seal = dyn Fn(DocId, &[u8]) -> Option<Outgoing>;

/// What a document needs from sync: to seal a local save for the relay, and to say the outbox
/// has something new. Shared by every handle of a `Repo`; set as soon as the account is read
/// (before any document loads, so no save can miss the outbox), and told to notify sync once
/// it starts.
#[derive(Clone)]
pub struct SyncHook {
    pub seal: Rc<Seal>,
    pub notify: Rc<dyn Fn()>,
}

/// The hook every handle of a `Repo` shares (empty until the account is read).
pub type SharedHook = Rc<RefCell<Option<SyncHook>>>;
