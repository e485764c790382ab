//! The automerge document every model wraps, and the helpers the models share.

use std::cell::OnceCell;

use automerge::{ChangeHash, ObjId, ObjType, ROOT, ScalarValue};

use crate::{
    engine::{self, Got, Store},
    error::DocError,
};

/// What a document holds. Stored in the document itself (`schema` at the root) so that a
/// document of one kind is never opened as another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    Journal,
    Profile,
    Group,
    Canvas,
    Cohort,
    Coaching,
    SharedEntry,
    Notes,
    Showcase,
    Keyring,
}

impl DocKind {
    /// The tag written at the root of every document of this kind.
    pub fn schema(self) -> &'static str {
        match self {
            DocKind::Journal => "amplify/journal/1",
            DocKind::Profile => "amplify/profile/1",
            DocKind::Group => "amplify/group/1",
            DocKind::Canvas => "amplify/canvas/1",
            DocKind::Cohort => "amplify/cohort/1",
            DocKind::Coaching => "amplify/coaching/1",
            DocKind::SharedEntry => "amplify/shared-entry/1",
            DocKind::Notes => "amplify/notes/1",
            DocKind::Showcase => "amplify/showcase/1",
            DocKind::Keyring => "amplify/keyring/1",
        }
    }

    /// Words a person would use for this kind of document, for messages.
    pub fn label(self) -> &'static str {
        match self {
            DocKind::Journal => "journal",
            DocKind::Profile => "profile",
            DocKind::Group => "home group",
            DocKind::Canvas => "experiment canvas",
            DocKind::Cohort => "cohort",
            DocKind::Coaching => "coaching notes",
            DocKind::SharedEntry => "shared entry",
            DocKind::Notes => "private notes",
            DocKind::Showcase => "showcase card",
            DocKind::Keyring => "list of your groups and programmes",
        }
    }
}

/// The actor that writes every document's first change. Because that change is the same bytes
/// on every device, two devices that create the same document while offline share its
/// containers instead of each creating a rival `entries` map that would hide the other's.
const INIT_ACTOR: &[u8] = b"amplify-init-v1";

/// An automerge document of a known kind.
///
/// Reads go through `&self`, writes through `&mut self`. Edits gather in one open automerge
/// transaction until the next save (or merge, or `heads`) commits them as one change: typing a
/// sentence between two saves costs one change's metadata, not one per keystroke.
///
/// Automerge itself is behind the installed [`engine`]. A document made before there is one
/// (the web app's placeholders, drawn while automerge is fetched) reads as empty and is created
/// when first read or written once the engine is here; writing it before is a bug, and panics.
pub struct Doc {
    kind: DocKind,
    /// The root objects the kind's first change creates.
    containers: &'static [(&'static str, ObjType)],
    store: OnceCell<Box<dyn Store>>,
}

impl std::fmt::Debug for Doc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Doc").field("kind", &self.kind).field("made", &self.store.get().is_some()).finish()
    }
}

const NO_ENGINE: &str = "a document is written or loaded only once the engine is installed";

impl Doc {
    /// A new, empty document. `containers` lists the root objects the kind needs; they are
    /// created in the deterministic first change.
    pub(crate) fn create(kind: DocKind, containers: &'static [(&'static str, ObjType)]) -> Doc {
        let doc = Doc { kind, containers, store: OnceCell::new() };
        doc.store();
        doc
    }

    /// The document's store, made now if it was created before the engine was installed;
    /// `None` while there is no engine.
    fn store(&self) -> Option<&dyn Store> {
        if let Some(store) = self.store.get() {
            return Some(store.as_ref());
        }
        let engine = engine::installed()?;
        Some(
            self.store
                .get_or_init(|| engine.create(INIT_ACTOR, self.kind.schema(), self.containers))
                .as_ref(),
        )
    }

    fn store_mut(&mut self) -> &mut dyn Store {
        self.store().expect(NO_ENGINE);
        self.store.get_mut().expect("made just above").as_mut()
    }

    /// Loads a document saved by [`Doc::save`] (optionally followed by incremental changes).
    ///
    /// # Errors
    /// [`DocError::Corrupt`] if the bytes are not an automerge document, and
    /// [`DocError::WrongKind`] if they hold a document of another kind.
    pub fn load(kind: DocKind, bytes: &[u8]) -> Result<Doc, DocError> {
        let store = engine::installed().expect(NO_ENGINE).load(bytes).map_err(DocError::Corrupt)?;
        let doc = Doc { kind, containers: &[], store: OnceCell::from(store) };
        match doc.get_str(&ROOT, "schema") {
            Some(schema) if schema == kind.schema() => Ok(doc),
            found => Err(DocError::WrongKind { expected: kind.schema(), found }),
        }
    }

    pub fn kind(&self) -> DocKind {
        self.kind
    }

    /// Applies changes saved elsewhere (an incremental save, or another copy's whole save).
    /// Applying the same bytes twice changes nothing.
    ///
    /// # Errors
    /// [`DocError::Corrupt`] if the bytes cannot be parsed; the document is unchanged then.
    pub fn apply(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        validate_changes(bytes)?;
        self.store_mut().load_incremental(bytes).map_err(DocError::Corrupt)
    }

    /// Takes in a whole saved document (a snapshot from another device). Equivalent to
    /// [`Doc::apply`], but loads the snapshot in one pass and then merges in what this copy has
    /// that the snapshot lacks, instead of replaying the snapshot change by change; for a new
    /// device that is the difference between seconds and a blink.
    ///
    /// # Errors
    /// [`DocError::Corrupt`] or [`DocError::WrongKind`] if the bytes are not a document of this
    /// kind; this copy is unchanged then.
    pub fn apply_snapshot(&mut self, bytes: &[u8]) -> Result<(), DocError> {
        let mut snapshot = Doc::load(self.kind, bytes)?;
        let mine = self.store_mut();
        let theirs = snapshot.store_mut();
        theirs.merge(mine).map_err(DocError::Corrupt)?;
        theirs.set_actor(&mine.actor());
        self.store = snapshot.store;
        Ok(())
    }

    /// Merges another copy of the same document into this one.
    ///
    /// # Errors
    /// [`DocError::Corrupt`] if automerge refuses the other copy's changes.
    pub fn merge(&mut self, other: &mut Doc) -> Result<(), DocError> {
        self.store_mut().merge(other.store_mut()).map_err(DocError::Corrupt)
    }

    /// The whole document, compressed: what a snapshot stores.
    pub fn save(&mut self) -> Vec<u8> {
        self.store_mut().save()
    }

    /// The changes made since `heads`: what an incremental save appends.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.store_mut().save_after(heads)
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.store_mut().heads()
    }

    /// Changes this copy was given but cannot apply yet, because a change they build on is not
    /// here: the hashes of what is missing. Empty for a complete document.
    ///
    /// A copy with missing changes holds the later ones aside; [`Doc::save`] would leave them
    /// out, so such a copy must not replace what is stored.
    pub fn missing_deps(&mut self) -> Vec<ChangeHash> {
        self.store_mut().missing_deps()
    }

    /// A copy that shares this document's history, with its own actor: a second device.
    pub fn fork(&mut self) -> Doc {
        let store = self.store_mut().fork();
        Doc { kind: self.kind, containers: self.containers, store: OnceCell::from(store) }
    }

    fn get(&self, obj: &ObjId, key: &str) -> Option<Got> {
        self.store()?.get(obj, key)
    }

    /// Whether `key` holds anything.
    pub(crate) fn has(&self, obj: &ObjId, key: &str) -> bool {
        self.get(obj, key).is_some()
    }

    /// The object at `key` in the root map, which the kind's first change created.
    pub(crate) fn root_obj(&self, key: &str) -> ObjId {
        match self.get(&ROOT, key) {
            Some(Got::Object(id)) => id,
            // Not made yet (no engine): nothing to read anywhere in it.
            _ if self.store().is_none() => ROOT,
            _ => panic!("a loaded {} document always has its `{key}` container", self.kind.label()),
        }
    }

    pub(crate) fn get_obj(&self, obj: &ObjId, key: &str) -> Option<ObjId> {
        match self.get(obj, key) {
            Some(Got::Object(id)) => Some(id),
            _ => None,
        }
    }

    pub(crate) fn get_str(&self, obj: &ObjId, key: &str) -> Option<String> {
        match self.get(obj, key) {
            Some(Got::Scalar(ScalarValue::Str(s))) => Some(s.to_string()),
            _ => None,
        }
    }

    /// Every string value `key` holds: more than one when devices wrote it concurrently (the
    /// merge keeps them all; `get_str` reads the one automerge picks).
    pub(crate) fn get_all_str(&self, obj: &ObjId, key: &str) -> Vec<String> {
        let Some(store) = self.store() else { return Vec::new() };
        store
            .get_all(obj, key)
            .into_iter()
            .filter_map(|value| match value {
                Got::Scalar(ScalarValue::Str(s)) => Some(s.to_string()),
                _ => None,
            })
            .collect()
    }

    pub(crate) fn get_i64(&self, obj: &ObjId, key: &str) -> Option<i64> {
        match self.get(obj, key)? {
            Got::Scalar(ScalarValue::Int(i) | ScalarValue::Timestamp(i)) => Some(i),
            Got::Scalar(ScalarValue::Uint(u)) => i64::try_from(u).ok(),
            _ => None,
        }
    }

    pub(crate) fn get_bool(&self, obj: &ObjId, key: &str) -> bool {
        matches!(self.get(obj, key), Some(Got::Scalar(ScalarValue::Boolean(true))))
    }

    /// The text of the text object at `key`, or "" if there is none.
    pub(crate) fn get_text(&self, obj: &ObjId, key: &str) -> String {
        self.get_obj(obj, key).and_then(|text| self.store()?.text(&text)).unwrap_or_default()
    }

    /// The text at `key` as it was at `heads`: "" if there was none then, `None` if the heads
    /// are not all known here.
    pub(crate) fn get_text_at(&self, obj: &ObjId, key: &str, heads: &[ChangeHash]) -> Option<String> {
        match self.store() {
            Some(store) => store.text_at_heads(obj, key, heads),
            None => Some(String::new()),
        }
    }

    /// Replaces the text at `key` with `value` by splicing only what lies between the common
    /// prefix and the common suffix, so a concurrent edit elsewhere in the same text survives
    /// the merge.
    ///
    /// Every edit a text field reports (typing, deleting a selection, pasting) is one such span.
    pub(crate) fn set_text(&mut self, obj: &ObjId, key: &str, value: &str) {
        let (text, old) = match self.get_obj(obj, key) {
            Some(text) => {
                let old = self.store_mut().text(&text).expect("text is a text object");
                (text, old)
            }
            None => (self.put_object(obj, key, ObjType::Text), String::new()),
        };
        self.store_mut().replace_text(&text, &old, value);
    }

    pub(crate) fn put(&mut self, obj: &ObjId, key: &str, value: impl Into<ScalarValue>) {
        self.store_mut().put(obj, key, value.into());
    }

    /// Creates an object at `key` (replacing what was there) and names it.
    pub(crate) fn put_object(&mut self, obj: &ObjId, key: &str, ty: ObjType) -> ObjId {
        self.store_mut().put_object(obj, key, ty)
    }

    pub(crate) fn delete(&mut self, obj: &ObjId, key: &str) {
        self.store_mut().delete(obj, key);
    }

    /// The keys of a map object.
    pub(crate) fn keys(&self, obj: &ObjId) -> impl Iterator<Item = String> + use<> {
        self.store().map(|store| store.keys(obj)).unwrap_or_default().into_iter()
    }

    /// The keys of a map object whose value is `true` (a set).
    pub(crate) fn keys_set_true(&self, obj: &ObjId) -> Vec<String> {
        self.store().map(|store| store.keys_set_true(obj)).unwrap_or_default()
    }
}

/// Checks that `bytes` parse as automerge chunks, without applying them anywhere.
///
/// `load_incremental` alone skips a chunk it cannot parse and reports success, which would hide
/// a damaged record; here any damage is an error. Changes whose dependencies live elsewhere are
/// fine: an incremental save always has them.
///
/// # Errors
/// [`DocError::Corrupt`] naming what automerge could not parse.
pub fn validate_changes(bytes: &[u8]) -> Result<(), DocError> {
    if bytes.is_empty() {
        return Ok(());
    }
    engine::installed().expect(NO_ENGINE).validate_changes(bytes).map_err(DocError::Corrupt)
}

/// Implements [`Model`] for a struct with one field, `doc: Doc`: the kind, and the root
/// containers its deterministic first change creates.
macro_rules! model {
    ($model:ident, $kind:expr, [$(($name:literal, $ty:expr)),* $(,)?]) => {
        impl $crate::doc::Model for $model {
            const KIND: $crate::doc::DocKind = $kind;

            fn new() -> $model {
                $model { doc: $crate::doc::Doc::create($kind, &[$(($name, $ty)),*]) }
            }

            fn from_doc(doc: $crate::doc::Doc) -> $model {
                $model { doc }
            }

            fn doc(&self) -> &$crate::doc::Doc {
                &self.doc
            }

            fn doc_mut(&mut self) -> &mut $crate::doc::Doc {
                &mut self.doc
            }
        }
    };
}
pub(crate) use model;

/// A model of one kind of document: a typed view over a [`Doc`]. Written with `model!`.
pub trait Model: Sized {
    const KIND: DocKind;

    /// A new, empty document of this kind.
    fn new() -> Self;

    /// Wraps a loaded document.
    fn from_doc(doc: Doc) -> Self;

    fn doc(&self) -> &Doc;

    fn doc_mut(&mut self) -> &mut Doc;

    /// Loads a document of this kind from saved bytes.
    ///
    /// # Errors
    /// See [`Doc::load`].
    fn load(bytes: &[u8]) -> Result<Self, DocError> {
        Doc::load(Self::KIND, bytes).map(Self::from_doc)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn a_copy_missing_a_change_names_it_and_applies_the_later_ones_once_it_arrives() {
        let mut doc = Doc::create(DocKind::Profile, &[("fields", ObjType::Map)]);
        let fields = doc.root_obj("fields");
        let mut records = vec![doc.save()];
        for text in ["one", "two", "three"] {
            let before = doc.heads();
            doc.set_text(&fields, "x", text);
            records.push(doc.save_after(&before));
        }
        let mut copy = Doc::load(DocKind::Profile, &records[0]).unwrap();
        copy.apply(&records[1]).unwrap();
        copy.apply(&records[3]).unwrap();
        assert_eq!(copy.missing_deps().len(), 1, "the third record waits for the second");
        assert_eq!(copy.get_text(&fields, "x"), "one");
        copy.apply(&records[2]).unwrap();
        assert!(copy.missing_deps().is_empty());
        assert_eq!(copy.get_text(&fields, "x"), "three");
    }

    proptest! {
        #[test]
        fn set_text_always_ends_at_the_new_value(old in "[aé😀 \n]{0,30}", new in "[aé😀 \n]{0,30}") {
            let mut doc = Doc::create(DocKind::Profile, &[("fields", ObjType::Map)]);
            let fields = doc.root_obj("fields");
            doc.set_text(&fields, "x", &old);
            doc.set_text(&fields, "x", &new);
            prop_assert_eq!(doc.get_text(&fields, "x"), new);
        }
    }
}
