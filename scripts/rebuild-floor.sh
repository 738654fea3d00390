#!/usr/bin/env bash
# What PostgreSQL alone spends on the reads and writes of `onestop-replay
# rebuild --all` on this machine. Each step runs on its own, one after another;
# the rebuild overlaps some of them on two cores, which spreads this work but
# does not shrink it, so the sum is CPU time the server needs whatever the
# client does.
#
# Run against a database whose log was simulated and whose read models were
# rebuilt once (docs/benchmarks.md, "Replay tool"), on the database's own host
# (the server writes and reads its dump files in /tmp):
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/onestop_bench scripts/rebuild-floor.sh
#
# Steps, each timed by psql (wall clock; steps 2 and 3 are one server process
# with an idle client, so their wall clock is the server's CPU time):
#   1. the log, every column the rebuild reads, in commit order, sent over the
#      connection in binary COPY (the cheapest way out) to a client that throws
#      it away;
#   2. the change rows and the case rows stored by binary COPY from files on the
#      server (no client, no network) into fresh tables without indexes;
#   3. the live tables' indexes rebuilt on those tables, and ANALYZE.
# Nothing of the read models is changed: the scratch tables are dropped.
set -euo pipefail

url="${DATABASE_URL:?set DATABASE_URL}"
export PGOPTIONS="-c client_min_messages=warning"
# psql's "Time:" lines are translated in other locales.
export LC_ALL=C
psql=(psql "$url" -X -q -v ON_ERROR_STOP=1)
dump=/tmp/onestop-floor

cleanup() {
    "${psql[@]}" -c "DROP TABLE IF EXISTS floor_case_changes, floor_case_status" || true
    rm -f "$dump-case_changes" "$dump-case_status" 2>/dev/null || true
    for file in "$dump-case_changes" "$dump-case_status"; do
        if [ -e "$file" ]; then
            echo "left behind (owned by the server's user): $file" >&2
        fi
    done
}
trap cleanup EXIT

timed() {
    local label=$1
    shift
    local output
    output=$("${psql[@]}" -c '\timing on' "$@" | grep '^Time:' | awk '{s += $2} END {printf "%.0f", s}')
    printf '%-58s %6s ms\n' "$label" "$output"
}

# The statements that give floor_<table> the live table's indexes (constraints'
# indexes included), separated by semicolons.
indexes_of() {
    "${psql[@]}" -At -c "SELECT string_agg(regexp_replace(pg_get_indexdef(indexrelid), \
        'INDEX (\\S+) ON public\\.$1 ', 'INDEX floor_\\1 ON floor_$1 '), '; ') \
        FROM pg_index WHERE indrelid = 'public.$1'::regclass"
}

count_indexes() {
    "${psql[@]}" -At -c "SELECT count(*) FROM pg_index WHERE indrelid = 'public.$1'::regclass"
}

columns="global_position, tx_id, stream_id, stream_version, event_id, event_type, \
schema_version, payload, metadata, recorded_at, prev_hash, hash"
timed "1. log out over the connection, binary COPY" \
    -c "\\copy (SELECT $columns FROM events ORDER BY tx_id, global_position) TO '/dev/null' WITH (FORMAT binary)"

for table in case_changes case_status; do
    "${psql[@]}" -c "COPY $table TO '$dump-$table' (FORMAT binary)" \
        -c "DROP TABLE IF EXISTS floor_$table" \
        -c "CREATE TABLE floor_$table (LIKE $table INCLUDING DEFAULTS)"
done
timed "2a. change rows stored from a server file" \
    -c "COPY floor_case_changes FROM '$dump-case_changes' (FORMAT binary)"
timed "2b. case rows stored from a server file" \
    -c "COPY floor_case_status FROM '$dump-case_status' (FORMAT binary)"
timed "3a. change rows: $(count_indexes case_changes) indexes, ANALYZE" \
    -c "SET maintenance_work_mem = '256MB'" -c "$(indexes_of case_changes)" \
    -c "ANALYZE floor_case_changes"
timed "3b. case rows: $(count_indexes case_status) indexes, ANALYZE" \
    -c "SET maintenance_work_mem = '256MB'" -c "$(indexes_of case_status)" \
    -c "ANALYZE floor_case_status"
