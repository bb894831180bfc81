//! Argon2id password hashing, kept off the async executor and bounded in parallelism: each
//! hash needs 19 MiB and tens of milliseconds of a core, so an unbounded burst of logins
//! would starve every other request.

use std::sync::{Arc, OnceLock};

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{Semaphore, SemaphorePermit};

/// OWASP's argon2id baseline: m = 19 MiB, t = 2, p = 1.
const MEMORY_KIB: u32 = 19 * 1024;
const ITERATIONS: u32 = 2;
const PARALLELISM: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password hashing task failed")]
    Task(#[from] tokio::task::JoinError),
    #[error("password hashing was shut down")]
    Closed(#[from] tokio::sync::AcquireError),
}

#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Where the hashes waiting for a permit are counted.
    metrics: Arc<safapac_ops::Metrics>,
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .expect("the constant argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

fn hash_blocking(password: &[u8]) -> Result<String, PasswordError> {
    argon2()
        .hash_password(password)
        .map(|hash| hash.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// A hash of a random password: logins for unknown emails are checked against it so they
/// cost the same as real ones and timing does not reveal which accounts exist.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        let mut random = [0u8; 32];
        // Without randomness the dummy is still a valid hash of a fixed string; nothing
        // ever verifies against it successfully because unknown users are refused anyway.
        let _ = getrandom::fill(&mut random);
        hash_blocking(&random).expect("hashing with constant parameters succeeds")
    })
}

impl PasswordHasher {
    /// Also computes the dummy hash now (one hash, once per process), so the first login for
    /// an unknown email does not take twice as long as the others.
    pub fn new(max_concurrent: usize) -> PasswordHasher {
        dummy_hash();
        PasswordHasher {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            metrics: Arc::default(),
        }
    }

    /// Counts waiting hashes in `metrics` (the process registry) instead of a private one.
    pub fn observed_by(mut self, metrics: Arc<safapac_ops::Metrics>) -> PasswordHasher {
        self.metrics = metrics;
        self
    }

    async fn permit(&self) -> Result<SemaphorePermit<'_>, PasswordError> {
        let _waiting = self.metrics.password_hash_waiting();
        Ok(self.permits.acquire().await?)
    }

    /// An argon2id PHC string for `password`.
    pub async fn hash(&self, password: String) -> Result<String, PasswordError> {
        let _permit = self.permit().await?;
        tokio::task::spawn_blocking(move || hash_blocking(password.as_bytes())).await?
    }

    /// Checks `password` against `phc`; with no stored hash (unknown user) checks against the
    /// dummy hash and answers false, spending the same work.
    pub async fn verify(
        &self,
        password: String,
        phc: Option<String>,
    ) -> Result<bool, PasswordError> {
        let _permit = self.permit().await?;
        tokio::task::spawn_blocking(move || {
            let known = phc.is_some();
            let stored = phc.unwrap_or_else(|| dummy_hash().to_owned());
            // A malformed stored hash verifies as false rather than erroring: the account
            // simply cannot log in with a password.
            let matches = argon2()
                .verify_password(password.as_bytes(), stored.as_str())
                .is_ok();
            known && matches
        })
        .await
        .map_err(PasswordError::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_phc_strings_that_verify() {
        let hasher = PasswordHasher::new(2);
        let hash = hasher.hash("correct horse".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse".into(), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(
            !hasher
                .verify("wrong horse".into(), Some(hash))
                .await
                .unwrap()
        );
        assert!(!hasher.verify("correct horse".into(), None).await.unwrap());
    }
}
