//! The web console's sessions: a random secret in an HttpOnly cookie, its
//! SHA-256 in `console_sessions`. Kept in the database (not in a signed
//! cookie) so that signing out, an idle timeout and an administrator's
//! disabling of an account end a session at once, in every server process.
//!
//! Session times use the database's clock, not the rules' clock: how long a
//! sign-in lasts is not a rule of the one-stop shop.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use deadpool_postgres::Pool;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::error::CommandError;

/// A session ends after this long without a request.
pub const IDLE_MINUTES: i32 = 120;
/// And at the latest this long after sign-in.
pub const LONGEST_HOURS: i32 = 12;

/// A live session as a request finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user_id: Uuid,
}

#[derive(Debug, Clone)]
pub struct SessionStore {
    pool: Pool,
}

/// A new random secret, as the cookie carries it (43 URL-safe characters).
pub fn new_secret() -> Result<String, CommandError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CommandError::Infrastructure(e.to_string().into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn hash(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

impl SessionStore {
    pub fn new(pool: Pool) -> Self {
        Self { pool }
    }

    /// Starts a session for `user`; the secret to put in the cookie.
    pub async fn start(&self, user: Uuid) -> Result<String, CommandError> {
        let secret = new_secret()?;
        let client = self.pool.get().await?;
        client
            .execute("INSERT INTO console_sessions (secret_hash, user_id) VALUES ($1, $2)", &[&hash(&secret), &user])
            .await?;
        Ok(secret)
    }

    /// The live session with this secret, marked as seen now; `None` when it
    /// never existed, ended or timed out.
    pub async fn find(&self, secret: &str) -> Result<Option<Session>, CommandError> {
        let client = self.pool.get().await?;
        let statement = client
            .prepare_cached(
                "UPDATE console_sessions SET seen_at = now() \
                 WHERE secret_hash = $1 AND ended_at IS NULL \
                   AND seen_at > now() - make_interval(mins => $2) \
                   AND started_at > now() - make_interval(hours => $3) \
                 RETURNING user_id",
            )
            .await?;
        let row = client.query_opt(&statement, &[&hash(secret), &IDLE_MINUTES, &LONGEST_HOURS]).await?;
        Ok(row.map(|row| Session { user_id: row.get(0) }))
    }

    /// Ends the session with this secret (signing out); ending an ended one
    /// changes nothing.
    pub async fn end(&self, secret: &str) -> Result<(), CommandError> {
        let client = self.pool.get().await?;
        client
            .execute(
                "UPDATE console_sessions SET ended_at = now() WHERE secret_hash = $1 AND ended_at IS NULL",
                &[&hash(secret)],
            )
            .await?;
        Ok(())
    }

    /// Ends every session of `user` (their password changed, or they were disabled).
    pub async fn end_all_of(&self, user: Uuid) -> Result<u64, CommandError> {
        let client = self.pool.get().await?;
        Ok(client
            .execute("UPDATE console_sessions SET ended_at = now() WHERE user_id = $1 AND ended_at IS NULL", &[&user])
            .await?)
    }

    /// Forgets sessions that ended or timed out more than a day ago.
    pub async fn purge(&self) -> Result<u64, CommandError> {
        let client = self.pool.get().await?;
        Ok(client
            .execute(
                "DELETE FROM console_sessions \
                 WHERE coalesce(ended_at, least(seen_at + make_interval(mins => $1), \
                                                started_at + make_interval(hours => $2))) \
                       < now() - interval '1 day'",
                &[&IDLE_MINUTES, &LONGEST_HOURS],
            )
            .await?)
    }
}
