#!/usr/bin/env bash
# Run the Cooper vs SwingSet comparison matrix from a fresh checkout and tee
# every JSON line into bench/results-<date>.jsonl (median tables go to
# bench/results-<date>.txt). Results are not meant to be committed.
#
#   bench/compare.sh                       # from anywhere in the repo
#   SWINGSET_DIR=/path/to/peer/swingset RUNS=3 bench/compare.sh
#
# Needs Go and, for the SwingSet side, node plus the peer harness
# (default ../shared/peer/swingset relative to the repo root; see docs/bench.md).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
SWINGSET_DIR="${SWINGSET_DIR:-$ROOT/../shared/peer/swingset}"
RUNS="${RUNS:-3}"
STAMP="$(date +%Y%m%d-%H%M%S)"
OUT="bench/results-$STAMP.jsonl"
TABLES="bench/results-$STAMP.txt"

if [ ! -f "$SWINGSET_DIR/run.sh" ]; then
  echo "compare.sh: no SwingSet peer harness at $SWINGSET_DIR (set SWINGSET_DIR)" >&2
  exit 1
fi

# Build once so every run times the same binary (and restart children are real processes).
BIN="$(mktemp -d)/cooper"
trap 'rm -rf "$(dirname "$BIN")"' EXIT
go build -o "$BIN" ./cmd/cooper

bench() {
  echo "== cooper bench $*" | tee -a "$TABLES" >&2
  "$BIN" bench "$@" --runs "$RUNS" --vs-swingset --swingset-dir "$SWINGSET_DIR" \
    2> >(tee -a "$TABLES" >&2) | tee -a "$OUT"
}

for vats in js go; do
  for mode in sequential concurrent; do
    bench pingpong --n 2000 --mode "$mode" --vats "$vats"
  done
done
bench dynamic --m 20
bench restart --n 10000
# replay has no SwingSet counterpart: Cooper only.
echo "== cooper bench replay --n 10000" | tee -a "$TABLES" >&2
"$BIN" bench replay --n 10000 --runs "$RUNS" 2> >(tee -a "$TABLES" >&2) | tee -a "$OUT"

echo "compare.sh: JSON lines in $OUT, tables in $TABLES" >&2
