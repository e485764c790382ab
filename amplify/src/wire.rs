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
//! durable, or by [`RelayFrame::Reject`].

use thiserror::Error;

use crate::{
    crypto::{Cert, DeviceId, DocRef, Payload, PayloadKind, Role, Sealed, SpaceId},
    registration::{RegistrationId, SpaceRegistration},
};

/// The most certificates an Auth frame may carry: far more than any device needs (a coach with
/// fifteen coachees holds about twenty spaces), few enough that checking them all is cheap.
pub const MAX_AUTH_CERTS: usize = 64;
/// The most cursors a Subscribe frame may carry: one per document a space may hold.
pub const MAX_SUBSCRIBE_CURSORS: usize = 10_000;

/// Why bytes could not be decoded.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum WireError {
    #[error("the frame ends early")]
    Truncated,
    #[error("unknown frame or field tag {0}")]
    UnknownTag(u8),
    #[error("text is not UTF-8")]
    BadUtf8,
    #[error("{0} bytes left over after the frame")]
    Trailing(usize),
    #[error("unsupported version {0}")]
    Version(u8),
    #[error("{0} items, more than a frame may carry")]
    TooMany(usize),
}

/// What a client sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// Answers the challenge: proves the device key, and presents certificates for spaces.
    Auth {
        device: DeviceId,
        signature: [u8; 64],
        certs: Vec<Cert>,
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

#[derive(Default)]
struct Writer(Vec<u8>);

impl Writer {
    fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn raw(&mut self, v: &[u8]) -> &mut Self {
        self.0.extend_from_slice(v);
        self
    }
    fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(u32::try_from(v.len()).expect("frames are far below 4 GiB")).raw(v)
    }
    fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }
    fn cert(&mut self, c: &Cert) -> &mut Self {
        self.raw(&c.space.0).raw(&c.device.0);
        match (c.role, c.grant) {
            (Role::Reader, Some(grant)) => self.u8(2).raw(&c.signer).raw(&c.signature).raw(&grant),
            // A member's signer is the space itself; a reader always has a grant.
            _ => self.u8(1).raw(&c.signature),
        }
    }
    fn sealed(&mut self, s: &Sealed) -> &mut Self {
        self.raw(&s.space.0)
            .raw(&s.doc.0)
            .raw(&s.author.0)
            .cert(&s.cert)
            .raw(&s.nonce)
            .bytes(&s.ciphertext)
            .raw(&s.signature)
    }
    fn len(&mut self, n: usize) -> &mut Self {
        self.u32(u32::try_from(n).expect("lists are far below 4 G items"))
    }
}

struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if n > self.buf.len() {
            return Err(WireError::Truncated);
        }
        let (head, tail) = self.buf.split_at(n);
        self.buf = tail;
        Ok(head)
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        Ok(self.take(N)?.try_into().expect("take returned N bytes"))
    }
    fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn bytes(&mut self) -> Result<&'a [u8], WireError> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn str(&mut self) -> Result<String, WireError> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| WireError::BadUtf8)
    }
    /// A list length, checked against the smallest size an item can have, so a made-up count
    /// cannot make the decoder reserve memory the frame does not back.
    fn len(&mut self, min_item: usize) -> Result<usize, WireError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_item) > self.buf.len() {
            return Err(WireError::Truncated);
        }
        Ok(n)
    }
    /// A list length that may also be at most `max`.
    fn len_at_most(&mut self, min_item: usize, max: usize) -> Result<usize, WireError> {
        let n = self.len(min_item)?;
        if n > max {
            return Err(WireError::TooMany(n));
        }
        Ok(n)
    }
    fn cert(&mut self) -> Result<Cert, WireError> {
        let (space, device) = (SpaceId(self.array()?), DeviceId(self.array()?));
        match self.u8()? {
            1 => Ok(Cert {
                space,
                device,
                role: Role::Member,
                signer: space.0,
                signature: self.array()?,
                grant: None,
            }),
            2 => {
                let (signer, signature, grant) = (self.array()?, self.array()?, self.array()?);
                Ok(Cert { space, device, role: Role::Reader, signer, signature, grant: Some(grant) })
            }
            t => Err(WireError::UnknownTag(t)),
        }
    }
    fn sealed(&mut self) -> Result<Sealed, WireError> {
        Ok(Sealed {
            space: SpaceId(self.array()?),
            doc: DocRef(self.array()?),
            author: DeviceId(self.array()?),
            cert: self.cert()?,
            nonce: self.array()?,
            ciphertext: self.bytes()?.to_vec(),
            signature: self.array()?,
        })
    }
    fn end(self) -> Result<(), WireError> {
        match self.buf.len() {
            0 => Ok(()),
            n => Err(WireError::Trailing(n)),
        }
    }
}

/// The smallest certificate on the wire (a member's).
const CERT_SIZE: usize = 32 + 32 + 1 + 64;
const PAYLOAD_VERSION: u8 = 1;

pub(crate) fn encode_payload(p: &Payload) -> Vec<u8> {
    let kind = match p.kind {
        PayloadKind::Changes => 1,
        PayloadKind::Snapshot => 2,
        PayloadKind::Presence => 3,
    };
    let mut w = Writer::default();
    w.u8(PAYLOAD_VERSION).u8(kind).str(&p.doc).bytes(&p.bytes);
    w.0
}

pub(crate) fn decode_payload(bytes: &[u8]) -> Result<Payload, WireError> {
    let mut r = Reader { buf: bytes };
    match r.u8()? {
        PAYLOAD_VERSION => {}
        v => return Err(WireError::Version(v)),
    }
    let kind = match r.u8()? {
        1 => PayloadKind::Changes,
        2 => PayloadKind::Snapshot,
        3 => PayloadKind::Presence,
        t => return Err(WireError::UnknownTag(t)),
    };
    let payload = Payload { kind, doc: r.str()?, bytes: r.bytes()?.to_vec() };
    r.end()?;
    Ok(payload)
}

/// A sealed blob on its own, as the relay stores it.
pub fn encode_sealed(s: &Sealed) -> Vec<u8> {
    let mut w = Writer::default();
    w.sealed(s);
    w.0
}

/// # Errors
/// [`WireError`] if `bytes` are not exactly one sealed blob.
pub fn decode_sealed(bytes: &[u8]) -> Result<Sealed, WireError> {
    let mut r = Reader { buf: bytes };
    let sealed = r.sealed()?;
    r.end()?;
    Ok(sealed)
}

/// [`RelayFrame::Blob`] around an already encoded sealed blob (as the relay stores it), without
/// decoding it first.
pub fn blob_frame(seq: u64, sealed: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(5).u64(seq).raw(sealed);
    w.0
}

/// [`RelayFrame::Snapshot`] around an already encoded sealed blob.
pub fn snapshot_frame(covers: u64, sealed: &[u8]) -> Vec<u8> {
    let mut w = Writer::default();
    w.u8(6).u64(covers).raw(sealed);
    w.0
}

impl ClientFrame {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            ClientFrame::Auth { device, signature, certs } => {
                w.u8(1).raw(&device.0).raw(signature).len(certs.len());
                for c in certs {
                    w.cert(c);
                }
            }
            ClientFrame::Admit { cert } => {
                w.u8(2).cert(cert);
            }
            ClientFrame::Subscribe { space, cursors } => {
                w.u8(3).raw(&space.0).len(cursors.len());
                for (doc, seq) in cursors {
                    w.raw(&doc.0).u64(*seq);
                }
            }
            ClientFrame::Put { request, blob } => {
                w.u8(4).u32(*request).sealed(blob);
            }
            ClientFrame::Snapshot { request, covers, blob } => {
                w.u8(5).u32(*request).u64(*covers).sealed(blob);
            }
            ClientFrame::Ping => {
                w.u8(6);
            }
            ClientFrame::Presence { blob } => {
                w.u8(7).sealed(blob);
            }
            ClientFrame::Register { registration } => {
                w.u8(8)
                    .raw(&registration.space.0)
                    .raw(&registration.registration.0)
                    .raw(&registration.signature);
            }
        }
        w.0
    }

    /// # Errors
    /// [`WireError`] if `bytes` are not exactly one well-formed client frame.
    pub fn decode(bytes: &[u8]) -> Result<ClientFrame, WireError> {
        let mut r = Reader { buf: bytes };
        let frame = match r.u8()? {
            1 => {
                let device = DeviceId(r.array()?);
                let signature = r.array()?;
                let n = r.len_at_most(CERT_SIZE, MAX_AUTH_CERTS)?;
                let certs = (0..n).map(|_| r.cert()).collect::<Result<_, _>>()?;
                ClientFrame::Auth { device, signature, certs }
            }
            2 => ClientFrame::Admit { cert: r.cert()? },
            3 => {
                let space = SpaceId(r.array()?);
                let n = r.len_at_most(16 + 8, MAX_SUBSCRIBE_CURSORS)?;
                let cursors = (0..n).map(|_| Ok((DocRef(r.array()?), r.u64()?))).collect::<Result<_, _>>()?;
                ClientFrame::Subscribe { space, cursors }
            }
            4 => ClientFrame::Put { request: r.u32()?, blob: r.sealed()? },
            5 => ClientFrame::Snapshot { request: r.u32()?, covers: r.u64()?, blob: r.sealed()? },
            6 => ClientFrame::Ping,
            7 => ClientFrame::Presence { blob: r.sealed()? },
            8 => ClientFrame::Register {
                registration: SpaceRegistration {
                    space: SpaceId(r.array()?),
                    registration: RegistrationId(r.array()?),
                    signature: r.array()?,
                },
            },
            t => return Err(WireError::UnknownTag(t)),
        };
        r.end()?;
        Ok(frame)
    }
}

impl RelayFrame {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::default();
        match self {
            RelayFrame::Challenge { nonce } => {
                w.u8(1).raw(nonce);
            }
            RelayFrame::Welcome { device, spaces } => {
                w.u8(2).raw(&device.0).len(spaces.len());
                for s in spaces {
                    w.raw(&s.0);
                }
            }
            RelayFrame::Ack { request, doc, seq } => {
                w.u8(3).u32(*request).raw(&doc.0).u64(*seq);
            }
            RelayFrame::Reject { request, code, message } => {
                w.u8(4).u32(*request).u16(*code as u16).str(message);
            }
            RelayFrame::Blob { seq, blob } => {
                w.u8(5).u64(*seq).sealed(blob);
            }
            RelayFrame::Snapshot { covers, blob } => {
                w.u8(6).u64(*covers).sealed(blob);
            }
            RelayFrame::CaughtUp { space } => {
                w.u8(7).raw(&space.0);
            }
            RelayFrame::Error { code, message } => {
                w.u8(8).u16(*code as u16).str(message);
            }
            RelayFrame::Pong => {
                w.u8(9);
            }
            RelayFrame::Presence { blob } => {
                w.u8(10).sealed(blob);
            }
            RelayFrame::Unregistered { spaces } => {
                w.u8(11).len(spaces.len());
                for s in spaces {
                    w.raw(&s.0);
                }
            }
        }
        w.0
    }

    /// # Errors
    /// [`WireError`] if `bytes` are not exactly one well-formed relay frame.
    pub fn decode(bytes: &[u8]) -> Result<RelayFrame, WireError> {
        let mut r = Reader { buf: bytes };
        let frame = match r.u8()? {
            1 => RelayFrame::Challenge { nonce: r.array()? },
            2 => {
                let device = DeviceId(r.array()?);
                let n = r.len(32)?;
                let spaces = (0..n).map(|_| Ok(SpaceId(r.array()?))).collect::<Result<_, _>>()?;
                RelayFrame::Welcome { device, spaces }
            }
            3 => RelayFrame::Ack { request: r.u32()?, doc: DocRef(r.array()?), seq: r.u64()? },
            4 => {
                let request = r.u32()?;
                let code = r.u16()?;
                let code = Reject::from_u16(code).ok_or(WireError::UnknownTag(code as u8))?;
                RelayFrame::Reject { request, code, message: r.str()? }
            }
            5 => RelayFrame::Blob { seq: r.u64()?, blob: r.sealed()? },
            6 => RelayFrame::Snapshot { covers: r.u64()?, blob: r.sealed()? },
            7 => RelayFrame::CaughtUp { space: SpaceId(r.array()?) },
            8 => {
                let code = r.u16()?;
                let code = Fatal::from_u16(code).ok_or(WireError::UnknownTag(code as u8))?;
                RelayFrame::Error { code, message: r.str()? }
            }
            9 => RelayFrame::Pong,
            10 => RelayFrame::Presence { blob: r.sealed()? },
            11 => {
                let n = r.len(32)?;
                let spaces = (0..n).map(|_| Ok(SpaceId(r.array()?))).collect::<Result<_, _>>()?;
                RelayFrame::Unregistered { spaces }
            }
            t => return Err(WireError::UnknownTag(t)),
        };
        r.end()?;
        Ok(frame)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::crypto::{DeviceKey, SpaceSecret};

    fn blob(bytes: Vec<u8>) -> Sealed {
        let space = SpaceSecret::from_bytes([3; 32]).keys();
        let device = DeviceKey::from_bytes([4; 32]);
        let payload = Payload { doc: "profile".into(), kind: PayloadKind::Changes, bytes };
        Sealed::seal(&space, &device, &space.admit(device.id()), &payload)
    }

    fn client_frames(bytes: Vec<u8>) -> Vec<ClientFrame> {
        let b = blob(bytes);
        vec![
            ClientFrame::Auth {
                device: b.author,
                signature: [9; 64],
                certs: vec![b.cert, SpaceSecret::from_bytes([5; 32]).keys().reader_keys().admit(b.author)],
            },
            ClientFrame::Admit { cert: b.cert },
            ClientFrame::Subscribe { space: b.space, cursors: vec![(b.doc, 7), (DocRef([1; 16]), 0)] },
            ClientFrame::Put { request: 42, blob: b.clone() },
            ClientFrame::Snapshot { request: 43, covers: 99, blob: b.clone() },
            ClientFrame::Ping,
            ClientFrame::Presence { blob: b.clone() },
            ClientFrame::Register {
                registration: crate::RegistrationKey::from_seed([6; 32]).register(b.space),
            },
        ]
    }

    fn relay_frames(bytes: Vec<u8>) -> Vec<RelayFrame> {
        let b = blob(bytes);
        vec![
            RelayFrame::Challenge { nonce: [5; 32] },
            RelayFrame::Welcome { device: b.author, spaces: vec![b.space] },
            RelayFrame::Ack { request: 1, doc: b.doc, seq: u64::MAX },
            RelayFrame::Reject { request: 2, code: Reject::RateLimited, message: "slow down".into() },
            RelayFrame::Blob { seq: 3, blob: b.clone() },
            RelayFrame::Snapshot { covers: 4, blob: b.clone() },
            RelayFrame::CaughtUp { space: b.space },
            RelayFrame::Error { code: Fatal::Malformed, message: "what?".into() },
            RelayFrame::Pong,
            RelayFrame::Presence { blob: b.clone() },
            RelayFrame::Unregistered { spaces: vec![b.space] },
            RelayFrame::Reject { request: 3, code: Reject::ProgrammeFull, message: "full".into() },
            RelayFrame::Error { code: Fatal::TimedOut, message: "too slow".into() },
        ]
    }

    proptest! {
        #[test]
        fn frames_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
            for frame in client_frames(bytes.clone()) {
                prop_assert_eq!(ClientFrame::decode(&frame.encode()), Ok(frame));
            }
            for frame in relay_frames(bytes) {
                prop_assert_eq!(RelayFrame::decode(&frame.encode()), Ok(frame));
            }
        }

        #[test]
        fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
            let _ = ClientFrame::decode(&bytes);
            let _ = RelayFrame::decode(&bytes);
            let _ = decode_sealed(&bytes);
            let _ = decode_payload(&bytes);
        }

        #[test]
        fn every_truncation_is_an_error(cut in 0usize..1000) {
            for frame in client_frames(vec![1, 2, 3]) {
                let bytes = frame.encode();
                if cut < bytes.len() {
                    prop_assert!(ClientFrame::decode(&bytes[..cut]).is_err());
                }
            }
        }
    }

    #[test]
    fn raw_frames_match_encoded_ones() {
        let b = blob(vec![1, 2, 3]);
        let raw = encode_sealed(&b);
        assert_eq!(blob_frame(9, &raw), RelayFrame::Blob { seq: 9, blob: b.clone() }.encode());
        assert_eq!(snapshot_frame(4, &raw), RelayFrame::Snapshot { covers: 4, blob: b }.encode());
    }

    #[test]
    fn trailing_bytes_and_unknown_tags_are_refused() {
        let mut bytes = ClientFrame::Ping.encode();
        bytes.push(0);
        assert_eq!(ClientFrame::decode(&bytes), Err(WireError::Trailing(1)));
        assert_eq!(ClientFrame::decode(&[200]), Err(WireError::UnknownTag(200)));
        assert_eq!(ClientFrame::decode(&[]), Err(WireError::Truncated));
    }

    #[test]
    fn auth_and_subscribe_carry_a_bounded_number_of_items() {
        let b = blob(vec![]);
        let auth =
            |n: usize| ClientFrame::Auth { device: b.author, signature: [0; 64], certs: vec![b.cert; n] };
        assert!(ClientFrame::decode(&auth(MAX_AUTH_CERTS).encode()).is_ok());
        assert_eq!(ClientFrame::decode(&auth(MAX_AUTH_CERTS + 1).encode()), Err(WireError::TooMany(65)));
        let subscribe = |n: usize| ClientFrame::Subscribe { space: b.space, cursors: vec![(b.doc, 1); n] };
        assert!(ClientFrame::decode(&subscribe(MAX_SUBSCRIBE_CURSORS).encode()).is_ok());
        assert!(matches!(
            ClientFrame::decode(&subscribe(MAX_SUBSCRIBE_CURSORS + 1).encode()),
            Err(WireError::TooMany(_))
        ));
    }

    #[test]
    fn a_made_up_list_length_does_not_allocate() {
        // Auth claiming four billion certificates in a 100-byte frame.
        let mut bytes = vec![1];
        bytes.extend_from_slice(&[0; 96]);
        bytes.extend_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(ClientFrame::decode(&bytes), Err(WireError::Truncated));
    }
}
