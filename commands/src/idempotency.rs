//! `Idempotency-Key`: the first response to a keyed request, replayed to its
//! retries. The events of a keyed command have ids derived from the key, so even
//! two retries racing each other append once; this table makes them also get
//! the same answer.

use deadpool_postgres::Pool;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::CommandError;

/// A response as first sent.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Value,
    pub etag: Option<String>,
    pub location: Option<String>,
}

/// What is known of a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup {
    /// Not seen: handle the request.
    Fresh,
    /// Seen with the same request: send this again.
    Replay(StoredResponse),
    /// Seen with a different request: refuse.
    Mismatch,
}

/// A fingerprint of what was asked, so a key reused for something else is caught.
pub fn request_hash(method: &str, path: &str, body: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(method.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(body);
    hasher.finalize().to_vec()
}

#[derive(Debug, Clone)]
pub struct IdempotencyStore {
    pool: Pool,
}

impl IdempotencyStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    pub async fn lookup(&self, user: Uuid, key: &str, hash: &[u8]) -> Result<Lookup, CommandError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "SELECT request_hash, status, response, etag, location \
                 FROM idempotency_keys WHERE user_id = $1 AND key = $2",
            )
            .await?;
        let Some(row) = client.query_opt(&statement, &[&user, &key]).await? else {
            return Ok(Lookup::Fresh);
        };
        let stored_hash: Vec<u8> = row.get(0);
        if stored_hash != hash {
            return Ok(Lookup::Mismatch);
        }
        let status: i16 = row.get(1);
        Ok(Lookup::Replay(StoredResponse {
            status: status.unsigned_abs(),
            body: row.get(2),
            etag: row.get(3),
            location: row.get(4),
        }))
    }

    /// Keeps the first response; a racing second save changes nothing.
    pub async fn save(
        &self,
        user: Uuid,
        key: &str,
        hash: &[u8],
        response: &StoredResponse,
    ) -> Result<(), CommandError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "INSERT INTO idempotency_keys \
                 (user_id, key, request_hash, status, response, etag, location) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            )
            .await?;
        let status = i16::try_from(response.status).unwrap_or(500);
        client
            .execute(&statement, &[&user, &key, &hash, &status, &response.body, &response.etag, &response.location])
            .await?;
        Ok(())
    }

    /// Forgets keys older than `age` (clients retry within minutes, not days).
    pub async fn purge_older_than(&self, age: std::time::Duration) -> Result<u64, CommandError> {
        let client = self.pool.get().await?;
        let seconds = age.as_secs_f64();
        Ok(client
            .execute("DELETE FROM idempotency_keys WHERE created_at < now() - make_interval(secs => $1)", &[&seconds])
            .await?)
    }
}
