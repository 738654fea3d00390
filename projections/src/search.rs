//! The blind index of applicants (`applicant_terms`): for each applicant whose
//! key still exists, one row with the keyed terms of [`onestop_domain::search`]
//! (under a GIN index), from the sealed record in their stream. An erasure deletes their rows; a rebuild
//! finds the erased applicants' records unreadable and indexes nothing of them.

use deadpool_postgres::Transaction;
use onestop_domain::ids::ApplicantId;
use onestop_domain::personal::{APPLICANT_ERASED, APPLICANT_RECORDED, SealedApplicant};
use onestop_domain::search::IndexKey;
use onestop_store::RecordedEvent;

use crate::runner::{Projection, ProjectionError};

/// The search index's checkpoint name.
pub const NAME: &str = "applicant_search";

/// The tables it owns.
pub const TABLES: &[&str] = &["applicant_terms"];

/// Keeps `applicant_terms`.
#[derive(Debug, Clone)]
pub struct SearchProjection {
    key: IndexKey,
}

impl SearchProjection {
    pub fn new(key: IndexKey) -> Self {
        Self { key }
    }
}

/// The applicant of an applicant stream, `None` for other streams.
fn applicant_of(stream_id: &str) -> Option<ApplicantId> {
    stream_id.strip_prefix("applicant-").and_then(|id| id.parse().ok()).map(ApplicantId)
}

impl Projection for SearchProjection {
    type Prepared = ();
    type Memory = ();

    fn name(&self) -> &'static str {
        NAME
    }

    fn tables(&self) -> &'static [&'static str] {
        TABLES
    }

    fn event_types(&self) -> Option<&'static [&'static str]> {
        Some(&[APPLICANT_RECORDED, APPLICANT_ERASED])
    }

    fn prepare(&self, _: &[RecordedEvent]) -> Result<(), ProjectionError> {
        Ok(())
    }

    async fn apply(
        &self,
        tx: &Transaction<'_>,
        events: &[RecordedEvent],
        (): (),
        (): &mut (),
    ) -> Result<(), ProjectionError> {
        // One read of the batch's keys, one insert and one delete: an applicant
        // is recorded before they can be erased, and an erased one's key is
        // already gone, so the order within the batch does not matter.
        let (mut recorded, mut erased) = (Vec::new(), Vec::new());
        for event in events {
            let Some(id) = applicant_of(&event.stream_id) else { continue };
            if event.event_type == APPLICANT_ERASED { erased.push(id.0) } else { recorded.push((id, event)) }
        }
        let ids: Vec<uuid::Uuid> = recorded.iter().map(|(id, _)| id.0).collect();
        let keys: std::collections::HashMap<uuid::Uuid, Vec<u8>> = tx
            .query(
                "SELECT applicant_id, key FROM applicant_keys WHERE applicant_id = ANY($1) AND key IS NOT NULL",
                &[&ids],
            )
            .await?
            .iter()
            .map(|row| (row.get(0), row.get(1)))
            .collect();
        // Every applicant's terms in one flat array, each applicant's run of it
        // named by its start and length: one statement for the batch.
        let (mut terms, mut owners, mut starts, mut lengths) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (id, event) in recorded {
            // A destroyed key (an erasure later in the log) leaves nothing to index.
            let Some(key) = keys.get(&id.0) else { continue };
            let unreadable = |reason: String| ProjectionError::Event { position: event.global_position, reason };
            let sealed: SealedApplicant = event.payload.decode().map_err(|e| unreadable(e.to_string()))?;
            let applicant = sealed.open(id, key).map_err(|e| unreadable(e.to_string()))?;
            let of_applicant = self.key.terms_of(&applicant);
            starts.push(terms.len() as i32);
            lengths.push(of_applicant.len() as i32);
            owners.push(id.0);
            terms.extend(of_applicant.into_iter().map(|term| term.0.to_vec()));
        }
        if !owners.is_empty() {
            tx.execute(
                "INSERT INTO applicant_terms (applicant_id, terms) \
                 SELECT id, ($2::bytea[])[start + 1 : start + length] \
                 FROM unnest($1::uuid[], $3::int4[], $4::int4[]) AS a(id, start, length) \
                 ON CONFLICT (applicant_id) DO NOTHING",
                &[&owners, &terms, &starts, &lengths],
            )
            .await?;
        }
        if !erased.is_empty() {
            tx.execute("DELETE FROM applicant_terms WHERE applicant_id = ANY($1)", &[&erased]).await?;
        }
        Ok(())
    }
}

/// The applicants found under a query's terms: all of them for names, any
/// for numbers.
pub fn applicant_filter(query: &onestop_domain::search::Query) -> (Vec<Vec<u8>>, i64) {
    use onestop_domain::search::Query;
    match query {
        Query::AnyOf(terms) => (terms.iter().map(|t| t.0.to_vec()).collect(), 1),
        Query::AllOf(terms) => (terms.iter().map(|t| t.0.to_vec()).collect(), terms.len() as i64),
    }
}
