//! Any document, whatever its model: what remote changes are routed to, and the one generic way
//! from a [`DocId`] to a typed handle.

use amplify::{
    Canvas, Coaching, Cohort, DocId, DocKind, Group, Journal, Keyring, Notes, PayloadKind, Profile,
    SharedEntry, Showcase,
};
use leptos::prelude::*;

use super::{
    handle::{Core, DocHandle},
    health::{Health, SaveState},
    hook::SharedHook,
    remote::RemoteError,
};
use crate::storage::{Lost, Storage};

/// Declares [`Target`] with one variant per model, [`Kept`] for each model, and the macro that
/// calls the same method whatever the model: the list of kinds is written here once.
macro_rules! targets {
    ($($variant:ident($model:ty) = $kind:ident),* $(,)?) => {
        /// Any document this device keeps, by model.
        #[derive(Clone, Copy, PartialEq)]
        pub enum Target {
            $($variant(DocHandle<$model>),)*
        }

        $(impl Kept for $model {
            fn from_target(target: Target) -> Option<DocHandle<$model>> {
                match target {
                    Target::$variant(handle) => Some(handle),
                    #[allow(unreachable_patterns)]
                    _ => None,
                }
            }

            fn into_target(handle: DocHandle<$model>) -> Target {
                Target::$variant(handle)
            }
        })*

        /// Calls `$f` on the handle inside a [`Target`], whatever its model.
        macro_rules! each_target {
            ($target:expr, $h:ident => $f:expr) => {
                match $target {
                    $(Target::$variant($h) => $f,)*
                }
            };
        }

        impl Target {
            /// A handle for `id`, of the model its kind has: empty and ready if `storage` is
            /// given, or waiting to be loaded.
            pub(super) fn make(id: DocId, storage: Option<&Storage>) -> Target {
                match id.kind() {
                    $(DocKind::$kind => Target::$variant(match storage {
                        Some(storage) => DocHandle::new_empty(id, storage.clone()),
                        None => DocHandle::new(id),
                    }),)*
                }
            }
        }
    };
}

/// A model whose handles a [`Target`] can hold.
pub trait Kept: amplify::Model + Sized + 'static {
    fn from_target(target: Target) -> Option<DocHandle<Self>>;
    fn into_target(handle: DocHandle<Self>) -> Target;
}

targets! {
    Journal(Journal) = Journal,
    Profile(Profile) = Profile,
    Group(Group) = Group,
    Canvas(Canvas) = Canvas,
    Cohort(Cohort) = Cohort,
    Coaching(Coaching) = Coaching,
    Shared(SharedEntry) = SharedEntry,
    Showcase(Showcase) = Showcase,
    Notes(Notes) = Notes,
    Keyring(Keyring) = Keyring,
}

impl Target {
    /// The handle without its model: everything below works on the document alone.
    fn core(self) -> Core {
        each_target!(self, h => h.core)
    }

    pub async fn apply_remote(self, bytes: &[u8], kind: PayloadKind) -> Result<(), RemoteError> {
        self.core().apply_remote(bytes, kind).await?;
        if let Target::Shared(h) = self {
            // An unshared entry leaves this device too (the coach may have read it already).
            if h.with_untracked(|s| s.view().withdrawn) {
                h.replace_with(SharedEntry::withdrawn()).await?;
            }
        }
        Ok(())
    }

    pub fn save_whole(self) -> Vec<u8> {
        self.core().save_whole()
    }

    pub fn id(self) -> DocId {
        self.core().id()
    }

    pub fn health(self) -> Health {
        self.core().health.get_untracked()
    }

    pub fn save_state(self) -> SaveState {
        self.core().save.get()
    }

    pub async fn flush(self) {
        self.core().flush().await;
    }

    /// See [`Core::rescue`].
    pub fn rescue(self) {
        self.core().rescue();
    }

    pub async fn relay_sent_everything(self) {
        self.core().relay_sent_everything().await;
    }

    pub(super) fn awaiting_relay(self) -> bool {
        self.core().awaiting_relay()
    }

    pub(super) async fn load(self, storage: Storage, lost: Option<Lost>) {
        self.core().load(storage, lost).await;
    }

    pub(super) fn attach(self, hook: &SharedHook) {
        self.core().attach(hook);
    }
}
