//! Counting distinct byte strings in bulk, in cache, on every core: for `count(DISTINCT)`.
//!
//! A hash set that grows to millions of strings pays a cache miss on nearly every insert: a
//! log where most lines have a client of their own spent 200 ns a line in DataFusion's set.
//! A [`DistinctSet`] checks values against a small table while it has few (user agents,
//! methods), then appends them (bytes, offsets and hashes) and, once the appended part is as
//! large as the deduplicated part, deduplicates the whole at once: values are sorted by hash
//! into shards that fit a core's cache, and each shard goes through a small hash table. Sets
//! built apart (one per partition) are counted together the same way, on every core, without
//! being copied into one ([`count_all`]).

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;

/// Values appended between deduplications, at least.
const MIN_BATCH: usize = 1 << 16;

/// Values a set keeps in a hash table, checking each as it comes, before it turns to
/// appending and deduplicating in bulk: a table this size stays in cache, and a column with
/// fewer distinct values is never copied value by value.
const SMALL: usize = 1 << 14;

/// Shards per thread: enough that a shard's table stays in a core's cache with millions of
/// values.
const SHARDS_PER_THREAD: usize = 256;

/// The hash every set uses, so that sets built apart can be counted by their hashes.
pub fn hash(value: &[u8]) -> u64 {
    FixedState::with_seed(0x6c6f_6773_716c).hash_one(value)
}

/// Byte strings laid out as Arrow lays out a binary array, with a hash for each.
#[derive(Debug, Clone, Copy)]
pub struct Values<'a> {
    /// The values, one after the other.
    pub bytes: &'a [u8],
    /// Value `i` is `bytes[offsets[i]..offsets[i + 1]]`.
    pub offsets: &'a [i64],
    /// Value `i`'s [`hash`].
    pub hashes: &'a [u64],
}

impl<'a> Values<'a> {
    fn len(&self) -> usize {
        self.hashes.len()
    }

    #[inline]
    fn get(&self, i: usize) -> &'a [u8] {
        &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }
}

/// Byte strings, distinct up to `distinct` and appended after it.
#[derive(Debug)]
pub struct DistinctSet {
    bytes: Vec<u8>,
    /// Starts with 0; value `i` ends at `offsets[i + 1]`.
    offsets: Vec<i64>,
    hashes: Vec<u64>,
    /// Values `..distinct` are distinct from one another.
    distinct: usize,
    /// While the set is small: its values' indices, by hash.
    small: Option<HashTable<usize>>,
    scratch: Scratch,
}

impl Default for DistinctSet {
    fn default() -> Self {
        DistinctSet {
            bytes: Vec::new(),
            offsets: vec![0],
            hashes: Vec::new(),
            distinct: 0,
            small: Some(HashTable::new()),
            scratch: Scratch::default(),
        }
    }
}

impl DistinctSet {
    /// Adds `value`, whose [`hash`] is `hash`; deduplicates when it is time.
    #[inline]
    pub fn push(&mut self, value: &[u8], hash: u64) {
        if let Some(table) = &mut self.small {
            let (bytes, offsets, hashes) = (&self.bytes, &self.offsets, &self.hashes);
            let held = Values {
                bytes,
                offsets,
                hashes,
            };
            if table
                .find(hash, |&j| hashes[j] == hash && held.get(j) == value)
                .is_some()
            {
                return;
            }
            table.insert_unique(hash, hashes.len(), |&j| hashes[j]);
            if table.len() > SMALL {
                self.small = None;
            }
            self.append(value, hash);
            self.distinct += 1;
            return;
        }
        self.append(value, hash);
        if self.len() - self.distinct >= self.distinct.max(MIN_BATCH) {
            self.dedupe();
        }
    }

    #[inline]
    fn append(&mut self, value: &[u8], hash: u64) {
        self.bytes.extend_from_slice(value);
        self.offsets.push(self.bytes.len() as i64);
        self.hashes.push(hash);
    }

    fn len(&self) -> usize {
        self.hashes.len()
    }

    /// The values held, with their hashes.
    pub fn values(&self) -> Values<'_> {
        Values {
            bytes: &self.bytes,
            offsets: &self.offsets,
            hashes: &self.hashes,
        }
    }

    /// Adds `values` (another set's) as they are, never deduplicating: the set is then
    /// counted once, with [`DistinctSet::count`] or [`count_all`], which allow duplicates.
    pub fn append_all(&mut self, values: Values) {
        self.small = None;
        for i in 0..values.len() {
            self.append(values.get(i), values.hashes[i]);
        }
    }

    /// The number of distinct values, counted by `threads` threads.
    pub fn count(&self, threads: usize) -> usize {
        if self.distinct == self.len() {
            return self.distinct;
        }
        count_all(&[self.values()], threads)
    }

    /// Keeps one of each value, and hands the set over as bytes, offsets and hashes.
    pub fn into_distinct_parts(mut self) -> (Vec<u8>, Vec<i64>, Vec<u64>) {
        self.dedupe();
        (self.bytes, self.offsets, self.hashes)
    }

    /// Bytes held.
    pub fn size(&self) -> usize {
        let scratch = &self.scratch;
        let tables =
            (scratch.table.capacity() + self.small.as_ref().map_or(0, |t| t.capacity())) * 17;
        let scratch = scratch.order.capacity() * 16 + scratch.keep.capacity() + tables;
        self.bytes.capacity() + (self.offsets.capacity() + self.hashes.capacity()) * 8 + scratch
    }

    /// Keeps one of each value, in place, in the order they came.
    fn dedupe(&mut self) {
        if self.distinct == self.len() {
            return;
        }
        let total = self.len();
        let Scratch {
            order,
            starts,
            keep,
            table,
        } = &mut self.scratch;
        let sources = [Values {
            bytes: &self.bytes,
            offsets: &self.offsets,
            hashes: &self.hashes,
        }];
        let shards = shard_by_hash(&sources, 1, order, starts);
        keep.clear();
        keep.resize(total, false);
        let kept = sweep(&sources, order, starts, 0..shards, table, |at| {
            keep[at as usize] = true
        });
        // Kept values move down over the others.
        let (mut write, mut end) = (0usize, 0usize);
        for (i, _) in keep.iter().enumerate().filter(|(_, &kept)| kept) {
            let (start, stop) = (self.offsets[i] as usize, self.offsets[i + 1] as usize);
            self.bytes.copy_within(start..stop, end);
            end += stop - start;
            self.hashes[write] = self.hashes[i];
            write += 1;
            self.offsets[write] = end as i64;
        }
        self.bytes.truncate(end);
        self.hashes.truncate(write);
        self.offsets.truncate(write + 1);
        self.distinct = kept;
    }
}

/// Buffers a set's deduplication reuses: a new set of buffers each time made the kernel
/// hand out and zero fresh pages, 8% of the time of a count over millions of clients.
#[derive(Debug, Default)]
struct Scratch {
    order: Vec<(u64, u64)>,
    starts: Vec<usize>,
    keep: Vec<bool>,
    table: HashTable<(u64, u64)>,
}

/// The number of distinct values in all of `sources` (a value may be in several, or several
/// times in one), counted by `threads` threads.
pub fn count_all(sources: &[Values], threads: usize) -> usize {
    let (mut order, mut starts) = (Vec::new(), Vec::new());
    let shards = shard_by_hash(sources, threads, &mut order, &mut starts);
    let threads = threads.clamp(1, shards);
    let per_thread = shards.div_ceil(threads);
    let (order, starts) = (&order, &starts);
    let count_run = |first: usize| {
        let run = first..(first + per_thread).min(shards);
        sweep(sources, order, starts, run, &mut HashTable::new(), |_| {})
    };
    if threads == 1 {
        return count_run(0);
    }
    std::thread::scope(|scope| {
        // A run whose thread cannot be started is counted here instead.
        let (mut inline, mut workers) = (0, Vec::new());
        for first in (0..shards).step_by(per_thread) {
            match std::thread::Builder::new().spawn_scoped(scope, move || count_run(first)) {
                Ok(worker) => workers.push(worker),
                Err(_) => inline += count_run(first),
            }
        }
        let joined: usize = workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .sum();
        inline + joined
    })
}

/// Sorts every value of `sources` into `order` as (hash, where), `where` holding the source in
/// its top 16 bits above the index, grouped by shard: shard `s` is
/// `order[starts[s]..starts[s + 1]]`. Returns the number of shards.
///
/// The shard is picked by the hash's middle bits: a shard's table takes its slots from the low
/// bits and its tags from the top ones.
fn shard_by_hash(
    sources: &[Values],
    threads: usize,
    order: &mut Vec<(u64, u64)>,
    starts: &mut Vec<usize>,
) -> usize {
    let total: usize = sources.iter().map(Values::len).sum();
    let bits = (threads.max(1) * SHARDS_PER_THREAD)
        .next_power_of_two()
        .trailing_zeros()
        .min(total.max(1).ilog2());
    let shards = 1usize << bits;
    let shard_of = |hash: u64| (hash >> 32) as usize & (shards - 1);
    starts.clear();
    starts.resize(shards + 1, 0);
    for values in sources {
        for &h in values.hashes {
            starts[shard_of(h) + 1] += 1;
        }
    }
    for s in 0..shards {
        starts[s + 1] += starts[s];
    }
    let mut next = starts.clone();
    order.clear();
    order.resize(total, (0, 0));
    for (src, values) in sources.iter().enumerate() {
        for (i, &h) in values.hashes.iter().enumerate() {
            let s = shard_of(h);
            order[next[s]] = (h, ((src as u64) << 48) | i as u64);
            next[s] += 1;
        }
    }
    shards
}

/// Counts the distinct values of the shards in `run`, one at a time through `table`, and
/// calls `on_new` with where the first of each is. A value's bytes are read only when its
/// whole hash meets another's.
fn sweep(
    sources: &[Values],
    order: &[(u64, u64)],
    starts: &[usize],
    run: std::ops::Range<usize>,
    table: &mut HashTable<(u64, u64)>,
    mut on_new: impl FnMut(u64),
) -> usize {
    let value = |at: u64| sources[(at >> 48) as usize].get((at & ((1 << 48) - 1)) as usize);
    let mut distinct = 0;
    for s in run {
        let members = &order[starts[s]..starts[s + 1]];
        table.clear();
        table.reserve(members.len(), |&(h, _)| h);
        for &(hash, at) in members {
            let seen = |&(h, other): &(u64, u64)| h == hash && value(other) == value(at);
            if table.find(hash, seen).is_none() {
                table.insert_unique(hash, (hash, at), |&(h, _)| h);
                distinct += 1;
                on_new(at);
            }
        }
    }
    distinct
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

        /// Any values (short, from a small alphabet, so that they repeat), split into sets in
        /// any way and counted with any number of threads: the count of a plain set.
        #[test]
        fn any_split_counts_what_a_plain_set_counts(
            parts in prop::collection::vec(
                prop::collection::vec(prop::collection::vec(0u8..4, 0..4), 0..200),
                0..5,
            ),
            threads in 1usize..9,
        ) {
            let want: HashSet<&[u8]> = parts.iter().flatten().map(Vec::as_slice).collect();
            let sets: Vec<DistinctSet> = parts.iter().map(|p| set_of(p)).collect();
            let values: Vec<Values> = sets.iter().map(DistinctSet::values).collect();
            prop_assert_eq!(count_all(&values, threads), want.len());
            let mut merged = DistinctSet::default();
            for set in &sets {
                merged.append_all(set.values());
            }
            prop_assert_eq!(merged.count(threads), want.len());
            let (bytes, offsets, hashes) = merged.into_distinct_parts();
            prop_assert_eq!(hashes.len(), want.len());
            prop_assert_eq!(offsets.len(), want.len() + 1);
            prop_assert_eq!(offsets.last().copied(), Some(bytes.len() as i64));
        }
    }

    fn set_of(values: &[Vec<u8>]) -> DistinctSet {
        let mut set = DistinctSet::default();
        for v in values {
            set.push(v, hash(v));
        }
        set
    }

    /// Counts and deduplication agree with a plain set's: values past the small table and
    /// several bulk deduplications, the empty value, every thread count (more threads than
    /// values too), and sets counted together.
    #[test]
    fn agrees_with_a_plain_set() {
        let mut cases: Vec<Vec<Vec<u8>>> = vec![
            vec![],
            vec![b"".to_vec()],
            vec![b"a".to_vec(), b"".to_vec(), b"a".to_vec(), b"b".to_vec()],
        ];
        // Few distinct values among many, and many among many.
        cases.push(
            (0..3 * MIN_BATCH)
                .map(|i| format!("ua{}", i % 7).into_bytes())
                .collect(),
        );
        cases.push(
            (0..3 * MIN_BATCH + 5)
                .map(|i| format!("10.0.{}.{}", (i * 7919) % 50_000 / 256, i % 256).into_bytes())
                .collect(),
        );
        for values in &cases {
            let want: HashSet<&[u8]> = values.iter().map(Vec::as_slice).collect();
            let set = set_of(values);
            for threads in [1, 2, 3, 8, 600] {
                let count = count_all(&[set.values()], threads);
                assert_eq!(count, want.len(), "{threads} threads");
                assert_eq!(set.count(threads), want.len());
            }
            let (bytes, offsets, hashes) = set.into_distinct_parts();
            let deduped = Values {
                bytes: &bytes,
                offsets: &offsets,
                hashes: &hashes,
            };
            let got: Vec<&[u8]> = (0..deduped.len()).map(|i| deduped.get(i)).collect();
            assert_eq!(got.len(), want.len());
            assert_eq!(got.iter().copied().collect::<HashSet<_>>(), want);
            assert!((0..deduped.len()).all(|i| hashes[i] == hash(deduped.get(i))));
        }
        let (a, b) = (set_of(&cases[3]), set_of(&cases[4]));
        let want: HashSet<&[u8]> = cases[3]
            .iter()
            .chain(&cases[4])
            .map(Vec::as_slice)
            .collect();
        for threads in [1, 2] {
            let count = count_all(&[a.values(), b.values(), a.values()], threads);
            assert_eq!(count, want.len());
        }
    }
}
