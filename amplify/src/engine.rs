//! The automerge engine behind every [`Doc`](crate::Doc), reached through a trait object.
//!
//! Models never call automerge themselves: a [`Doc`](crate::Doc) asks its [`Store`], made by the
//! installed [`Engine`]. That lets a client ship automerge apart from the rest of its code and
//! install it once fetched: the web app does (its `split` feature turns on this crate's
//! `engine-later`, and `app/src/documents/engine.rs` installs [`automerge`] from a chunk of its
//! own). Without `engine-later`, [`installed`] installs automerge on first use.

use std::{any::Any, sync::OnceLock};

use automerge::{
    ActorId, AutoCommit, Automerge, AutomergeError, ChangeHash, LoadOptions, ObjId, ObjType, OnPartialLoad,
    ROOT, ReadDoc, ScalarValue, ScalarValueRef, TextEncoding, Value, ValueRef,
    transaction::{CommitOptions, Transactable},
};

/// A value read from a document: an object, by id, or a scalar.
#[derive(Debug, Clone, PartialEq)]
pub enum Got {
    Object(ObjId),
    Scalar(ScalarValue),
}

/// Makes documents.
pub trait Engine: Sync {
    /// A new document whose first change, made by `actor` at time 0, writes `schema` at the root
    /// and creates `containers` there. The same arguments give the same change on every device.
    fn create(&self, actor: &[u8], schema: &str, containers: &[(&str, ObjType)]) -> Box<dyn Store>;

    /// A document from its saved bytes (a save, optionally followed by incremental ones).
    ///
    /// # Errors
    /// What automerge could not parse.
    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Store>, String>;

    /// Checks that `bytes` parse as automerge chunks, without applying them anywhere.
    /// Changes whose dependencies live elsewhere are fine.
    ///
    /// # Errors
    /// What automerge could not parse.
    fn validate_changes(&self, bytes: &[u8]) -> Result<(), String>;
}

/// One document's automerge state. Writes are gathered in one open transaction until the next
/// save, merge or `heads`.
///
/// Methods that name an object expect it to be a map of this document (every caller passes
/// one it read from it); anything else is a bug and panics.
pub trait Store: Send {
    fn as_any_mut(&mut self) -> &mut dyn Any;
    fn get(&self, obj: &ObjId, key: &str) -> Option<Got>;
    /// Every value `key` holds: more than one when devices wrote it concurrently.
    fn get_all(&self, obj: &ObjId, key: &str) -> Vec<Got>;
    /// The text of a text object.
    fn text(&self, obj: &ObjId) -> Option<String>;
    /// The text at `obj[key]` as it was at `heads`: "" if there was none then, `None` if the
    /// heads are not all known here.
    fn text_at_heads(&self, obj: &ObjId, key: &str, heads: &[ChangeHash]) -> Option<String>;
    fn keys(&self, obj: &ObjId) -> Vec<String>;
    /// The keys of a map whose value is `true`.
    fn keys_set_true(&self, obj: &ObjId) -> Vec<String>;
    fn put(&mut self, obj: &ObjId, key: &str, value: ScalarValue);
    fn put_object(&mut self, obj: &ObjId, key: &str, ty: ObjType) -> ObjId;
    fn delete(&mut self, obj: &ObjId, key: &str);
    /// Replaces the text of the text object `text`, which holds `old`, by `new`: one splice of
    /// what lies between their common prefix and suffix, so a concurrent edit elsewhere in the
    /// same text survives the merge.
    fn replace_text(&mut self, text: &ObjId, old: &str, new: &str);
    /// Applies saved changes. Applying the same bytes twice changes nothing.
    ///
    /// # Errors
    /// What automerge could not parse; the document is unchanged then.
    fn load_incremental(&mut self, bytes: &[u8]) -> Result<(), String>;
    /// Merges in `other`, a store made by the same engine.
    ///
    /// # Errors
    /// What automerge refused.
    fn merge(&mut self, other: &mut dyn Store) -> Result<(), String>;
    fn actor(&self) -> Vec<u8>;
    fn set_actor(&mut self, actor: &[u8]);
    fn save(&mut self) -> Vec<u8>;
    fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8>;
    fn heads(&mut self) -> Vec<ChangeHash>;
    fn missing_deps(&mut self) -> Vec<ChangeHash>;
    /// A copy sharing this history, with an actor of its own.
    fn fork(&mut self) -> Box<dyn Store>;
}

static INSTALLED: OnceLock<&'static dyn Engine> = OnceLock::new();

/// Installs the engine every document is made with from now on. The first one installed stays.
pub fn install(engine: &'static dyn Engine) {
    let _first = INSTALLED.set(engine);
}

/// The installed engine. Without the `engine-later` feature, automerge is installed on first use;
/// with it, `None` until [`install`].
#[cfg(not(feature = "engine-later"))]
pub fn installed() -> Option<&'static dyn Engine> {
    Some(*INSTALLED.get_or_init(automerge))
}

/// The installed engine. Without the `engine-later` feature, automerge is installed on first use;
/// with it, `None` until [`install`].
#[cfg(feature = "engine-later")]
pub fn installed() -> Option<&'static dyn Engine> {
    INSTALLED.get().copied()
}

/// Automerge, as an [`Engine`].
pub fn automerge() -> &'static dyn Engine {
    &Am
}

struct Am;

impl Engine for Am {
    fn create(&self, actor: &[u8], schema: &str, containers: &[(&str, ObjType)]) -> Box<dyn Store> {
        let mut doc = AutoCommit::new().with_actor(ActorId::from(actor));
        doc.put(ROOT, "schema", schema).expect("putting on the root of a new document cannot fail");
        for (name, ty) in containers {
            doc.put_object(ROOT, *name, *ty).expect("putting on the root of a new document cannot fail");
        }
        doc.commit_with(CommitOptions::default().with_time(0));
        doc.set_actor(ActorId::random());
        Box::new(AmDoc(doc))
    }

    fn load(&self, bytes: &[u8]) -> Result<Box<dyn Store>, String> {
        let mut doc = AutoCommit::load(bytes).map_err(|e| e.to_string())?;
        doc.set_actor(ActorId::random());
        Ok(Box::new(AmDoc(doc)))
    }

    fn validate_changes(&self, bytes: &[u8]) -> Result<(), String> {
        let strict = LoadOptions::new().on_partial_load(OnPartialLoad::Error);
        match Automerge::load_with_options(bytes, strict) {
            Ok(_) | Err(AutomergeError::MissingDeps) => Ok(()),
            Err(e) => Err(e.to_string()),
        }
    }
}

fn got((value, id): (Value<'_>, ObjId)) -> Got {
    match value {
        Value::Object(_) => Got::Object(id),
        Value::Scalar(s) => Got::Scalar(s.into_owned()),
    }
}

/// One automerge document.
struct AmDoc(AutoCommit);

impl Store for AmDoc {
    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }

    fn get(&self, obj: &ObjId, key: &str) -> Option<Got> {
        self.0.get(obj, key).ok().flatten().map(got)
    }

    fn get_all(&self, obj: &ObjId, key: &str) -> Vec<Got> {
        self.0.get_all(obj, key).unwrap_or_default().into_iter().map(got).collect()
    }

    fn text(&self, obj: &ObjId) -> Option<String> {
        self.0.text(obj).ok()
    }

    fn text_at_heads(&self, obj: &ObjId, key: &str, heads: &[ChangeHash]) -> Option<String> {
        match self.0.get_at(obj, key, heads) {
            Ok(Some((_, text))) => Some(self.0.text_at(&text, heads).unwrap_or_default()),
            Ok(None) => Some(String::new()),
            Err(_) => None,
        }
    }

    fn keys(&self, obj: &ObjId) -> Vec<String> {
        self.0.keys(obj).collect()
    }

    fn keys_set_true(&self, obj: &ObjId) -> Vec<String> {
        self.0
            .map_range(obj, ..)
            .filter(|item| matches!(item.value, ValueRef::Scalar(ScalarValueRef::Boolean(true))))
            .map(|item| item.key.to_string())
            .collect()
    }

    fn put(&mut self, obj: &ObjId, key: &str, value: ScalarValue) {
        self.0.put(obj, key, value).expect("obj is a map");
    }

    fn put_object(&mut self, obj: &ObjId, key: &str, ty: ObjType) -> ObjId {
        self.0.put_object(obj, key, ty).expect("obj is a map")
    }

    fn delete(&mut self, obj: &ObjId, key: &str) {
        self.0.delete(obj, key).expect("obj is a map");
    }

    fn replace_text(&mut self, text: &ObjId, old: &str, new: &str) {
        let encoding = self.0.text_encoding();
        if matches!(encoding, TextEncoding::GraphemeCluster) {
            self.0.update_text(text, new).expect("text is a text object");
            return;
        }
        let Splice { start, deleted, inserted } = splice(old, new);
        let width = |s: &str| match encoding {
            TextEncoding::Utf8CodeUnit => s.len(),
            TextEncoding::Utf16CodeUnit => s.encode_utf16().count(),
            TextEncoding::UnicodeCodePoint | TextEncoding::GraphemeCluster => s.chars().count(),
        };
        let (pos, del) = (width(&old[..start]), width(deleted));
        let del = isize::try_from(del).expect("a text fits in memory");
        self.0.splice_text(text, pos, del, inserted).expect("the span lies within the text");
    }

    fn load_incremental(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.0.load_incremental(bytes).map(drop).map_err(|e| e.to_string())
    }

    fn merge(&mut self, other: &mut dyn Store) -> Result<(), String> {
        let other = other.as_any_mut().downcast_mut::<AmDoc>().expect("stores of one engine");
        self.0.merge(&mut other.0).map(drop).map_err(|e| e.to_string())
    }

    fn actor(&self) -> Vec<u8> {
        self.0.get_actor().to_bytes().to_vec()
    }

    fn set_actor(&mut self, actor: &[u8]) {
        self.0.set_actor(ActorId::from(actor));
    }

    fn save(&mut self) -> Vec<u8> {
        self.0.save()
    }

    fn save_after(&mut self, heads: &[ChangeHash]) -> Vec<u8> {
        self.0.save_after(heads)
    }

    fn heads(&mut self) -> Vec<ChangeHash> {
        self.0.get_heads()
    }

    fn missing_deps(&mut self) -> Vec<ChangeHash> {
        self.0.get_missing_deps(&[])
    }

    fn fork(&mut self) -> Box<dyn Store> {
        Box::new(AmDoc(self.0.fork()))
    }
}

/// The one contiguous change that turns `old` into `new`: `old[start..start + deleted.len()]`
/// becomes `inserted`. Byte offsets, always on character boundaries.
///
/// automerge's `update_text` would find the same splice with a diff that takes quadratic time on
/// a large paste; this takes linear time.
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

#[cfg(test)]
mod tests {
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
}
