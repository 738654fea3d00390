//! The blind index of applicants (`applicant_terms`): for each applicant whose
//! key still exists, the keyed terms of [`onestop_domain::search`], from the
//! sealed record in their stream. An erasure deletes their rows; a rebuild
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
        let key_of = tx.prepare_cached("SELECT key FROM applicant_keys WHERE applicant_id = $1").await?;
        let insert = tx
            .prepare_cached(
                "INSERT INTO applicant_terms (term, applicant_id) SELECT unnest($1::bytea[]), $2 \
                 ON CONFLICT DO NOTHING",
            )
            .await?;
        let erase = tx.prepare_cached("DELETE FROM applicant_terms WHERE applicant_id = $1").await?;
        for event in events {
            let Some(id) = applicant_of(&event.stream_id) else { continue };
            if event.event_type == APPLICANT_ERASED {
                tx.execute(&erase, &[&id.0]).await?;
                continue;
            }
            // A destroyed key (an erasure later in the log) leaves nothing to index.
            let key: Option<Vec<u8>> = tx.query_opt(&key_of, &[&id.0]).await?.and_then(|row| row.get(0));
            let Some(key) = key else { continue };
            let unreadable = |reason: String| ProjectionError::Event { position: event.global_position, reason };
            let sealed: SealedApplicant = event.payload.decode().map_err(|e| unreadable(e.to_string()))?;
            let applicant = sealed.open(id, &key).map_err(|e| unreadable(e.to_string()))?;
            let terms: Vec<Vec<u8>> = self.key.terms_of(&applicant).iter().map(|t| t.0.to_vec()).collect();
            tx.execute(&insert, &[&terms, &id.0]).await?;
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
