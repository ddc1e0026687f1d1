#!/usr/bin/env bash
# Audit journal benchmark: appends/s (1 writer, 4 concurrent writers, one
# process per event as the hook does) and `cordon audit verify` time for
# 1,000,000 records, each side by side with a reference:
#   - appends: the same rows inserted by Python's sqlite3 (WAL, synchronous=NORMAL,
#     one transaction per row, no hashing, no anchor): what plain SQLite costs;
#   - verify: `sqlite3 journal.db 'PRAGMA integrity_check'` on the same file.
# Usage: [CORDON_BIN=path] bench/audit.sh [N_APPENDS] [N_VERIFY]   (defaults 20000 and 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
N=${1:-20000}
NV=${2:-1000000}
# CORDON_BIN=path uses an already built binary instead of building one.
[ -n "${CORDON_BIN:-}" ] || cargo build --release -q -p cordon
OUT=$(mktemp -d /tmp/cordon-bench-audit.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
# A private copy: the shared target/ may be rebuilt while this runs.
cp "${CORDON_BIN:-$REL/cordon}" "$OUT/cordon"
BIN=$OUT/cordon
echo "cordon audit benchmark, $(date -u +%F), $(nproc) cores, $(uname -r), load average $(cut -d" " -f1-3 /proc/loadavg)"
now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1/($3-$2):.0f}')"; }

payloads() { # N lines shaped like hook decisions
  python3 - "$1" <<'PY'
import sys, json
for i in range(int(sys.argv[1])):
    print(json.dumps({"tool": "Bash", "command": f"cargo test -p crate{i % 50}", "decision": "allow",
                      "reasons": ["rule Bash(cargo test:*)"], "classes": ["build"], "tainted": False}))
PY
}
payloads "$N" > "$OUT/p.jsonl"
payloads $((N / 4)) > "$OUT/q.jsonl"

py_insert() { # dir n-file session: plain SQLite, one transaction per row
  python3 - "$1" "$2" "$3" <<'PY'
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1] + "/plain.db", timeout=30, isolation_level=None)
db.execute("PRAGMA journal_mode=WAL"); db.execute("PRAGMA synchronous=NORMAL")
db.execute("CREATE TABLE IF NOT EXISTS r (seq INTEGER PRIMARY KEY, t INTEGER, s TEXT, src TEXT, k TEXT, p TEXT)")
for line in open(sys.argv[2]):
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO r (t, s, src, k, p) VALUES (?, ?, 'hook', 'hook.pre_tool_use', ?)", (time.time_ns(), sys.argv[3], line.strip()))
    db.execute("COMMIT")
PY
}

echo "== single writer, $N appends (one transaction each)"
D=$OUT/single; mkdir -p "$D"
t0=$(now); CORDON_DATA_DIR=$D "$BIN" audit append --session s --source hook --kind hook.pre_tool_use < "$OUT/p.jsonl"; t1=$(now)
c1=$(rate "$N" "$t0" "$t1")
t0=$(now); py_insert "$D" "$OUT/p.jsonl" s; t1=$(now)
p1=$(rate "$N" "$t0" "$t1")
echo "cordon $c1/s   plain sqlite3 $p1/s   ratio $(python3 -c "print(f'{$c1/$p1:.2f}')")"

echo "== 4 concurrent writers, $((N / 4)) appends each"
D=$OUT/four; mkdir -p "$D"
t0=$(now)
for w in 1 2 3 4; do CORDON_DATA_DIR=$D "$BIN" audit append --session "w$w" --source hook --kind hook.pre_tool_use < "$OUT/q.jsonl" & done
wait; t1=$(now)
c4=$(rate $((N / 4 * 4)) "$t0" "$t1")
t0=$(now)
for w in 1 2 3 4; do py_insert "$D" "$OUT/q.jsonl" "w$w" & done
wait; t1=$(now)
p4=$(rate $((N / 4 * 4)) "$t0" "$t1")
CORDON_DATA_DIR=$D "$BIN" audit verify > /dev/null
echo "cordon $c4/s   plain sqlite3 $p4/s   ratio $(python3 -c "print(f'{$c4/$p4:.2f}')")"

echo "== one process per event (as each hook call does), 500 events"
D=$OUT/procs; mkdir -p "$D"
head -n 500 "$OUT/p.jsonl" > "$OUT/500.jsonl"
t0=$(now)
while IFS= read -r line; do printf '%s\n' "$line" | CORDON_DATA_DIR=$D "$BIN" audit append --session s --source hook --kind hook.pre_tool_use; done < "$OUT/500.jsonl"
t1=$(now)
t0t=$(now); while IFS= read -r line; do printf '%s\n' "$line" | cat > /dev/null; done < "$OUT/500.jsonl"; t1t=$(now)
t0v=$(now); while IFS= read -r line; do printf '%s\n' "$line" > /dev/null; "$BIN" --version > /dev/null; done < "$OUT/500.jsonl"; t1v=$(now)
echo "cordon audit append: $(python3 -c "print(f'{($t1-$t0)/500*1000:.2f}')") ms per process   cordon --version: $(python3 -c "print(f'{($t1v-$t0v)/500*1000:.2f}')") ms   (printf | cat: $(python3 -c "print(f'{($t1t-$t0t)/500*1000:.2f}')") ms)"

echo "== verify $NV records"
D=$OUT/verify; mkdir -p "$D"
t0=$(now)
python3 - "$NV" <<'PY' | CORDON_DATA_DIR=$D "$BIN" audit append --batch 10000
import sys, json
for i in range(int(sys.argv[1])):
    print(json.dumps({"session": f"s{i // 500}", "source": "proxy", "kind": "net.connect",
                      "payload": {"host": f"h{i % 997}.example", "port": 443, "decision": "allow" if i % 7 else "deny"}}))
PY
t1=$(now)
echo "(seeded in $(python3 -c "print(f'{$t1-$t0:.1f}')") s, $(du -h "$D/journal.db" | cut -f1))"
t0=$(now); CORDON_DATA_DIR=$D "$BIN" audit verify; t1=$(now)
tv=$(python3 -c "print(f'{$t1-$t0:.2f}')")
t0=$(now); sqlite3 "$D/journal.db" 'PRAGMA integrity_check' > /dev/null; t1=$(now)
ti=$(python3 -c "print(f'{$t1-$t0:.2f}')")
t0=$(now); CORDON_DATA_DIR=$D "$BIN" audit stats > /dev/null; t1=$(now)
ts=$(python3 -c "print(f'{$t1-$t0:.2f}')")
echo "cordon audit verify ${tv} s   sqlite3 integrity_check ${ti} s   ratio $(python3 -c "print(f'{$tv/$ti:.2f}')")   (cordon audit stats ${ts} s)"
