//! Stable sorting with one copy of the sorting code.
//!
//! `slice::sort_by` is generic over the element and the comparison, so every call compiles its
//! own copy of the standard library's stable sort: about 4 KB of wasm each, and the client had
//! some twenty of ours. These sort a list of positions instead, comparing through a `dyn`
//! reference, so the sort itself is compiled once; the items are then moved into that order.
//! They are stable, like `sort_by`. The lists sorted here are an app's (people, a month's
//! entries, tags): the indirection costs nothing anyone could notice.

use std::cmp::Ordering;

/// Sorts `items` by `compare`, keeping equal items in their order.
pub fn by<T>(items: &mut Vec<T>, mut compare: impl FnMut(&T, &T) -> Ordering) {
    let order = positions(items.len(), &mut |a, b| compare(&items[a], &items[b]));
    let mut slots: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(order.into_iter().filter_map(|i| slots[i].take()));
}

/// Sorts `items` by the key `key` gives each, keeping items with equal keys in their order.
pub fn by_key<T, K: Ord>(items: &mut Vec<T>, mut key: impl FnMut(&T) -> K) {
    by(items, |a, b| key(a).cmp(&key(b)));
}

/// Sorts `items` in their own order.
pub fn ord<T: Ord>(items: &mut Vec<T>) {
    by(items, T::cmp);
}

/// The positions `0..len` in the order `compare` puts them (the one sort compiled).
fn positions(len: usize, compare: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<usize> {
    let mut order: Vec<usize> = (0..len).collect();
    order.sort_by(|&a, &b| compare(a, b));
    order
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn sorts_as_the_standard_library_does_equal_items_kept_in_order(
            items in proptest::collection::vec((0u8..8, any::<u16>()), 0..200),
        ) {
            let mut ours = items.clone();
            super::by_key(&mut ours, |(key, _)| *key);
            let mut std = items.clone();
            std.sort_by_key(|(key, _)| *key);
            prop_assert_eq!(ours, std);

            let mut ours = items.clone();
            super::by(&mut ours, |a, b| b.cmp(a));
            let mut std = items;
            std.sort_by(|a, b| b.cmp(a));
            prop_assert_eq!(ours, std);
        }
    }

    #[test]
    fn an_empty_list_and_one_item_stay_as_they_are() {
        let mut empty: Vec<String> = Vec::new();
        super::ord(&mut empty);
        assert!(empty.is_empty());
        let mut one = vec!["only".to_owned()];
        super::ord(&mut one);
        assert_eq!(one, ["only"]);
    }
}
