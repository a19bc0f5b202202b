#!/usr/bin/env bash
# Runs the SDK's benchmarks and prints them as a benchstat table.
#   bench/run.sh                 # everything, 6 runs each
#   BENCH=Pay COUNT=10 bench/run.sh
#   BENCH=Transport bench/run.sh  # default HTTP/1.1-only transport vs HTTP/2, loopback TLS
# Raw results are kept in $OUT (default: a temporary file) for comparisons:
#   OUT=old.txt bench/run.sh; …change…; OUT=new.txt bench/run.sh; benchstat old.txt new.txt
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-$(mktemp)}
echo "# $(go version), $(nproc) cores, $(date -u +%Y-%m-%d)" >&2
go test -run='^$' -bench="${BENCH:-.}" -benchmem -count="${COUNT:-6}" -timeout=30m \
  . ./internal/envelope ./internal/jtext ./internal/wire | tee "$out" | grep -E '^(Benchmark|ok|FAIL)' >&2
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$out"
