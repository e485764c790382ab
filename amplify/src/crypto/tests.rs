//! Keys, certificates and sealed blobs, against forgery.

use chacha20poly1305::{
    XChaCha20Poly1305, XNonce,
    aead::{Aead, KeyInit, Payload as Aad},
};
use ed25519_dalek::Signer;

use super::{
    sealed::{header_bytes, signed_bytes},
    *,
};

fn payload() -> Payload {
    Payload { doc: "journal/2026-11".to_owned(), kind: PayloadKind::Changes, bytes: b"changes".to_vec() }
}

#[test]
fn a_member_seals_and_another_member_opens() {
    let secret = SpaceSecret::generate();
    let (space, device) = (secret.keys(), DeviceKey::generate());
    let sealed = Sealed::seal(&space, &device, &space.admit(device.id()), &payload());
    assert_eq!(sealed.verify(), Ok(()));
    // Another device with the same secret (an invite, a recovery code) reads it.
    let elsewhere = SpaceSecret::from_bytes(secret.to_bytes()).keys();
    assert_eq!(sealed.open(&elsewhere), Ok(payload()));
}

#[test]
fn the_relay_sees_no_plaintext_and_no_document_name() {
    let space = SpaceSecret::generate().keys();
    let device = DeviceKey::generate();
    let mut p = payload();
    p.bytes = b"MARKER-in-my-private-journal".to_vec();
    let sealed = Sealed::seal(&space, &device, &space.admit(device.id()), &p);
    let wire = crate::wire::encode_sealed(&sealed);
    for needle in [&b"MARKER"[..], b"journal", b"2026-11"] {
        assert!(!wire.windows(needle.len()).any(|w| w == needle));
    }
}

#[test]
fn every_forgery_is_refused() {
    let space = SpaceSecret::generate().keys();
    let device = DeviceKey::generate();
    let cert = space.admit(device.id());
    let good = Sealed::seal(&space, &device, &cert, &payload());

    let mut tampered = good.clone();
    tampered.ciphertext[0] ^= 1;
    assert_eq!(tampered.verify(), Err(SealError::BadSignature));

    // A device the space never admitted, signing with a certificate it made itself.
    let other_space = SpaceSecret::generate().keys();
    let intruder = DeviceKey::generate();
    let mut self_made = Sealed::seal(&space, &intruder, &other_space.admit(intruder.id()), &payload());
    assert_eq!(self_made.verify(), Err(SealError::CertOtherSpace));
    self_made.cert.space = space.id;
    assert_eq!(self_made.verify(), Err(SealError::BadCert));

    // A stolen certificate, used by another device.
    let thief = Sealed::seal(&space, &intruder, &cert, &payload());
    assert_eq!(thief.verify(), Err(SealError::CertNotAuthor));

    // Someone without the content key cannot read it.
    assert_eq!(good.open(&other_space), Err(SealError::CertOtherSpace));
    let mut rekeyed = good.clone();
    rekeyed.space = other_space.id;
    rekeyed.cert = other_space.admit(device.id());
    assert!(rekeyed.open(&other_space).is_err());
}

#[test]
fn readers_read_but_what_they_sign_is_refused() {
    let space = SpaceSecret::generate().keys();
    let member = DeviceKey::generate();
    let written = Sealed::seal(&space, &member, &space.admit(member.id()), &payload());

    // The executive's invite carries reader keys only.
    let reader = ReaderKeys::from_bytes(&space.reader_keys().to_bytes()).unwrap();
    let executive = DeviceKey::generate();
    let cert = reader.admit(executive.id());
    assert_eq!(cert.verify(), Ok(()), "the space admits the reader");
    assert_eq!(written.open_as_reader(&reader), Ok(payload()));

    let attempt = Sealed::seal(&space, &executive, &cert, &payload());
    assert_eq!(attempt.verify(), Err(SealError::ReadOnly));
    assert_eq!(attempt.open(&space), Err(SealError::ReadOnly));

    // A reader key the space never granted admits nobody.
    let mut forged = cert;
    forged.grant = Some([0; 64]);
    assert_eq!(forged.verify(), Err(SealError::BadCert));
    let mut promoted = cert;
    promoted.role = CertRole::Member;
    assert_eq!(promoted.verify(), Err(SealError::BadCert), "a reader cannot make itself a member");
    let mut bytes = space.reader_keys().to_bytes();
    bytes[100] ^= 1;
    assert!(ReaderKeys::from_bytes(&bytes).is_err());
}

#[test]
fn doc_refs_depend_on_the_space() {
    let (a, b) = (SpaceSecret::generate().keys(), SpaceSecret::generate().keys());
    assert_eq!(a.content.doc_ref("profile"), a.content.doc_ref("profile"));
    assert_ne!(a.content.doc_ref("profile"), b.content.doc_ref("profile"));
    assert_ne!(a.content.doc_ref("profile"), a.content.doc_ref("journal/2026-11"));
}

/// `payload` sealed by `device` but filed under `doc`, as a client with other rules would.
fn sealed_under(space: &SpaceKeys, device: &DeviceKey, doc: DocRef) -> Sealed {
    let mut blob = Sealed::seal(space, device, &space.admit(device.id()), &payload());
    blob.doc = doc;
    let header = header_bytes(blob.space, blob.doc, blob.author, 0);
    let cipher = XChaCha20Poly1305::new(&space.content.0.into());
    let plaintext = super::sealed::encode_payload(&payload());
    blob.ciphertext =
        cipher.encrypt(&XNonce::from(blob.nonce), Aad { msg: &plaintext, aad: &header }).unwrap();
    blob.signature = device.0.sign(&signed_bytes(&header, &blob.nonce, &blob.ciphertext)).to_bytes();
    blob
}

#[test]
fn doc_refs_have_a_key_of_their_own_and_legacy_refs_still_open() {
    let space = SpaceSecret::generate().keys();
    let device = DeviceKey::generate();
    let id = payload().doc;
    assert_ne!(space.content.doc_ref(&id), space.content.legacy_doc_ref(&id));
    // A blob a version-1 client filed under the old reference still opens.
    let old = sealed_under(&space, &device, space.content.legacy_doc_ref(&id));
    assert_eq!(old.open(&space), Ok(payload()));
    // Filed under another document's reference, current or legacy, it is refused.
    for other in [space.content.doc_ref("profile"), space.content.legacy_doc_ref("profile")] {
        let misfiled = sealed_under(&space, &device, other);
        assert_eq!(misfiled.verify(), Ok(()), "signed correctly");
        assert_eq!(misfiled.open(&space), Err(SealError::Undecryptable));
    }
}

#[test]
fn challenges_prove_the_device_key() {
    let device = DeviceKey::generate();
    let nonce = [7u8; 32];
    let signature = device.sign_challenge(&nonce);
    assert_eq!(verify_challenge(&nonce, device.id(), &signature), Ok(()));
    assert!(verify_challenge(&[8u8; 32], device.id(), &signature).is_err());
    assert!(verify_challenge(&nonce, DeviceKey::generate().id(), &signature).is_err());
}

#[test]
fn a_governed_blob_opens_only_with_its_epochs_key_and_its_epoch_cannot_be_swapped() {
    let space = SpaceId([7; 32]);
    let (refs, first, second) = (ContentKey([1; 32]), ContentKey([1; 32]), ContentKey([2; 32]));
    let device = DeviceKey::generate();
    let blob = Sealed::seal_governed(space, &refs, 2, &second, &device, &payload());
    assert_eq!(blob.open_governed(&refs, &[first.clone(), second.clone()]), Ok(payload()));
    assert_eq!(
        blob.open_governed(&refs, &[first]),
        Err(SealError::Undecryptable),
        "an older key reads nothing new"
    );
    let mut relabelled = blob.clone();
    relabelled.epoch = 1;
    assert_eq!(relabelled.open_governed(&refs, std::slice::from_ref(&second)), Err(SealError::BadSignature));
    // The wire keeps the epoch.
    let wire = crate::wire::encode_sealed(&blob);
    assert_eq!(crate::wire::decode_sealed(&wire), Ok(blob));
}

#[test]
fn folded_changes_load_as_the_saves_they_fold() {
    use automerge::{AutoCommit, ROOT, ReadDoc, transaction::Transactable};
    let mut doc = AutoCommit::new();
    let saves: Vec<Payload> = (0..5)
        .map(|i| {
            let heads = doc.get_heads();
            doc.put(ROOT, format!("edit {i}"), i).unwrap();
            Payload {
                doc: "journal/2026-11".to_owned(),
                kind: PayloadKind::Changes,
                bytes: doc.save_after(&heads),
            }
        })
        .collect();
    let folded = Payload::fold(saves.clone()).expect("changes to one document fold");
    let mut elsewhere = AutoCommit::new();
    elsewhere.load_incremental(&folded.bytes).unwrap();
    assert_eq!(elsewhere.get_heads(), doc.get_heads());
    assert_eq!(elsewhere.length(ROOT), 5);

    // Nothing folds across documents, with a snapshot, or from nothing.
    let other = Payload { doc: "journal/2026-10".to_owned(), ..saves[0].clone() };
    assert_eq!(Payload::fold([saves[0].clone(), other]), None);
    let snapshot = Payload { kind: PayloadKind::Snapshot, ..saves[1].clone() };
    assert_eq!(Payload::fold([saves[0].clone(), snapshot]), None);
    assert_eq!(Payload::fold([]), None);
}

#[test]
fn a_device_opens_its_own_queued_blobs_by_decryption_alone() {
    let (space, device) = (SpaceSecret::generate().keys(), DeviceKey::generate());
    let sealed = Sealed::seal(&space, &device, &space.admit(device.id()), &payload());
    let key = std::slice::from_ref(&space.content);
    assert_eq!(sealed.open_own(&space.content, key), Ok(payload()));

    // The signature is not what it checks: a blob that would not verify still opens here...
    let mut unsigned = sealed.clone();
    unsigned.signature = [0; 64];
    assert_eq!(unsigned.open(&space), Err(SealError::BadSignature));
    assert_eq!(unsigned.open_own(&space.content, key), Ok(payload()));
    // ...but decryption is: another key, an altered ciphertext or header opens nothing.
    let other = SpaceSecret::generate().keys();
    assert_eq!(
        sealed.open_own(&other.content, std::slice::from_ref(&other.content)),
        Err(SealError::Undecryptable)
    );
    let mut altered = sealed.clone();
    altered.ciphertext[0] ^= 1;
    assert_eq!(altered.open_own(&space.content, key), Err(SealError::Undecryptable));
    let mut moved = sealed.clone();
    moved.doc = space.content.doc_ref("journal/2026-10");
    assert_eq!(moved.open_own(&space.content, key), Err(SealError::Undecryptable));
}
