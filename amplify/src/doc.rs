//! The automerge document every model wraps, and the helpers the models share.

use automerge::{
    ActorId, AutoCommit, Automerge, AutomergeError, ChangeHash, LoadOptions, ObjId, ObjType, OnPartialLoad,
    ROOT, ReadDoc, ScalarValue, TextEncoding, Value,
    transaction::{CommitOptions, Transactable},
};

use crate::error::DocError;

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
#[derive(Debug)]
pub struct Doc {
    kind: DocKind,
    inner: AutoCommit,
}

impl Doc {
    /// A new, empty document. `containers` lists the root objects the kind needs; they are
    /// created in the deterministic first change.
    pub(crate) fn create(kind: DocKind, containers: &[(&str, ObjType)]) -> Doc {
        let mut inner = AutoCommit::new().with_actor(ActorId::from(INIT_ACTOR));
        inner.put(ROOT, "schema", kind.schema()).expect("putting on the root of a new document cannot fail");
        for (name, ty) in containers {
            inner.put_object(ROOT, *name, *ty).expect("putting on the root of a new document cannot fail");
        }
        inner.commit_with(CommitOptions::default().with_time(0));
        inner.set_actor(ActorId::random());
        Doc { kind, inner }
    }

    /// Loads a document saved by [`Doc::save`] (optionally followed by incremental changes).
    ///
    /// # Errors
    /// [`DocError::Corrupt`] if the bytes are not an automerge document, and
    /// [`DocError::WrongKind`] if they hold a document of another kind.
    pub fn load(kind: DocKind, bytes: &[u8]) -> Result<Doc, DocError> {
        let mut inner = AutoCommit::load(bytes).map_err(|e| DocError::Corrupt(e.to_string()))?;
        inner.set_actor(ActorId::random());
        let doc = Doc { kind, inner };
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
        self.inner.load_incremental(bytes).map_err(|e| DocError::Corrupt(e.to_string()))?;
        Ok(())
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
        snapshot.inner.merge(&mut self.inner).map_err(|e| DocError::Corrupt(e.to_string()))?;
        snapshot.inner.set_actor(self.inner.get_actor().clone());
        self.inner = snapshot.inner;
        Ok(())
    }

    /// Merges another copy of the same document into this one.
    ///
    /// # Errors
    /// [`DocError::Corrupt`] if automerge refuses the other copy's changes.
    pub fn merge(&mut self, other: &mut Doc) -> Result<(), DocError> {
        self.inner.merge(&mut other.inner).map_err(|e| DocError::Corrupt(e.to_string()))?;
        Ok(())
    }

    /// The whole document, compressed: what a snapshot stores.
    pub fn save(&mut self) -> Vec<u8> {
        self.inner.save()
    }

    /// The changes made since `heads`: what an incremental save appends.
    pub fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.inner.save_after(heads)
    }

    pub fn heads(&mut self) -> Vec<ChangeHash> {
        self.inner.get_heads()
    }

    /// Changes this copy was given but cannot apply yet, because a change they build on is not
    /// here: the hashes of what is missing. Empty for a complete document.
    ///
    /// A copy with missing changes holds the later ones aside; [`Doc::save`] would leave them
    /// out, so such a copy must not replace what is stored.
    pub fn missing_deps(&mut self) -> Vec<ChangeHash> {
        self.inner.get_missing_deps(&[])
    }

    /// A copy that shares this document's history, with its own actor: a second device.
    pub fn fork(&mut self) -> Doc {
        Doc { kind: self.kind, inner: self.inner.fork() }
    }

    pub(crate) fn inner(&self) -> &AutoCommit {
        &self.inner
    }

    pub(crate) fn inner_mut(&mut self) -> &mut AutoCommit {
        &mut self.inner
    }

    /// The object at `key` in the root map, which the kind's first change created.
    pub(crate) fn root_obj(&self, key: &str) -> ObjId {
        match self.inner.get(ROOT, key) {
            Ok(Some((Value::Object(_), id))) => id,
            _ => panic!("a loaded {} document always has its `{key}` container", self.kind.label()),
        }
    }

    pub(crate) fn get_obj(&self, obj: &ObjId, key: &str) -> Option<ObjId> {
        match self.inner.get(obj, key) {
            Ok(Some((Value::Object(_), id))) => Some(id),
            _ => None,
        }
    }

    pub(crate) fn get_str(&self, obj: &ObjId, key: &str) -> Option<String> {
        match self.inner.get(obj, key) {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Str(s) => Some(s.to_string()),
                _ => None,
            },
            _ => None,
        }
    }

    /// Every string value `key` holds: more than one when devices wrote it concurrently (the
    /// merge keeps them all; `get_str` reads the one automerge picks).
    pub(crate) fn get_all_str(&self, obj: &ObjId, key: &str) -> Vec<String> {
        self.inner
            .get_all(obj, key)
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(value, _)| match value {
                Value::Scalar(s) => match s.as_ref() {
                    ScalarValue::Str(s) => Some(s.to_string()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    pub(crate) fn get_i64(&self, obj: &ObjId, key: &str) -> Option<i64> {
        match self.inner.get(obj, key) {
            Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Int(i) => Some(*i),
                ScalarValue::Uint(u) => i64::try_from(*u).ok(),
                ScalarValue::Timestamp(t) => Some(*t),
                _ => None,
            },
            _ => None,
        }
    }

    pub(crate) fn get_bool(&self, obj: &ObjId, key: &str) -> bool {
        matches!(self.inner.get(obj, key), Ok(Some((Value::Scalar(s), _))) if matches!(s.as_ref(), ScalarValue::Boolean(true)))
    }

    /// The text of the text object at `key`, or "" if there is none.
    pub(crate) fn get_text(&self, obj: &ObjId, key: &str) -> String {
        self.get_obj(obj, key).and_then(|text| self.inner.text(&text).ok()).unwrap_or_default()
    }

    /// Replaces the text at `key` with `value` by splicing only what lies between the common
    /// prefix and the common suffix, so a concurrent edit elsewhere in the same text survives
    /// the merge.
    ///
    /// Every edit a text field reports (typing, deleting a selection, pasting) is one such span.
    /// automerge's `update_text` would find the same splice with a diff that takes quadratic
    /// time on a large paste; this takes linear time.
    pub(crate) fn set_text(&mut self, obj: &ObjId, key: &str, value: &str) {
        let (text, old) = match self.get_obj(obj, key) {
            Some(text) => {
                let old = self.inner.text(&text).expect("text is a text object");
                (text, old)
            }
            None => (self.inner.put_object(obj, key, ObjType::Text).expect("obj is a map"), String::new()),
        };
        let Splice { start, deleted, inserted } = splice(&old, value);
        let width = |s: &str| match self.inner.text_encoding() {
            TextEncoding::Utf8CodeUnit => s.len(),
            TextEncoding::Utf16CodeUnit => s.encode_utf16().count(),
            TextEncoding::UnicodeCodePoint | TextEncoding::GraphemeCluster => s.chars().count(),
        };
        let (pos, del) = (width(&old[..start]), width(deleted));
        if matches!(self.inner.text_encoding(), TextEncoding::GraphemeCluster) {
            self.inner.update_text(&text, value).expect("text is a text object");
        } else {
            let del = isize::try_from(del).expect("a text fits in memory");
            self.inner.splice_text(&text, pos, del, inserted).expect("the span lies within the text");
        }
    }

    pub(crate) fn put(&mut self, obj: &ObjId, key: &str, value: impl Into<ScalarValue>) {
        self.inner.put(obj, key, value).expect("obj is a map");
    }

    pub(crate) fn delete(&mut self, obj: &ObjId, key: &str) {
        self.inner.delete(obj, key).expect("obj is a map");
    }

    /// The keys of a map object.
    pub(crate) fn keys(&self, obj: &ObjId) -> impl Iterator<Item = String> + '_ {
        self.inner.keys(obj)
    }
}

/// The one contiguous change that turns `old` into `new`: `old[start..start + deleted.len()]`
/// becomes `inserted`. Byte offsets, always on character boundaries.
#[derive(Debug, PartialEq, Eq)]
struct Splice<'a> {
    start: usize,
    deleted: &'a str,
    inserted: &'a str,
}

fn splice<'a>(old: &'a str, new: &'a str) -> Splice<'a> {
    let start: usize =
        old.chars().zip(new.chars()).take_while(|(a, b)| a == b).map(|(a, _)| a.len_utf8()).sum();
    let (old_rest, new_rest) = (&old[start..], &new[start..]);
    let end: usize = old_rest
        .chars()
        .rev()
        .zip(new_rest.chars().rev())
        .take_while(|(a, b)| a == b)
        .map(|(a, _)| a.len_utf8())
        .sum();
    Splice { start, deleted: &old_rest[..old_rest.len() - end], inserted: &new_rest[..new_rest.len() - end] }
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
    let strict = LoadOptions::new().on_partial_load(OnPartialLoad::Error);
    match Automerge::load_with_options(bytes, strict) {
        Ok(_) | Err(AutomergeError::MissingDeps) => Ok(()),
        Err(e) => Err(DocError::Corrupt(e.to_string())),
    }
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
    fn splice_finds_the_one_changed_span() {
        assert_eq!(splice("abc", "abXc"), Splice { start: 2, deleted: "", inserted: "X" });
        assert_eq!(splice("hello world", "hello"), Splice { start: 5, deleted: " world", inserted: "" });
        assert_eq!(splice("aaa", "aa"), Splice { start: 2, deleted: "a", inserted: "" });
        assert_eq!(splice("", "new"), Splice { start: 0, deleted: "", inserted: "new" });
        // Multi-byte characters are never split.
        assert_eq!(splice("café", "cafè"), Splice { start: 3, deleted: "é", inserted: "è" });
    }

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
