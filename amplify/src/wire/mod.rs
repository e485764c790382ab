//! The relay protocol's frames and their binary encoding.
//!
//! Every frame is one WebSocket binary message: a tag byte, then fields in order. Integers are
//! little-endian and fixed-width; byte strings and lists carry a `u32` length first. Decoding
//! checks every length against what is left, so a hostile frame can neither over-read nor make
//! the decoder allocate more than the frame's own size.
//!
//! A session: the relay sends [`RelayFrame::Challenge`]; the client answers
//! [`ClientFrame::Auth`] (its device key's signature over the challenge, and certificates for the
//! spaces it wants); the relay says [`RelayFrame::Welcome`] or closes. Then the client
//! [`ClientFrame::Subscribe`]s to spaces with its cursors, receives what it lacks
//! ([`RelayFrame::Snapshot`], [`RelayFrame::Blob`], then [`RelayFrame::CaughtUp`]) and new blobs
//! live after that; it [`ClientFrame::Put`]s its own, each answered by [`RelayFrame::Ack`] once
//! durable, or by [`RelayFrame::Reject`]. A blob is not sent back to the connection that put it,
//! unless it comes after blobs that connection has not been sent yet (then the log goes out in
//! order, its own blob with the rest).

use crate::{
    crypto::{Cert, DeviceId, DocRef, Sealed, SpaceId},
    members::Op,
    registration::SpaceRegistration,
};

/// The most certificates an Auth frame may carry: far more than any device needs (a coach with
/// fifteen coachees holds about twenty spaces), few enough that checking them all is cheap.
pub const MAX_AUTH_CERTS: usize = 64;
/// The most cursors a Subscribe frame may carry: one per document a space may hold.
pub const MAX_SUBSCRIBE_CURSORS: usize = 10_000;

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// Answers the challenge: proves the device key, and presents certificates for spaces.
    Auth {
        device: DeviceId,
        signature: [u8; 64],
        certs: Vec<Cert>,
        /// The client reads blobs in the compact form, each blob's certificate by reference (it
        /// names the blob's own space and author, so they are not sent twice): every client
        /// from this version on. Clients from before get the full form.
        compact: bool,
    },
    /// Presents a certificate for one more space during the session (after joining one).
    Admit {
        cert: Cert,
    },
    /// Asks for everything in `space` after `cursors` (per document; missing ones mean "all"),
    /// then for new blobs as they arrive.
    Subscribe {
        space: SpaceId,
        cursors: Vec<(DocRef, u64)>,
    },
    /// Stores a blob. `request` comes back in the answer.
    Put {
        request: u32,
        blob: Sealed,
    },
    /// Stores a snapshot of the document that covers its log up to `covers`.
    Snapshot {
        request: u32,
        covers: u64,
        blob: Sealed,
    },
    Ping,
    /// Tells the space's other connections who is looking at what; the relay keeps nothing.
    Presence {
        blob: Sealed,
    },
    /// Registers a space under a registration the relay's operator issued, so the relay stores
    /// its blobs (see [`RelayFrame::Unregistered`]).
    Register {
        registration: SpaceRegistration,
    },
    /// Operations for a governed space's membership log (a genesis, an invite, a join, a
    /// removal, a rotation…). Answered with [`RelayFrame::Ack`] (sequence 0) once stored, or a
    /// [`Reject`].
    Members {
        request: u32,
        space: SpaceId,
        ops: Vec<Op>,
    },
    /// Asks the relay to erase everything it holds for `space`, signed by the space's own key
    /// (a person erasing their own space). Answered with [`RelayFrame::Ack`] once gone.
    Erase {
        request: u32,
        space: SpaceId,
        signature: [u8; 64],
    },
}

/// What the relay sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RelayFrame {
    Challenge {
        nonce: [u8; 32],
    },
    Welcome {
        device: DeviceId,
        spaces: Vec<SpaceId>,
    },
    /// The blob is durable and is number `seq` in its document's log.
    Ack {
        request: u32,
        doc: DocRef,
        seq: u64,
    },
    Reject {
        request: u32,
        code: Reject,
        message: String,
    },
    /// A blob from a document's log.
    Blob {
        seq: u64,
        blob: Sealed,
    },
    /// A document's snapshot, covering its log up to `covers`.
    Snapshot {
        covers: u64,
        blob: Sealed,
    },
    /// Everything stored for `space` has been sent; what follows is live.
    CaughtUp {
        space: SpaceId,
    },
    /// The connection is about to close, and why.
    Error {
        code: Fatal,
        message: String,
    },
    Pong,
    /// Another member's presence blob, passed on live.
    Presence {
        blob: Sealed,
    },
    /// Sent after [`RelayFrame::Welcome`]: these admitted spaces are not registered on this
    /// relay, so it stores nothing for them until a [`ClientFrame::Register`] arrives.
    Unregistered {
        spaces: Vec<SpaceId>,
    },
    /// A governed space's membership operations: all of them when a subscription starts (before
    /// any blob), then new ones as they are stored.
    Members {
        space: SpaceId,
        ops: Vec<Op>,
    },
    /// This connection's device is no longer a member of `space`: the relay serves it nothing
    /// more from it.
    Removed {
        space: SpaceId,
    },
}

/// Why one request was refused; the connection stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reject {
    /// The blob's certificate or signature does not verify.
    Forged = 1,
    /// The connection has not presented a certificate for the blob's space.
    NotAdmitted = 2,
    /// The blob's author is not the device on this connection.
    NotAuthor = 3,
    RateLimited = 4,
    TooManyDocuments = 5,
    TooLarge = 6,
    /// A snapshot claims to cover more of the log than exists.
    BadSnapshot = 7,
    /// The relay could not store it; try again later.
    Unavailable = 8,
    /// The author's certificate admits it to read the space, not to write.
    ReadOnly = 9,
    /// The space is not registered on this relay (or its registration was revoked): it stores
    /// nothing for it. Keep the blob and register the space.
    NotRegistered = 10,
    /// The space has used all the storage the relay allows one space.
    SpaceFull = 11,
    /// The programme (the registration the space belongs to) has used all its storage.
    ProgrammeFull = 12,
    /// This device has stored all the relay allows one device.
    DeviceFull = 13,
    /// The relay as a whole is full.
    RelayFull = 14,
    /// A membership operation the log does not allow (or that is malformed).
    NotAllowed = 15,
    /// Sealed under an epoch's key the space has rotated away from: seal it again.
    StaleEpoch = 16,
}

impl Reject {
    /// Whether the same request may succeed later, unchanged: the client keeps it queued.
    pub fn is_temporary(self) -> bool {
        matches!(
            self,
            Reject::NotAdmitted
                | Reject::RateLimited
                | Reject::Unavailable
                | Reject::NotRegistered
                | Reject::SpaceFull
                | Reject::ProgrammeFull
                | Reject::DeviceFull
                | Reject::RelayFull
                | Reject::StaleEpoch
        )
    }
}

/// Why the relay closes a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fatal {
    Unauthorized = 1,
    Malformed = 2,
    TooLarge = 3,
    ProtocolViolation = 4,
    ShuttingDown = 5,
    /// Nothing arrived for too long: a frame stalled, or the client stopped answering pings.
    TimedOut = 6,
    /// The relay is at its connection limit, or this connection sent too many refused frames.
    Refused = 7,
}

impl Reject {
    fn from_u16(v: u16) -> Option<Reject> {
        use Reject::*;
        [
            Forged,
            NotAdmitted,
            NotAuthor,
            RateLimited,
            TooManyDocuments,
            TooLarge,
            BadSnapshot,
            Unavailable,
            ReadOnly,
            NotRegistered,
            SpaceFull,
            ProgrammeFull,
            DeviceFull,
            RelayFull,
            NotAllowed,
            StaleEpoch,
        ]
        .into_iter()
        .find(|r| *r as u16 == v)
    }
}

impl Fatal {
    fn from_u16(v: u16) -> Option<Fatal> {
        use Fatal::*;
        [Unauthorized, Malformed, TooLarge, ProtocolViolation, ShuttingDown, TimedOut, Refused]
            .into_iter()
            .find(|f| *f as u16 == v)
    }
}

mod binary;

pub use self::binary::{blob_frame, compact_frame, decode_sealed, encode_sealed, snapshot_frame};

#[cfg(test)]
mod tests;
