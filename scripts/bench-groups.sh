#!/usr/bin/env bash
# The dashboard's queries on 100,000 stored violations (the default
# max_violations): the grouped view's page (one GROUP BY joined with the
# triage, 51 rows), its top documents (one window function over the 50
# groups shown), its sparklines (90 days of daily counts for those groups,
# out of 90 days for every group) and the list (200 rows by hits), on SQLite
# and PostgreSQL, from the crate's own migrations. Prints the median of 7
# runs of each, in milliseconds.
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

groups_sql() {  # the statement ViolationGroup::page runs (no filter, the open groups), for backend $1
  local sum="SUM(hits)"
  [ "$1" = postgres ] && sum="CAST(SUM(hits) AS BIGINT)"
  echo "SELECT g.directive, g.blocked, g.disposition, g.hits, g.violations, g.first_seen, g.last_seen, \
t.state AS triage, t.changed_by AS triaged_by, t.changed_at AS triaged_at FROM (SELECT effective_directive AS directive, \
blocked, disposition, $sum AS hits, COUNT(*) AS violations, MIN(first_seen) AS first_seen, MAX(last_seen) AS last_seen \
FROM security_csp_violations WHERE 1 = 1 GROUP BY effective_directive, blocked, disposition) g LEFT JOIN \
security_csp_triage t ON t.directive = g.directive AND t.blocked = g.blocked AND t.disposition = g.disposition \
WHERE (t.state IS NULL OR (t.state = 'fixed' AND g.last_seen > t.changed_at)) \
ORDER BY g.hits DESC, g.directive, g.blocked, g.disposition LIMIT 51 OFFSET 0"
}
top_sql() {  # ViolationGroup::top_documents for the groups of the first page ($1: backend, $2: their keys)
  local rows="security_csp_violations v WHERE (effective_directive, blocked, disposition) IN ($2)"
  [ "$1" = postgres ] && rows="security_csp_violations v JOIN (VALUES $2) k(d, b, p) ON v.effective_directive = k.d \
AND v.blocked = k.b AND v.disposition = k.p"
  echo "SELECT directive, blocked, disposition, document, hits FROM (SELECT v.effective_directive AS directive, \
v.blocked, v.disposition, v.document_uri AS document, v.hits, ROW_NUMBER() OVER (PARTITION BY v.effective_directive, \
v.blocked, v.disposition ORDER BY v.hits DESC, v.id) AS rn FROM $rows) t WHERE rn <= 3 \
ORDER BY directive, blocked, disposition, hits DESC, document"
}
days_sql() {  # ViolationGroup::days for 50 groups ($1: their hashes)
  echo "SELECT group_hash, day, hits FROM security_csp_group_days WHERE group_hash IN ($1) \
AND day >= '2026-09-03 00:00:00' ORDER BY group_hash, day"
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
# 90 days of counts for 1,200 groups; 20 groups triaged.
c.execute("""WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i + 1 < 1200),
d(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM d WHERE j + 1 < 90)
INSERT INTO security_csp_group_days (group_hash, day, hits)
SELECT printf('%064x', i), datetime('2026-09-03 00:00:00', '+' || j || ' days'), 1 + (i + j) % 7 FROM g, d""")
c.execute("""WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < 20)
INSERT INTO security_csp_triage (group_hash, directive, blocked, disposition, state, changed_by, changed_at)
SELECT printf('%064x', i), 'directive-' || (i % 12), 'host' || (i % 400) || '.example', 'enforce', 'expected', 'bench',
       '2026-12-01 09:00:00' FROM n""")
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
FROM generate_series(0, $rows - 1) AS i;
INSERT INTO security_csp_group_days (group_hash, day, hits)
SELECT lpad(to_hex(i), 64, '0'), TIMESTAMP '2026-09-03 00:00:00' + j * INTERVAL '1 day', 1 + (i + j) % 7
FROM generate_series(0, 1199) AS i, generate_series(0, 89) AS j;
INSERT INTO security_csp_triage (group_hash, directive, blocked, disposition, state, changed_by, changed_at)
SELECT lpad(to_hex(i), 64, '0'), 'directive-' || (i % 12), 'host' || (i % 400) || '.example', 'enforce', 'expected',
       'bench', '2026-12-01 09:00:00' FROM generate_series(0, 19) AS i;
ANALYZE;" >/dev/null
pg_ms() {
  local t=()
  for _ in 1 2 3 4 5 6 7; do
    t+=("$(psql -qtA "$pg_server/$pg_db" -c "EXPLAIN (ANALYZE, FORMAT JSON) $1" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["Execution Time"])')")
  done
  printf "%s\n" "${t[@]}" | sort -n | sed -n 4p | awk '{printf "%.1f", $1}'
}

# The keys of the first page's 50 groups, and 50 group hashes.
keys="$(python3 - "$workdir/groups.db" "$(groups_sql sqlite)" <<'PY'
import sqlite3, sys
rows = sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchall()[:50]
print(", ".join(f"('{d}', '{b}', '{p}')" for d, b, p, *_ in rows))
PY
)"
hashes="$(python3 -c 'print(", ".join("%r" % ("%064x" % i) for i in range(0, 1200, 24)))')"
printf "%-10s %10s %10s %10s %10s %10s\n" backend rows "groups ms" "top3 ms" "days ms" "list ms"
printf "%-10s %10s %10s %10s %10s %10s\n" sqlite "$rows" "$(sqlite_ms "$(groups_sql sqlite)")" \
  "$(sqlite_ms "$(top_sql sqlite "$keys")")" "$(sqlite_ms "$(days_sql "$hashes")")" "$(sqlite_ms "$LIST_SQL")"
printf "%-10s %10s %10s %10s %10s %10s\n" postgres "$rows" "$(pg_ms "$(groups_sql postgres)")" \
  "$(pg_ms "$(top_sql postgres "$keys")")" "$(pg_ms "$(days_sql "$hashes")")" "$(pg_ms "$LIST_SQL")"
psql -q "$pg_server/postgres" -c "DROP DATABASE $pg_db WITH (FORCE)" >/dev/null
