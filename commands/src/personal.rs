//! Applicants' personal data, encrypted per applicant (crypto-shredding).
//!
//! Each applicant gets a random 256-bit key in `applicant_keys`; their data is
//! sealed with ChaCha20-Poly1305 (bound to the applicant id) and appended to the
//! stream `applicant-<uuid>`. Erasing destroys the key: the ciphertext stays in
//! the log, hash chains still verify, and nothing can read it any more.

use onestop_domain::ids::ApplicantId;
use onestop_domain::notice::{NOTICES_CHOSEN, NoticeChoice};
use onestop_domain::personal::{Applicant, SealedApplicant};
use onestop_store::{EventStore, ExpectedVersion, NewEvent, StreamBatch, StreamId};
use uuid::Uuid;

use crate::error::CommandError;

pub use onestop_domain::personal::{APPLICANT_ERASED, APPLICANT_RECORDED};

/// Reads and writes applicants' personal data.
#[derive(Debug, Clone)]
pub struct PersonalDataVault {
    store: EventStore,
}

pub fn applicant_stream(id: ApplicantId) -> Result<StreamId, CommandError> {
    StreamId::new(format!("applicant-{}", id.0))
        .map_err(|e| CommandError::Invalid { field: "applicant", reason: e.to_string() })
}

fn random<const N: usize>() -> Result<[u8; N], CommandError> {
    let mut bytes = [0_u8; N];
    getrandom::fill(&mut bytes).map_err(|e| CommandError::Infrastructure(e.to_string().into()))?;
    Ok(bytes)
}

impl PersonalDataVault {
    pub fn new(store: EventStore) -> Self {
        Self { store }
    }

    /// Seals and records an applicant under `id`, with their choice of notice
    /// channels (not personal data: which channels, not the addresses).
    /// Recording the same id again (a retried request) writes nothing new.
    pub async fn record(
        &self,
        id: ApplicantId,
        applicant: &Applicant,
        notices: &NoticeChoice,
        metadata: serde_json::Value,
    ) -> Result<(), CommandError> {
        let client = self.store.pool().get().await?;
        let key: [u8; 32] = random()?;
        client
            .execute(
                "INSERT INTO applicant_keys (applicant_id, key) VALUES ($1, $2) \
                 ON CONFLICT (applicant_id) DO NOTHING",
                &[&id.0, &key.as_slice()],
            )
            .await?;
        let stored: Option<Vec<u8>> =
            client.query_one("SELECT key FROM applicant_keys WHERE applicant_id = $1", &[&id.0]).await?.get(0);
        // One connection at a time: holding this one while the append waits for
        // another could exhaust the pool under load.
        drop(client);
        let Some(key) = stored else {
            return Err(CommandError::Conflict(format!("the personal data of applicant {id} was erased")));
        };
        let key: [u8; 32] = key
            .as_slice()
            .try_into()
            .map_err(|_| CommandError::Infrastructure("a stored applicant key is not 32 bytes".into()))?;
        let chosen = NewEvent::new(
            NOTICES_CHOSEN,
            serde_json::to_value(notices.clone().normalised()).map_err(CommandError::infrastructure)?,
        )
        .with_id(Uuid::new_v5(&id.0, b"notices-chosen"))
        .with_metadata(metadata.clone());
        let event = seal(id, &key, applicant, metadata)?;
        self.store.append(&applicant_stream(id)?, ExpectedVersion::NoStream, &[event, chosen]).await?;
        Ok(())
    }

    /// Records many new applicants inside the caller's transaction (a bulk
    /// import): their keys are stored with one statement, and the sealed records
    /// come back as stream batches for the caller to append in the same
    /// transaction.
    pub async fn record_many_in(
        &self,
        transaction: &deadpool_postgres::Transaction<'_>,
        applicants: &[(ApplicantId, &Applicant, serde_json::Value)],
    ) -> Result<Vec<StreamBatch>, CommandError> {
        let mut ids = Vec::with_capacity(applicants.len());
        let mut keys = Vec::with_capacity(applicants.len());
        let mut batches = Vec::with_capacity(applicants.len());
        for (id, applicant, metadata) in applicants {
            let key: [u8; 32] = random()?;
            batches.push(StreamBatch {
                stream_id: applicant_stream(*id)?,
                expected: ExpectedVersion::NoStream,
                events: vec![seal(*id, &key, applicant, metadata.clone())?],
            });
            ids.push(id.0);
            keys.push(key.to_vec());
        }
        transaction
            .execute(
                "INSERT INTO applicant_keys (applicant_id, key) \
                 SELECT * FROM unnest($1::uuid[], $2::bytea[])",
                &[&ids, &keys],
            )
            .await?;
        Ok(batches)
    }

    /// The applicant's data, or `None` once erased (or never recorded).
    pub async fn open(&self, id: ApplicantId) -> Result<Option<Applicant>, CommandError> {
        let client = self.store.pool().get().await?;
        let Some(row) = client.query_opt("SELECT key FROM applicant_keys WHERE applicant_id = $1", &[&id.0]).await?
        else {
            return Ok(None);
        };
        let Some(key): Option<Vec<u8>> = row.get(0) else {
            return Ok(None);
        };
        drop(client);
        let events = self.store.read_stream_all(&applicant_stream(id)?).await?;
        let Some(recorded) = events.iter().find(|e| e.event_type == APPLICANT_RECORDED) else {
            return Ok(None);
        };
        let sealed: SealedApplicant = recorded.payload.decode().map_err(CommandError::infrastructure)?;
        sealed.open(id, &key).map(Some).map_err(CommandError::infrastructure)
    }

    /// Many applicants' data at once (a batch of notices to address): the
    /// applicants still on record, by id; the erased and the unknown are left
    /// out.
    pub async fn open_many(
        &self,
        ids: &[ApplicantId],
    ) -> Result<std::collections::HashMap<ApplicantId, Applicant>, CommandError> {
        let mut opened = std::collections::HashMap::with_capacity(ids.len());
        if ids.is_empty() {
            return Ok(opened);
        }
        let client = self.store.pool().get().await?;
        let uuids: Vec<Uuid> = ids.iter().map(|id| id.0).collect();
        let keys: std::collections::HashMap<Uuid, Vec<u8>> = client
            .query(
                "SELECT applicant_id, key FROM applicant_keys WHERE applicant_id = ANY($1) AND key IS NOT NULL",
                &[&uuids],
            )
            .await?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        drop(client);
        let streams = keys.keys().map(|id| applicant_stream(ApplicantId(*id))).collect::<Result<Vec<_>, _>>()?;
        // The sealed record is the stream's first event.
        for event in self.store.read_stream_heads(&streams, 1).await? {
            let Some(id) = event.stream_id.strip_prefix("applicant-").and_then(|id| id.parse::<Uuid>().ok()) else {
                continue;
            };
            let (Some(key), true) = (keys.get(&id), event.event_type == APPLICANT_RECORDED) else { continue };
            let sealed: SealedApplicant = event.payload.decode().map_err(CommandError::infrastructure)?;
            let applicant = sealed.open(ApplicantId(id), key).map_err(CommandError::infrastructure)?;
            opened.insert(ApplicantId(id), applicant);
        }
        Ok(opened)
    }

    /// Destroys the applicant's key, then records who erased the data and when.
    /// Returns false when there was nothing left to erase.
    pub async fn erase(&self, id: ApplicantId, metadata: serde_json::Value) -> Result<bool, CommandError> {
        Ok(self.erase_recorded(id, metadata).await?.is_some())
    }

    /// As [`PersonalDataVault::erase`], giving where the erasure landed in the
    /// log (for readers to wait for), or `None` when there was nothing to erase.
    pub async fn erase_recorded(
        &self,
        id: ApplicantId,
        metadata: serde_json::Value,
    ) -> Result<Option<onestop_store::Checkpoint>, CommandError> {
        let client = self.store.pool().get().await?;
        let destroyed = client
            .execute(
                "UPDATE applicant_keys SET key = NULL, destroyed_at = now() \
                 WHERE applicant_id = $1 AND key IS NOT NULL",
                &[&id.0],
            )
            .await?;
        if destroyed == 0 {
            return Ok(None);
        }
        drop(client);
        let event = NewEvent::new(APPLICANT_ERASED, serde_json::json!({}))
            .with_id(Uuid::new_v5(&id.0, b"erased"))
            .with_metadata(metadata);
        let outcome = self.store.append(&applicant_stream(id)?, ExpectedVersion::Any, &[event]).await?;
        Ok(Some(outcome.checkpoint))
    }
}

/// Seals one applicant's data under their key, bound to their id, as the event
/// that records it.
fn seal(
    id: ApplicantId,
    key: &[u8; 32],
    applicant: &Applicant,
    metadata: serde_json::Value,
) -> Result<NewEvent, CommandError> {
    let sealed = SealedApplicant::seal(id, key, random()?, applicant).map_err(CommandError::infrastructure)?;
    Ok(NewEvent::new(APPLICANT_RECORDED, serde_json::to_value(&sealed).map_err(CommandError::infrastructure)?)
        .with_id(Uuid::new_v5(&id.0, b"recorded"))
        .with_metadata(metadata))
}
