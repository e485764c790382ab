//! Signature checks, strict: the one place crypto verifies Ed25519.

use thiserror::Error;

/// Why a sealed blob or a certificate was refused.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SealError {
    #[error("the certificate is not signed by the space")]
    BadCert,
    #[error("the certificate admits another device than the blob's author")]
    CertNotAuthor,
    #[error("the certificate is for another space")]
    CertOtherSpace,
    #[error("the author's signature does not verify")]
    BadSignature,
    #[error("the blob cannot be decrypted with this space's key")]
    Undecryptable,
    #[error("a key is not a valid Ed25519 point")]
    BadKey,
    #[error("the author may read this space but not write to it")]
    ReadOnly,
    #[error("the author was not a writer of the space when this was sealed (removed, or never admitted)")]
    NotAWriter,
    #[error("the author may not change this document (another person's, or the programme team's)")]
    NotTheirs,
}

/// Checks an Ed25519 signature, strictly.
pub(super) fn verify(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> Result<(), SealError> {
    let key = ed25519_dalek::VerifyingKey::from_bytes(key).map_err(|_| SealError::BadKey)?;
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
        .map_err(|_| SealError::BadSignature)
}

/// Whether `signature` is `key`'s over `message` (strict Ed25519).
pub(crate) fn verify_key(key: &[u8; 32], message: &[u8], signature: &[u8; 64]) -> bool {
    verify(key, message, signature).is_ok()
}
