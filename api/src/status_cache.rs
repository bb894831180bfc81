//! Finished calculation statuses kept in memory, so the dashboard's poll (every second, for
//! every open scenario) does not read ~50 KB from PostgreSQL each time.
//!
//! What is kept is immutable: a `calculated` scenario's answer for one revision never changes
//! (a new submission or draft bumps the revision). Every process learns of revision bumps
//! through a Redis pub/sub channel, and serves from memory only while it is subscribed: a
//! process that lost the channel may have missed a bump, so it forgets everything and asks
//! PostgreSQL until it has the channel again. The bump of a write is also applied locally
//! before the write answers, so its own replica never serves an older revision afterwards.
//! An answer is kept at most [`ENTRY_TTL`], which bounds how stale a replica can be if a
//! bump's announcement itself is lost while the channel stays up.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use actix_web::web::Bytes;
use futures_util::StreamExt as _;
use uuid::Uuid;

/// How long an answer is served from memory before PostgreSQL is asked again.
pub const ENTRY_TTL: Duration = Duration::from_secs(30);
/// Scenarios whose revision is remembered without an answer, at most.
const MAX_SLOTS: usize = 100_000;
/// How often a process without the channel tries to subscribe again.
const RESUBSCRIBE_EVERY: Duration = Duration::from_secs(1);

/// A `calculated` scenario's status answer.
#[derive(Debug, Clone)]
pub struct Finished {
    pub owner: Uuid,
    pub project: Uuid,
    pub revision: i64,
    pub body: Bytes,
}

impl Finished {
    /// The opaque part of this answer's strong validator: one scenario revision has one
    /// answer.
    pub fn etag(&self, scenario: Uuid) -> String {
        format!("{}-{}", scenario.simple(), self.revision)
    }
}

struct Slot {
    /// The highest revision this process has heard of: nothing older is served or kept.
    latest: i64,
    entry: Option<Kept>,
}

/// An answer in memory: when it was kept, and its place in the insertion order.
struct Kept {
    finished: Finished,
    at: Instant,
    seq: u64,
}

#[derive(Default)]
struct State {
    slots: HashMap<Uuid, Slot>,
    /// Insertion order (scenario, `Kept::seq`), for eviction once over budget; a pair whose
    /// answer was replaced or removed since is skipped, and such pairs are swept out before
    /// they outnumber the slots.
    order: VecDeque<(Uuid, u64)>,
    next_seq: u64,
    bytes: usize,
}

/// Counts exported on `/metrics`.
#[derive(Debug, Default)]
pub struct StatusCacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub announce_failures: AtomicU64,
}

pub struct StatusCache {
    state: Mutex<State>,
    budget: usize,
    /// Subscribed to the channel: only then is memory consulted.
    live: AtomicBool,
    channel: String,
    redis: Option<redis::aio::ConnectionManager>,
    pub counters: StatusCacheCounters,
}

/// A bump, as sent on the channel: `s <scenario> <revision>` or `p <project>` (a deleted
/// project: every scenario of it goes).
enum Announcement {
    Scenario(Uuid, i64),
    Project(Uuid),
}

impl Announcement {
    fn encode(&self) -> String {
        match self {
            Announcement::Scenario(id, revision) => format!("s {id} {revision}"),
            Announcement::Project(id) => format!("p {id}"),
        }
    }

    fn decode(text: &str) -> Option<Announcement> {
        let mut words = text.split(' ');
        let announcement = match (words.next()?, words.next()?, words.next()) {
            ("s", id, Some(revision)) => {
                Announcement::Scenario(id.parse().ok()?, revision.parse().ok()?)
            }
            ("p", id, None) => Announcement::Project(id.parse().ok()?),
            _ => return None,
        };
        words.next().is_none().then_some(announcement)
    }
}

impl StatusCache {
    /// A cache of at most `budget` bytes of answers (0: none kept), announcing on
    /// `{prefix}:scenario_revisions`. With a budget, it starts a listener task (so it must be
    /// made inside a Tokio runtime); the task ends when the cache is dropped.
    pub fn new(
        budget: usize,
        redis_url: &str,
        prefix: &str,
        redis: redis::aio::ConnectionManager,
    ) -> Arc<StatusCache> {
        let cache = Arc::new(StatusCache {
            state: Mutex::new(State::default()),
            budget,
            live: AtomicBool::new(false),
            channel: format!("{prefix}:scenario_revisions"),
            redis: (budget > 0).then_some(redis),
            counters: StatusCacheCounters::default(),
        });
        if budget > 0 {
            match redis::Client::open(redis_url) {
                Ok(client) => {
                    tokio::spawn(listen(Arc::downgrade(&cache), client));
                }
                Err(e) => tracing::warn!(error = %e, "status cache: no listener, memory unused"),
            }
        }
        cache
    }

    /// True while this process hears every bump, so memory may answer.
    pub fn is_live(&self) -> bool {
        self.live.load(Ordering::Acquire)
    }

    /// The kept answer for `scenario` if `owner` may see it (under `parent` when given).
    pub fn get(&self, scenario: Uuid, owner: Uuid, parent: Option<Uuid>) -> Option<Finished> {
        if !self.is_live() {
            return None;
        }
        let found = self.lock().slots.get(&scenario).and_then(|slot| {
            let Kept { finished, at, .. } = slot.entry.as_ref()?;
            (finished.revision >= slot.latest
                && at.elapsed() < ENTRY_TTL
                && finished.owner == owner
                && parent.is_none_or(|p| p == finished.project))
            .then(|| finished.clone())
        });
        let counter = match found {
            Some(_) => &self.counters.hits,
            None => &self.counters.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Keeps `finished`, read from PostgreSQL, unless a newer revision was announced since.
    pub fn put(&self, scenario: Uuid, finished: Finished) {
        if !self.is_live() || finished.body.len() > self.budget {
            return;
        }
        let mut guard = self.lock();
        // One reborrow, so the fields can be borrowed apart.
        let state = &mut *guard;
        let slot = state.slots.entry(scenario).or_insert(Slot {
            latest: finished.revision,
            entry: None,
        });
        if finished.revision < slot.latest {
            return;
        }
        slot.latest = finished.revision;
        let seq = state.next_seq;
        state.next_seq += 1;
        let added = finished.body.len();
        let replaced = slot
            .entry
            .replace(Kept {
                finished,
                at: Instant::now(),
                seq,
            })
            .map_or(0, |old| old.finished.body.len());
        state.bytes = state.bytes + added - replaced;
        state.order.push_back((scenario, seq));
        while state.bytes > self.budget {
            let Some((id, seq)) = state.order.pop_front() else {
                break;
            };
            remove_entry(state, id, Some(seq));
        }
        if state.order.len() > 2 * state.slots.len() + 64 {
            let State { slots, order, .. } = state;
            order.retain(|(id, seq)| {
                slots
                    .get(id)
                    .and_then(|slot| slot.entry.as_ref())
                    .is_some_and(|kept| kept.seq == *seq)
            });
        }
    }

    /// A write made `scenario` reach `revision`: forgotten here at once and on every other
    /// process when the announcement arrives.
    pub async fn scenario_changed(&self, scenario: Uuid, revision: i64) {
        self.apply(&Announcement::Scenario(scenario, revision));
        self.announce(Announcement::Scenario(scenario, revision))
            .await;
    }

    /// A scenario was deleted.
    pub async fn scenario_deleted(&self, scenario: Uuid) {
        self.scenario_changed(scenario, i64::MAX).await;
    }

    /// A project, and with it its scenarios, was deleted.
    pub async fn project_deleted(&self, project: Uuid) {
        self.apply(&Announcement::Project(project));
        self.announce(Announcement::Project(project)).await;
    }

    async fn announce(&self, announcement: Announcement) {
        let Some(redis) = &self.redis else {
            return;
        };
        let mut conn = redis.clone();
        let sent: redis::RedisResult<i64> = redis::cmd("PUBLISH")
            .arg(&self.channel)
            .arg(announcement.encode())
            .query_async(&mut conn)
            .await;
        if let Err(e) = sent {
            // The other processes keep an answer at most ENTRY_TTL; if they lost Redis too,
            // they have already stopped using memory.
            self.counters
                .announce_failures
                .fetch_add(1, Ordering::Relaxed);
            tracing::warn!(error = %e, "status cache: a revision bump was not announced");
        }
    }

    fn apply(&self, announcement: &Announcement) {
        let mut state = self.lock();
        match *announcement {
            Announcement::Scenario(id, revision) => {
                let slot = state.slots.entry(id).or_insert(Slot {
                    latest: revision,
                    entry: None,
                });
                slot.latest = slot.latest.max(revision);
                remove_entry(&mut state, id, None);
            }
            Announcement::Project(project) => {
                let gone: Vec<Uuid> = state
                    .slots
                    .iter()
                    .filter(|(_, slot)| {
                        slot.entry
                            .as_ref()
                            .is_some_and(|kept| kept.finished.project == project)
                    })
                    .map(|(id, _)| *id)
                    .collect();
                for id in gone {
                    remove_entry(&mut state, id, None);
                    if let Some(slot) = state.slots.get_mut(&id) {
                        slot.latest = i64::MAX;
                    }
                }
            }
        }
        // A slot without an answer only remembers a revision, so that a read which began
        // before the bump is not kept. Past MAX_SLOTS they are dropped: such a late read
        // could then be kept, and is served at most ENTRY_TTL.
        if state.slots.len() > MAX_SLOTS {
            state.slots.retain(|_, slot| slot.entry.is_some());
        }
    }

    /// Stops serving from memory and forgets everything (the channel was lost).
    fn go_dark(&self) {
        self.live.store(false, Ordering::Release);
        *self.lock() = State::default();
    }

    /// Starts serving from memory (the channel is back): anything missed meanwhile is gone.
    fn go_live(&self) {
        *self.lock() = State::default();
        self.live.store(true, Ordering::Release);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind: still usable.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// Removes `id`'s answer (only if it is the one kept as `seq`, when given) and its bytes.
fn remove_entry(state: &mut State, id: Uuid, seq: Option<u64>) {
    let Some(slot) = state.slots.get_mut(&id) else {
        return;
    };
    if seq.is_some_and(|seq| slot.entry.as_ref().is_none_or(|kept| kept.seq != seq)) {
        return;
    }
    if let Some(old) = slot.entry.take() {
        state.bytes -= old.finished.body.len();
    }
}

/// Follows the channel for as long as the cache lives, going dark whenever it is lost.
async fn listen(cache: Weak<StatusCache>, client: redis::Client) {
    loop {
        let subscribed = async {
            let mut pubsub = client.get_async_pubsub().await?;
            let channel = cache
                .upgrade()
                .map(|c| c.channel.clone())
                .unwrap_or_default();
            pubsub.subscribe(channel).await?;
            Ok::<_, redis::RedisError>(pubsub.into_on_message())
        }
        .await;
        let Some(this) = cache.upgrade() else {
            return;
        };
        let mut messages = match subscribed {
            Ok(messages) => messages,
            Err(e) => {
                tracing::debug!(error = %e, "status cache: cannot subscribe yet");
                drop(this);
                tokio::time::sleep(RESUBSCRIBE_EVERY).await;
                continue;
            }
        };
        this.go_live();
        drop(this);
        while let Some(message) = messages.next().await {
            let Some(this) = cache.upgrade() else {
                return;
            };
            let decoded = message
                .get_payload::<String>()
                .ok()
                .and_then(|text| Announcement::decode(&text));
            match decoded {
                Some(announcement) => this.apply(&announcement),
                // Something else on our channel: assume the worst.
                None => this.go_live(),
            }
        }
        if let Some(this) = cache.upgrade() {
            this.go_dark();
        }
        tokio::time::sleep(RESUBSCRIBE_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(owner: Uuid, project: Uuid, revision: i64, size: usize) -> Finished {
        Finished {
            owner,
            project,
            revision,
            body: Bytes::from(vec![b'x'; size]),
        }
    }

    /// A cache without a listener, switched live by hand.
    fn cache(budget: usize) -> StatusCache {
        let cache = StatusCache {
            state: Mutex::new(State::default()),
            budget,
            live: AtomicBool::new(false),
            channel: "test".into(),
            redis: None,
            counters: StatusCacheCounters::default(),
        };
        cache.go_live();
        cache
    }

    #[test]
    fn an_answer_is_kept_for_its_owner_until_a_newer_revision_is_heard_of() {
        let cache = cache(1 << 20);
        let (scenario, owner, project) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
        cache.put(scenario, finished(owner, project, 3, 10));
        assert!(cache.get(scenario, owner, None).is_some());
        assert!(cache.get(scenario, owner, Some(project)).is_some());
        assert!(
            cache.get(scenario, Uuid::new_v4(), None).is_none(),
            "another user"
        );
        assert!(
            cache.get(scenario, owner, Some(Uuid::new_v4())).is_none(),
            "another parent"
        );

        cache.apply(&Announcement::Scenario(scenario, 4));
        assert!(cache.get(scenario, owner, None).is_none());
        // A read that began before the bump brings back revision 3: not kept.
        cache.put(scenario, finished(owner, project, 3, 10));
        assert!(cache.get(scenario, owner, None).is_none());
        cache.put(scenario, finished(owner, project, 4, 10));
        assert_eq!(cache.get(scenario, owner, None).unwrap().revision, 4);
    }

    #[test]
    fn a_deleted_project_takes_its_scenarios_answers_along() {
        let cache = cache(1 << 20);
        let (owner, project) = (Uuid::new_v4(), Uuid::new_v4());
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        cache.put(a, finished(owner, project, 1, 10));
        cache.put(b, finished(owner, Uuid::new_v4(), 1, 10));
        cache.apply(&Announcement::Project(project));
        assert!(cache.get(a, owner, None).is_none());
        assert!(cache.get(b, owner, None).is_some());
        cache.put(a, finished(owner, project, 1, 10));
        assert!(
            cache.get(a, owner, None).is_none(),
            "a deleted scenario stays forgotten"
        );
    }

    #[test]
    fn memory_stays_within_the_budget_oldest_first() {
        let cache = cache(25);
        let owner = Uuid::new_v4();
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::new_v4()).collect();
        for id in &ids {
            cache.put(*id, finished(owner, Uuid::nil(), 1, 10));
        }
        assert!(cache.lock().bytes <= 25);
        assert!(cache.get(ids[0], owner, None).is_none(), "the oldest went");
        assert!(cache.get(ids[2], owner, None).is_some());
        cache.put(Uuid::new_v4(), finished(owner, Uuid::nil(), 1, 26));
        assert!(cache.lock().bytes <= 25, "too large to keep at all");
    }

    #[test]
    fn answers_kept_again_and_again_do_not_grow_the_bookkeeping() {
        let cache = cache(1 << 20);
        let (scenario, owner) = (Uuid::new_v4(), Uuid::new_v4());
        for _ in 0..10_000 {
            cache.put(scenario, finished(owner, Uuid::nil(), 1, 10));
        }
        let state = cache.lock();
        assert_eq!(state.bytes, 10);
        assert!(
            state.order.len() <= 2 * state.slots.len() + 65,
            "{}",
            state.order.len()
        );
    }

    #[test]
    fn without_the_channel_nothing_is_served_or_kept() {
        let cache = cache(1 << 20);
        let (scenario, owner) = (Uuid::new_v4(), Uuid::new_v4());
        cache.put(scenario, finished(owner, Uuid::nil(), 1, 10));
        cache.go_dark();
        assert!(cache.get(scenario, owner, None).is_none());
        cache.put(scenario, finished(owner, Uuid::nil(), 1, 10));
        cache.go_live();
        assert!(cache.get(scenario, owner, None).is_none());
    }

    #[test]
    fn announcements_read_back_and_anything_else_is_refused() {
        let id = Uuid::new_v4();
        assert!(matches!(
            Announcement::decode(&Announcement::Scenario(id, 7).encode()),
            Some(Announcement::Scenario(i, 7)) if i == id
        ));
        assert!(matches!(
            Announcement::decode(&Announcement::Project(id).encode()),
            Some(Announcement::Project(i)) if i == id
        ));
        for bad in ["", "s", "s x 1", "p", "s 1", "q 1 2", "p a b"] {
            assert!(Announcement::decode(bad).is_none(), "{bad}");
        }
    }
}
