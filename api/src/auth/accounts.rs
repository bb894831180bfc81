//! A short-lived, per-process memo of the account check behind every bearer token (the
//! account exists and is verified; whether it is an administrator), so a burst of reads by one
//! user costs one database round trip per `ttl` instead of one per request.
//!
//! Only successful checks are remembered: a verification or a promotion takes effect at once,
//! and tokens for unknown or unverified accounts always reach the database. A change that
//! removes access (an account deleted or demoted by hand) takes effect within `ttl` plus the
//! time of one re-check (longer only while the database cannot be reached).

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, Instant};

use uuid::Uuid;

use crate::auth::extract::AuthUser;

/// Past this many remembered accounts the expired ones are dropped, and if that is not
/// enough, all of them: memory stays bounded whatever the number of users.
const CAPACITY: usize = 100_000;

pub struct AccountMemo {
    ttl: Duration,
    entries: RwLock<HashMap<Uuid, (Instant, AuthUser)>>,
}

impl AccountMemo {
    /// A `ttl` of zero turns the memo off.
    pub fn new(ttl: Duration) -> AccountMemo {
        AccountMemo {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    /// The remembered check, while fresh. When it has just expired, one caller gets `None`
    /// and checks the database again (then [`remember`](Self::remember)s or
    /// [`forget`](Self::forget)s); the others keep the old answer meanwhile, so a busy
    /// account costs one database read per `ttl`, not a burst of them at each expiry.
    pub fn get(&self, id: Uuid) -> Option<AuthUser> {
        if self.ttl.is_zero() {
            return None;
        }
        {
            let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
            match entries.get(&id) {
                None => return None,
                Some((checked, user)) if checked.elapsed() < self.ttl => return Some(*user),
                Some(_) => {}
            }
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        match entries.get_mut(&id) {
            Some((checked, user)) if checked.elapsed() < self.ttl => Some(*user),
            Some((checked, _)) if checked.elapsed() < 2 * self.ttl => {
                // This caller re-checks; the entry counts as fresh for the others until then.
                *checked = Instant::now();
                None
            }
            // Long unused: check like a new account.
            _ => None,
        }
    }

    /// Drops the remembered check (the account is gone or unverified).
    pub fn forget(&self, id: Uuid) {
        self.entries
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
    }

    pub fn remember(&self, user: AuthUser) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.retain(|_, (checked, _)| checked.elapsed() < self.ttl);
            if entries.len() >= CAPACITY {
                entries.clear();
            }
        }
        entries.insert(user.id, (Instant::now(), user));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> AuthUser {
        AuthUser {
            id: Uuid::new_v4(),
            is_admin: false,
        }
    }

    #[test]
    fn remembers_for_the_ttl_only() {
        let memo = AccountMemo::new(Duration::from_millis(200));
        let alice = user();
        assert!(memo.get(alice.id).is_none());
        memo.remember(alice);
        assert_eq!(memo.get(alice.id).map(|u| u.id), Some(alice.id));
        std::thread::sleep(Duration::from_millis(450));
        assert!(memo.get(alice.id).is_none());
    }

    #[test]
    fn at_expiry_one_caller_rechecks_and_the_others_keep_the_answer() {
        let memo = AccountMemo::new(Duration::from_secs(1));
        let alice = user();
        memo.remember(alice);
        std::thread::sleep(Duration::from_millis(1_100));
        assert!(memo.get(alice.id).is_none(), "the first caller re-checks");
        assert_eq!(memo.get(alice.id).map(|u| u.id), Some(alice.id));
        memo.forget(alice.id);
        assert!(memo.get(alice.id).is_none());
    }

    #[test]
    fn a_zero_ttl_remembers_nothing() {
        let memo = AccountMemo::new(Duration::ZERO);
        let alice = user();
        memo.remember(alice);
        assert!(memo.get(alice.id).is_none());
    }

    #[test]
    fn stays_bounded() {
        let memo = AccountMemo::new(Duration::from_secs(60));
        for _ in 0..CAPACITY + 10 {
            memo.remember(user());
        }
        let len = memo
            .entries
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .len();
        assert!(len <= CAPACITY, "{len}");
    }
}
