#!/usr/bin/env bash
# The dashboard's queries on 100,000 stored violations (the default
# max_violations): the grouped view's page (one GROUP BY, 51 rows) and the
# list (200 rows by hits), on SQLite and PostgreSQL, from the crate's own
# migrations. Prints the median of 7 runs of each, in milliseconds.
#
#   scripts/bench-groups.sh [rows]        # default 100000
#   BENCH_POSTGRES=postgres://postgres@127.0.0.1:5432 (server; database rocket_security_groups_bench is created)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-100000}"
pg_server="${BENCH_POSTGRES:-postgres://postgres@127.0.0.1:5432}"
pg_db="rocket_security_groups_bench"
workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT

groups_sql() {  # the statement ViolationGroup::page runs (no filter), for backend $1
  local sum="SUM(hits)"
  [ "$1" = postgres ] && sum="CAST(SUM(hits) AS BIGINT)"
  echo "SELECT effective_directive AS directive, blocked, disposition, $sum AS hits, COUNT(*) AS violations, \
MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen FROM security_csp_violations WHERE 1 = 1 \
GROUP BY effective_directive, blocked, disposition ORDER BY hits DESC, directive, blocked, disposition LIMIT 51 OFFSET 0"
}
LIST_SQL="SELECT id, hits FROM security_csp_violations ORDER BY hits DESC, id DESC LIMIT 200"

# 100,000 violations: 12 directives x 400 blocked hosts x pages, two dispositions.
python3 - "$workdir/groups.db" "$rows" <<'PY'
import sqlite3, sys, glob, time, statistics
db, rows = sys.argv[1], int(sys.argv[2])
c = sqlite3.connect(db)
for up in sorted(glob.glob("migrations/sqlite/*/up.sql")):
    c.executescript(open(up).read())
c.execute(f"""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < {rows})
INSERT INTO security_csp_violations (key_hash, document_uri, effective_directive, blocked, disposition, hits, sample_count, first_seen, last_seen)
SELECT printf('%064x', i), 'https://example.com/page/' || i, 'directive-' || (i % 12), 'host' || (i % 400) || '.example',
       CASE WHEN i % 2 = 0 THEN 'enforce' ELSE 'report' END, 1 + i % 17, 0, '2026-11-30 08:00:00', '2026-12-01 08:00:00' FROM n""")
c.commit()
PY
sqlite_ms() {
  python3 - "$workdir/groups.db" "$1" <<'PY'
import sqlite3, sys, time, statistics
c = sqlite3.connect(sys.argv[1])
t = []
for _ in range(7):
    s = time.perf_counter(); c.execute(sys.argv[2]).fetchall(); t.append((time.perf_counter() - s) * 1000)
print(f"{statistics.median(t):.1f}")
PY
}

psql -q "$pg_server/postgres" -c "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null
psql -q "$pg_server/postgres" -c "CREATE DATABASE $pg_db" >/dev/null
for up in $(ls migrations/postgres/*/up.sql | sort); do psql -q "$pg_server/$pg_db" -f "$up" >/dev/null; done
psql -q "$pg_server/$pg_db" -c "INSERT INTO security_csp_violations (key_hash, document_uri, effective_directive, blocked, disposition, hits, sample_count, first_seen, last_seen)
SELECT lpad(to_hex(i), 64, '0'), 'https://example.com/page/' || i, 'directive-' || (i % 12), 'host' || (i % 400) || '.example',
       CASE WHEN i % 2 = 0 THEN 'enforce' ELSE 'report' END, 1 + i % 17, 0, '2026-11-30 08:00:00', '2026-12-01 08:00:00'
FROM generate_series(0, $rows - 1) AS i; ANALYZE security_csp_violations;" >/dev/null
pg_ms() {
  local t=()
  for _ in 1 2 3 4 5 6 7; do
    t+=("$(psql -qtA "$pg_server/$pg_db" -c "EXPLAIN (ANALYZE, FORMAT JSON) $1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Execution Time"])')")
  done
  printf "%s\n" "${t[@]}" | sort -n | sed -n 4p | awk '{printf "%.1f", $1}'
}

printf "%-10s %10s %16s %16s\n" backend rows "groups page, ms" "list page, ms"
printf "%-10s %10s %16s %16s\n" sqlite "$rows" "$(sqlite_ms "$(groups_sql sqlite)")" "$(sqlite_ms "$LIST_SQL")"
printf "%-10s %10s %16s %16s\n" postgres "$rows" "$(pg_ms "$(groups_sql postgres)")" "$(pg_ms "$LIST_SQL")"
psql -q "$pg_server/postgres" -c "DROP DATABASE $pg_db WITH (FORCE)" >/dev/null
