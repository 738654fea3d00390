#!/usr/bin/env bash
# What PostgreSQL alone needs for the reads and writes of `onestop-replay
# rebuild --all` on this machine: the lower bound under any client.
#
# Run against a database whose log was simulated and whose read models were
# rebuilt once (docs/benchmarks.md, "Replay tool"), on the database's own host
# (the server writes and reads its dump files in /tmp):
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/onestop_bench scripts/rebuild-floor.sh
#
# Steps, each timed by psql (wall clock):
#   1. the log, every column the rebuild reads, in commit order, sent over the
#      connection in binary COPY (the cheapest way out) to a client that throws
#      it away;
#   2. the change rows and the case rows stored by binary COPY from files on the
#      server (no client, no network) into fresh tables without indexes;
#   3. the read models' indexes and statistics rebuilt on those tables.
# Nothing of the read models is changed: the scratch tables are dropped.
set -euo pipefail

url="${DATABASE_URL:?set DATABASE_URL}"
export PGOPTIONS="-c client_min_messages=warning"
psql=(psql "$url" -X -q -v ON_ERROR_STOP=1)
dump=/tmp/onestop-floor

timed() {
    local label=$1
    shift
    local output
    output=$("${psql[@]}" -c '\timing on' "$@" | grep '^Time:' | awk '{s += $2} END {printf "%.0f", s}')
    printf '%-58s %6s ms\n' "$label" "$output"
}

columns="global_position, tx_id, stream_id, stream_version, event_id, event_type, \
schema_version, payload, metadata, recorded_at, prev_hash, hash"
timed "1. log out over the connection, binary COPY" \
    -c "\\copy (SELECT $columns FROM events ORDER BY tx_id, global_position) TO '/dev/null' WITH (FORMAT binary)"

"${psql[@]}" -c "COPY case_changes TO '$dump-changes' (FORMAT binary)" \
    -c "COPY case_status TO '$dump-status' (FORMAT binary)"
"${psql[@]}" -c "DROP TABLE IF EXISTS floor_changes, floor_status" \
    -c "CREATE TABLE floor_changes (LIKE case_changes INCLUDING DEFAULTS)" \
    -c "CREATE TABLE floor_status (LIKE case_status INCLUDING DEFAULTS)"
timed "2a. change rows stored from a server file" \
    -c "COPY floor_changes FROM '$dump-changes' (FORMAT binary)"
timed "2b. case rows stored from a server file" \
    -c "COPY floor_status FROM '$dump-status' (FORMAT binary)"
timed "3a. change rows: primary key, BRIN, ANALYZE" \
    -c "SET maintenance_work_mem = '256MB'" \
    -c "ALTER TABLE floor_changes ADD PRIMARY KEY (seq)" \
    -c "CREATE INDEX ON floor_changes USING brin (at)" \
    -c "ANALYZE floor_changes"
# The case rows' indexes, as the live table has them.
index_sql=$("${psql[@]}" -At -c "SELECT string_agg(replace(pg_get_indexdef(indexrelid), \
    ' ON public.case_status ', ' ON floor_status '), '; ') \
    FROM pg_index WHERE indrelid = 'case_status'::regclass")
index_sql=$(sed -E 's/INDEX ([a-z_]+) ON/INDEX floor_\1 ON/g' <<<"$index_sql")
timed "3b. case rows: $("${psql[@]}" -At -c "SELECT count(*) FROM pg_index WHERE indrelid = 'case_status'::regclass") indexes, ANALYZE" \
    -c "SET maintenance_work_mem = '256MB'" -c "$index_sql" -c "ANALYZE floor_status"
"${psql[@]}" -c "DROP TABLE floor_changes, floor_status"
rm -f "$dump-changes" "$dump-status" 2>/dev/null || true
