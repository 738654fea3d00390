//! Recomputes the hash chains: any row changed, removed or inserted behind the
//! store's back shows up as a break naming its stream and version.

use crate::chain::{HashedFields, event_hash};
use crate::error::StoreError;
use crate::seal::{LogSeal, SEAL_EVENT_TYPE, SEAL_STREAM};
use crate::store::{EventStore, event_columns, event_from_row};
use crate::types::{RecordedEvent, StreamId};

const VERIFY_BATCH: i64 = 10_000;

const SELECT_CHAIN_PAGE: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE (stream_id, stream_version) > ($1, $2) \
     ORDER BY stream_id, stream_version LIMIT $3"
);

const SELECT_ONE_CHAIN_PAGE: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE stream_id = $1 AND stream_version > $2 \
     ORDER BY stream_version LIMIT $3"
);

/// What is wrong at one place of a chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainProblem {
    /// The event's content does not hash to its stored hash: it was altered.
    ContentAltered,
    /// The stored `prev_hash` is not the previous event's hash.
    LinkBroken,
    /// Versions are missing before this event (events were removed).
    VersionsMissing { expected_version: u64 },
    /// This seal's digest no longer matches the log up to its point: history
    /// before it was rewritten (possibly with every hash recomputed).
    SealMismatch { recomputed_digest: String },
}

impl std::fmt::Display for ChainProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ContentAltered => f.write_str("content does not match its hash"),
            Self::LinkBroken => f.write_str("does not link to the previous event's hash"),
            Self::VersionsMissing { expected_version } => {
                write!(f, "versions missing: expected version {expected_version} here")
            }
            Self::SealMismatch { recomputed_digest } => write!(
                f,
                "the log up to this seal now digests to {recomputed_digest}: \
                 history was rewritten"
            ),
        }
    }
}

/// One broken place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub stream_id: String,
    pub stream_version: u64,
    pub global_position: i64,
    pub problem: ChainProblem,
}

impl std::fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "stream {} version {} (global position {}): {}",
            self.stream_id, self.stream_version, self.global_position, self.problem
        )
    }
}

/// The outcome of a verification.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VerifyReport {
    pub streams: u64,
    pub events: u64,
    pub breaks: Vec<ChainBreak>,
}

impl VerifyReport {
    pub fn is_intact(&self) -> bool {
        self.breaks.is_empty()
    }
}

/// Follows chains event by event; events must arrive grouped by stream, in version order.
#[derive(Default)]
struct ChainWalker {
    report: VerifyReport,
    current: Option<(String, u64, [u8; 32])>,
}

impl ChainWalker {
    fn check(&mut self, event: &RecordedEvent) {
        let (expected_version, expected_prev) = match &self.current {
            Some((stream, version, hash)) if *stream == event.stream_id => (version + 1, Some(*hash)),
            _ => {
                self.report.streams += 1;
                (1, None)
            }
        };
        self.report.events += 1;
        let mut problem = |problem| {
            self.report.breaks.push(ChainBreak {
                stream_id: event.stream_id.clone(),
                stream_version: event.stream_version,
                global_position: event.global_position,
                problem,
            });
        };
        if event.stream_version != expected_version {
            problem(ChainProblem::VersionsMissing { expected_version });
        } else if event.prev_hash != expected_prev {
            problem(ChainProblem::LinkBroken);
        }
        if recompute(event) != event.hash {
            problem(ChainProblem::ContentAltered);
        }
        self.current = Some((event.stream_id.clone(), event.stream_version, event.hash));
    }
}

/// The hash the event's stored content and stored predecessor give.
fn recompute(event: &RecordedEvent) -> [u8; 32] {
    event_hash(
        event.prev_hash.as_ref(),
        &HashedFields {
            stream_id: &event.stream_id,
            stream_version: event.stream_version,
            event_id: event.event_id,
            event_type: &event.event_type,
            schema_version: event.schema_version,
            payload: event.payload.as_str(),
            metadata: event.metadata.as_str(),
            recorded_at_micros: event.recorded_at.as_microsecond(),
        },
    )
}

impl EventStore {
    /// Recomputes every stream's chain, then the latest seal (older seals are
    /// checked one by one with [`EventStore::recompute_seal`]).
    pub async fn verify(&self) -> Result<VerifyReport, StoreError> {
        let mut report = self.verify_chains().await?;
        let seal_stream = StreamId::new(SEAL_STREAM)?;
        let latest =
            self.read_stream_all(&seal_stream).await?.into_iter().rev().find(|e| e.event_type == SEAL_EVENT_TYPE);
        if let Some(event) = latest {
            let seal: LogSeal = event.payload.decode().map_err(|e| StoreError::Malformed {
                global_position: event.global_position,
                reason: format!("unreadable seal: {e}"),
            })?;
            let now = self.recompute_seal(seal.up_to).await?;
            if now.heads_digest != seal.heads_digest {
                report.breaks.push(ChainBreak {
                    stream_id: event.stream_id,
                    stream_version: event.stream_version,
                    global_position: event.global_position,
                    problem: ChainProblem::SealMismatch { recomputed_digest: now.heads_digest },
                });
            }
        }
        Ok(report)
    }

    async fn verify_chains(&self) -> Result<VerifyReport, StoreError> {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(SELECT_CHAIN_PAGE).await?;
        let mut walker = ChainWalker::default();
        let mut after = (String::new(), 0_i64);
        loop {
            let rows = client.query(&statement, &[&after.0, &after.1, &VERIFY_BATCH]).await?;
            for row in &rows {
                let event = event_from_row(row)?;
                walker.check(&event);
                after = (event.stream_id, i64::try_from(event.stream_version).unwrap_or(i64::MAX));
            }
            if (rows.len() as i64) < VERIFY_BATCH {
                return Ok(walker.report);
            }
        }
    }

    /// Recomputes one stream's chain.
    pub async fn verify_stream(&self, stream_id: &StreamId) -> Result<VerifyReport, StoreError> {
        let client = self.pool().get().await?;
        let statement = client.prepare_cached(SELECT_ONE_CHAIN_PAGE).await?;
        let mut walker = ChainWalker::default();
        let mut after = 0_i64;
        loop {
            let rows = client.query(&statement, &[&stream_id.as_str(), &after, &VERIFY_BATCH]).await?;
            for row in &rows {
                let event = event_from_row(row)?;
                walker.check(&event);
                after = i64::try_from(event.stream_version).unwrap_or(i64::MAX);
            }
            if (rows.len() as i64) < VERIFY_BATCH {
                return Ok(walker.report);
            }
        }
    }
}
