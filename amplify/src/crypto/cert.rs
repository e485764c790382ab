//! Certificates (a space admits a device) and the relay's challenge.

use super::{
    check::{SealError, verify},
    ids::{DeviceId, SpaceId},
};

/// What a certificate allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertRole {
    /// Reads and writes.
    Member,
    /// Reads only: the relay and every member refuse what a reader signs.
    Reader,
    /// A member of a governed space: no signature here, the space's membership log says what
    /// the device may do (see `members`).
    Governed,
}

pub(super) fn challenge_bytes(nonce: &[u8; 32], device: DeviceId) -> Vec<u8> {
    [&b"amplify relay auth v1\0"[..], nonce, &device.0].concat()
}

/// Checks a device's answer to the relay's challenge.
///
/// # Errors
/// [`SealError::BadKey`] or [`SealError::BadSignature`].
pub fn verify_challenge(nonce: &[u8; 32], device: DeviceId, signature: &[u8; 64]) -> Result<(), SealError> {
    verify(&device.0, &challenge_bytes(nonce, device), signature)
}

/// A space's statement that a device may read it, and write to it if a member.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Cert {
    pub space: SpaceId,
    pub device: DeviceId,
    pub role: CertRole,
    /// Who signed: the space itself for members, a granted reader key for readers.
    pub signer: [u8; 32],
    pub signature: [u8; 64],
    /// For readers: the space's grant of `signer`.
    pub grant: Option<[u8; 64]>,
}

impl Cert {
    /// A device's claim to be a member of the governed space `space`: the relay and peers check
    /// it against the space's membership log, not a signature.
    pub fn governed(space: SpaceId, device: DeviceId) -> Cert {
        Cert { space, device, role: CertRole::Governed, signer: [0; 32], signature: [0; 64], grant: None }
    }

    pub(super) fn signed_bytes(space: SpaceId, device: DeviceId, role: CertRole) -> Vec<u8> {
        let role = match role {
            CertRole::Member => 1u8,
            CertRole::Reader => 2,
            CertRole::Governed => 3,
        };
        [&b"amplify cert v2\0"[..], &space.0, &device.0, &[role]].concat()
    }

    /// Checks that the space signed this certificate, directly (members) or through a reader
    /// key it granted (readers). A governed claim never verifies on its own: check the log.
    ///
    /// # Errors
    /// [`SealError::BadCert`] if not.
    pub fn verify(&self) -> Result<(), SealError> {
        let signed = Cert::signed_bytes(self.space, self.device, self.role);
        let checked = match (self.role, self.grant) {
            (CertRole::Member, None) if self.signer == self.space.0 => {
                verify(&self.space.0, &signed, &self.signature)
            }
            (CertRole::Reader, Some(grant)) => {
                verify(&self.space.0, &grant_bytes(self.space, &self.signer), &grant)
                    .and_then(|()| verify(&self.signer, &signed, &self.signature))
            }
            _ => Err(SealError::BadCert),
        };
        checked.map_err(|_| SealError::BadCert)
    }
}

/// What the space signs to grant a reader key the right to admit readers.
pub(super) fn grant_bytes(space: SpaceId, reader: &[u8; 32]) -> Vec<u8> {
    [&b"amplify reader grant v1\0"[..], &space.0, reader].concat()
}
