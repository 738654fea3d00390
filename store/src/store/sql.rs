//! The SQL of the event log: every statement the store sends, in one place.

/// The columns of [`RecordedEvent`], in the order `event_from_row` reads them.
macro_rules! event_columns {
    () => {
        "global_position, tx_id, stream_id, stream_version, event_id, \
         event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash"
    };
}
pub(crate) use event_columns;

pub(super) const SELECT_HEAD: &str = "SELECT stream_version, hash FROM events \
     WHERE stream_id = $1 ORDER BY stream_version DESC LIMIT 1";

pub(super) const INSERT_BATCH: &str = "INSERT INTO events (stream_id, stream_version, event_id, \
     event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash) \
     SELECT $1, e.stream_version, e.event_id, e.event_type, e.schema_version, \
            e.payload::json, e.metadata::json, $2, e.prev_hash, e.hash \
     FROM unnest($3::bigint[], $4::uuid[], $5::text[], $6::int4[], $7::text[], $8::text[], \
                 $9::bytea[], $10::bytea[]) \
          WITH ORDINALITY AS e(stream_version, event_id, event_type, schema_version, \
                               payload, metadata, prev_hash, hash, n) \
     ORDER BY e.n \
     RETURNING stream_version, global_position, tx_id::text::bigint";

pub(super) const INSERT_MANY: &str = "INSERT INTO events (stream_id, stream_version, event_id, \
     event_type, schema_version, payload, metadata, recorded_at, prev_hash, hash) \
     SELECT e.stream_id, e.stream_version, e.event_id, e.event_type, e.schema_version, \
            e.payload::json, e.metadata::json, $1, e.prev_hash, e.hash \
     FROM unnest($2::text[], $3::bigint[], $4::uuid[], $5::text[], $6::int4[], $7::text[], \
                 $8::text[], $9::bytea[], $10::bytea[]) \
          WITH ORDINALITY AS e(stream_id, stream_version, event_id, event_type, schema_version, \
                               payload, metadata, prev_hash, hash, n) \
     ORDER BY e.n \
     RETURNING global_position, tx_id::text::bigint";

// Each stream's head through its index, one probe per stream.
pub(super) const SELECT_HEADS: &str = "SELECT s.stream_id, h.stream_version, h.hash \
     FROM unnest($1::text[]) AS s(stream_id) \
     LEFT JOIN LATERAL (SELECT stream_version, hash FROM events e \
                        WHERE e.stream_id = s.stream_id \
                        ORDER BY stream_version DESC LIMIT 1) h ON true";

pub(super) const SELECT_BY_IDS: &str = "SELECT event_id, stream_id, stream_version, global_position, \
            tx_id::text::bigint \
     FROM events WHERE event_id = ANY($1)";

pub(super) const SELECT_STREAM: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE stream_id = $1 AND stream_version > $2 \
     ORDER BY stream_version LIMIT $3"
);

pub(super) const SELECT_STREAMS_HEAD: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE stream_id = ANY($1) AND stream_version <= $2 \
     ORDER BY stream_id, stream_version"
);

// Only events of transactions older than every transaction still running are
// read: one that took an earlier position but commits late is then never skipped,
// because the reader stops before it until it has committed or aborted.
//
// `committed_after!($a, $b)` is that window after the checkpoint in parameters
// `$a` (transaction) and `$b` (position).
macro_rules! committed_after {
    ($tx:literal, $position:literal) => {
        concat!(
            " (tx_id, global_position) > ((",
            $tx,
            "::bigint)::text::xid8, ",
            $position,
            ") AND tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())) "
        )
    };
}

pub(super) const SELECT_ALL: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE",
    committed_after!("$1", "$2"),
    "ORDER BY tx_id, global_position LIMIT $3"
);

// The ORDER BY names the table's columns: a bare `tx_id` would name the cast in
// the select list (PostgreSQL calls it `tx_id` too) and sort the whole log.
pub(super) const SELECT_HORIZON: &str = "SELECT tx_id::text::bigint, global_position FROM events \
     WHERE tx_id < (SELECT pg_snapshot_xmin(pg_current_snapshot())) \
     ORDER BY events.tx_id DESC, events.global_position DESC LIMIT 1";

pub(super) const SELECT_FILTERED: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE",
    committed_after!("$1", "$2"),
    "AND ($3::text IS NULL OR starts_with(stream_id, $3)) \
       AND ($4::text[] IS NULL OR event_type = ANY($4)) \
       AND ($5::timestamptz IS NULL OR recorded_at >= $5) \
       AND ($6::timestamptz IS NULL OR recorded_at < $6) \
     ORDER BY tx_id, global_position LIMIT $7"
);

pub(super) const SELECT_LAST: &str = "SELECT tx_id::text::bigint, global_position FROM events \
     ORDER BY events.tx_id DESC, events.global_position DESC LIMIT 1";

/// Events of some types after a checkpoint, in log order; `$tail` is appended
/// to the text (a comment, to keep two uses' cached plans apart).
macro_rules! select_types {
    ($($tail:literal)?) => {
        concat!(
            "SELECT ",
            event_columns!(),
            " FROM events WHERE event_type = ANY($1) AND",
            committed_after!("$2", "$3"),
            "ORDER BY tx_id, global_position LIMIT $4"
            $(, $tail)?
        )
    };
}

pub(super) const SELECT_TYPES: &str = select_types!();

/// Events of some types that happened in a period (by their payload's `at`,
/// the time the rules saw), optionally of one stream, after a position: for
/// audit queries over small record kinds (sign-ins).
pub(super) const SELECT_TYPES_BETWEEN: &str = concat!(
    "SELECT ",
    event_columns!(),
    " FROM events WHERE event_type = ANY($1) AND global_position > $2 \
     AND (payload->>'at')::timestamptz >= $3 AND (payload->>'at')::timestamptz < $4 \
     AND ($5::text IS NULL OR stream_id = $5) \
     ORDER BY global_position LIMIT $6"
);

/// [`SELECT_TYPES`] under another text, so that its cached plan (made with the
/// settings [`EventStore::scan_types`] sets) is not shared with `read_types`'s.
pub(super) const SCAN_TYPES: &str = select_types!(" /* walked in commit order */");

#[cfg(test)]
mod plans {
    #![allow(clippy::expect_used)]

    use onestop_migrations::testing::TestDatabase;

    use super::{SCAN_TYPES, SELECT_ALL, SELECT_HORIZON, SELECT_LAST, SELECT_TYPES};

    /// The reads by log position must walk the commit-order index, not sort the
    /// log: with sorting forbidden, none of their plans may still have a Sort
    /// (one that cannot be avoided stays in the plan whatever the settings).
    #[tokio::test]
    async fn position_reads_walk_the_commit_order_index() {
        let database = TestDatabase::create().await.expect("test database");
        let client = database.superuser().await.expect("superuser");
        client.batch_execute("SET enable_sort = off; SET max_parallel_workers_per_gather = 0").await.expect("settings");
        let checkpoint = "0::bigint, 0::bigint";
        let types = "ARRAY['CaseReceived']";
        for (sql, arguments) in [
            (SELECT_HORIZON, String::new()),
            (SELECT_LAST, String::new()),
            (SELECT_ALL, format!("{checkpoint}, 100::bigint")),
            (SCAN_TYPES, format!("{types}, {checkpoint}, 100::bigint")),
            (SELECT_TYPES, format!("{types}, {checkpoint}, 100::bigint")),
        ] {
            client.batch_execute("DEALLOCATE ALL").await.expect("deallocate");
            client.batch_execute(&format!("PREPARE read AS {sql}")).await.expect("prepare");
            let execute =
                if arguments.is_empty() { "EXECUTE read".to_owned() } else { format!("EXECUTE read({arguments})") };
            let plan: String = client
                .query(&format!("EXPLAIN {execute}"), &[])
                .await
                .expect("explain")
                .iter()
                .map(|row| row.get::<_, String>(0) + "\n")
                .collect();
            // A sort node, not a merge's "Sort Key".
            let sorts = plan.lines().any(|line| {
                let node = line.trim_start().trim_start_matches("->").trim_start();
                node.starts_with("Sort  (") || node.starts_with("Incremental Sort  (")
            });
            assert!(!sorts, "{sql}\nsorts:\n{plan}");
        }
    }
}
