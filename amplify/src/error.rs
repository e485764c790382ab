//! Errors of the shared crate.

use thiserror::Error;

/// Why a document could not be opened or changed.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DocError {
    /// The bytes are not a readable automerge document or change.
    #[error("the saved data is damaged: {0}")]
    Corrupt(String),
    /// The bytes hold a document, but of another kind.
    #[error("expected a document of kind {expected}, found {}", found.as_deref().unwrap_or("none"))]
    WrongKind { expected: &'static str, found: Option<String> },
}

/// Everything that can go wrong in the shared crate.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum Error {
    #[error(transparent)]
    Doc(#[from] DocError),
}
