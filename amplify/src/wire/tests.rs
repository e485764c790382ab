//! Frames round-trip, and hostile bytes never panic or over-allocate.

use proptest::prelude::*;

use super::*;
use crate::crypto::{DeviceKey, SpaceSecret};
use crate::{
    codec::WireError,
    crypto::{Payload, PayloadKind},
};

fn blob(bytes: Vec<u8>) -> Sealed {
    let space = SpaceSecret::from_bytes([3; 32]).keys();
    let device = DeviceKey::from_bytes([4; 32]);
    let payload = Payload { doc: "profile".into(), kind: PayloadKind::Changes, bytes };
    Sealed::seal(&space, &device, &space.admit(device.id()), &payload)
}

/// A genesis operation, as a membership frame carries it.
fn governance_op() -> crate::members::Op {
    let space_key = ed25519_dalek::SigningKey::from_bytes(&[8; 32]);
    let agreement = crate::members::AgreementKey::from_seed([9; 32]).public();
    crate::members::Op::genesis(
        &space_key,
        &DeviceKey::from_bytes([4; 32]),
        agreement,
        crate::SpaceId([1; 32]),
        0,
        5,
    )
}

fn client_frames(bytes: Vec<u8>) -> Vec<ClientFrame> {
    let b = blob(bytes);
    vec![
        ClientFrame::Auth {
            device: b.author,
            signature: [9; 64],
            certs: vec![b.cert, SpaceSecret::from_bytes([5; 32]).keys().reader_keys().admit(b.author)],
            compact: true,
        },
        ClientFrame::Admit { cert: b.cert },
        ClientFrame::Subscribe { space: b.space, cursors: vec![(b.doc, 7), (DocRef([1; 16]), 0)] },
        ClientFrame::Put { request: 42, blob: b.clone() },
        ClientFrame::Snapshot { request: 43, covers: 99, blob: b.clone() },
        ClientFrame::Ping,
        ClientFrame::Presence { blob: b.clone() },
        ClientFrame::Register { registration: crate::RegistrationKey::from_seed([6; 32]).register(b.space) },
        ClientFrame::Members { request: 5, space: b.space, ops: vec![governance_op()] },
        ClientFrame::Erase { request: 6, space: b.space, signature: [3; 64] },
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
        RelayFrame::Members { space: b.space, ops: vec![governance_op()] },
        RelayFrame::Removed { space: b.space },
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
            prop_assert_eq!(RelayFrame::decode(&compact_frame(frame.encode())), Ok(frame.clone()));
            prop_assert_eq!(RelayFrame::decode(&frame.encode()), Ok(frame));
        }
    }

    #[test]
    fn garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = ClientFrame::decode(&bytes);
        let _ = RelayFrame::decode(&bytes);
        let _ = decode_sealed(&bytes);
        let _ = RelayFrame::decode(&compact_frame(bytes.clone()));
        let _ = crate::crypto::decode_payload(&bytes);
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
    let auth = |n: usize| ClientFrame::Auth {
        device: b.author,
        signature: [0; 64],
        certs: vec![b.cert; n],
        compact: true,
    };
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

/// A governed space's blob: its certificate is a bare claim the membership log checks.
fn governed_blob() -> Sealed {
    let space = SpaceSecret::from_bytes([7; 32]).keys();
    let device = DeviceKey::from_bytes([4; 32]);
    let payload = Payload { doc: "profile".into(), kind: PayloadKind::Changes, bytes: vec![1, 2, 3] };
    Sealed::seal_governed(space.id, &space.content, 2, &space.content, &device, &payload)
}

#[test]
fn blobs_travel_with_their_certificate_by_reference() {
    for b in [blob(vec![1, 2, 3]), governed_blob()] {
        // Relay frames: the same frame, 64 bytes shorter (the certificate's space and device).
        for frame in [
            RelayFrame::Blob { seq: 3, blob: b.clone() },
            RelayFrame::Snapshot { covers: 4, blob: b.clone() },
            RelayFrame::Presence { blob: b.clone() },
        ] {
            let full = frame.encode();
            let compact = compact_frame(full.clone());
            assert_eq!(compact.len(), full.len() - 64);
            assert_ne!(compact[0], full[0]);
            assert_eq!(RelayFrame::decode(&compact), Ok(frame));
        }
        // Client frames go compact, and the relay still reads a client from before.
        let put = ClientFrame::Put { request: 7, blob: b.clone() };
        let mut old = vec![4];
        old.extend_from_slice(&7u32.to_le_bytes());
        old.extend_from_slice(&encode_sealed(&b));
        assert_eq!(put.encode().len(), old.len() - 64);
        assert_eq!(ClientFrame::decode(&old), Ok(put.clone()));
        assert_eq!(ClientFrame::decode(&put.encode()), Ok(put));
    }
    // Other frames pass through untouched; so do bytes that are not a blob frame.
    for frame in relay_frames(vec![]) {
        if !matches!(
            frame,
            RelayFrame::Blob { .. } | RelayFrame::Snapshot { .. } | RelayFrame::Presence { .. }
        ) {
            assert_eq!(compact_frame(frame.encode()), frame.encode());
        }
    }
    assert_eq!(compact_frame(vec![5, 1, 2]), vec![5, 1, 2]);
    assert_eq!(compact_frame(vec![]), Vec::<u8>::new());
    // A client says which form it reads; one from before says nothing and gets the full form.
    let b = blob(vec![]);
    let auth =
        |compact| ClientFrame::Auth { device: b.author, signature: [1; 64], certs: vec![b.cert], compact };
    assert_eq!(ClientFrame::decode(&auth(false).encode()), Ok(auth(false)));
    assert_eq!(auth(false).encode()[0], 1);
}

#[test]
fn a_certificate_for_another_space_or_device_is_sent_as_it_is() {
    // Such a blob never verifies; it keeps its certificate on the wire so the relay can say why.
    let mut b = blob(vec![1]);
    b.cert = SpaceSecret::from_bytes([9; 32]).keys().admit(b.author);
    let put = ClientFrame::Put { request: 1, blob: b.clone() };
    assert_eq!(ClientFrame::decode(&put.encode()), Ok(put));
    let full = RelayFrame::Blob { seq: 1, blob: b.clone() }.encode();
    assert_eq!(compact_frame(full.clone()), full);
    b.cert = blob(vec![1]).cert;
    b.cert.device = crate::DeviceId([9; 32]);
    let presence = ClientFrame::Presence { blob: b };
    assert_eq!(ClientFrame::decode(&presence.encode()), Ok(presence));
}
