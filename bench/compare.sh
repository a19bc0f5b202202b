#!/usr/bin/env bash
# Compares benchmarks of two git revisions, interleaved so that a busy or
# drifting machine weighs on both alike:
#   bench/compare.sh OLD NEW                  # e.g. bench/compare.sh main perf
#   BENCH=SDKOwnCPU N=20 bench/compare.sh main HEAD
#   PKG=./internal/wire BENCH=Decode bench/compare.sh main HEAD
# It builds each revision's test binary (from a git archive of it in a
# temporary directory), runs them alternately N times (default 10) with
# -test.count 1, and prints the
# benchstat table of old.txt and new.txt (kept in $OUT, default a temporary
# directory). For the root package it also measures the CPU time (user +
# sys) the process spends per call in BenchmarkSDKOwnCPU/bare and /sdk: CPU
# time is what another process's load disturbs least. CPU rounds (default 5,
# CPUN calls each, default 200000; CPUROUNDS=0 skips them) are interleaved
# too; the median is shown.
set -euo pipefail
[ $# -eq 2 ] || { sed -n '2,15p' "$0" >&2; exit 2; }
cd "$(dirname "$0")/.."
old_rev=$1 new_rev=$2
pkg=${PKG:-.} bench=${BENCH:-SDKOwnCPU} n=${N:-10} cpu=${CPU:-1}
out=${OUT:-$(mktemp -d)}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

build() { # rev name
  mkdir "$tmp/$2"
  git archive "$1" | tar -x -C "$tmp/$2"
  (cd "$tmp/$2" && go test -c -o "$tmp/$2.test" "$pkg")
}
build "$old_rev" old
build "$new_rev" new
echo "# $(go version), $(nproc) cores, $(date -u +%Y-%m-%dT%H:%MZ); old $old_rev ($(git rev-parse --short "$old_rev")), new $new_rev ($(git rev-parse --short "$new_rev"))" | tee "$out/header.txt" >&2
: >"$out/old.txt"
: >"$out/new.txt"
for i in $(seq "$n"); do
  for v in old new; do
    "$tmp/$v.test" -test.run '^$' -test.bench "$bench" -test.benchmem -test.count 1 -test.cpu "$cpu" >>"$out/$v.txt"
  done
  echo "round $i/$n done" >&2
done
go run golang.org/x/perf/cmd/benchstat@v0.0.0-20260908200009-22c9c6c9d4da "$out/old.txt" "$out/new.txt" | tee "$out/benchstat.txt"

[ "$pkg" = . ] && [ "${CPUROUNDS:-5}" != 0 ] || exit 0
# CPU time per call: (user + sys of a run of CPUN calls − that of a run of
# none) / CPUN, for bare and sdk, interleaved.
rounds=${CPUROUNDS:-5} calls=${CPUN:-200000}
cputime() { # binary bench-regexp benchtime → seconds of user+sys
  /usr/bin/time -f '%U %S' -o "$tmp/t" "$1" -test.run '^$' -test.bench "$2" -test.benchtime "$3" -test.cpu 1 >/dev/null
  awk '{print $1 + $2}' "$tmp/t"
}
for i in $(seq "$rounds"); do
  for v in old new; do
    base=$(cputime "$tmp/$v.test" '^$' 1x)
    for s in bare sdk; do
      t=$(cputime "$tmp/$v.test" "^BenchmarkSDKOwnCPU/$s\$" "${calls}x")
      echo "$v $s $(awk -v t="$t" -v b="$base" -v n="$calls" 'BEGIN{printf "%.3f", (t - b) / n * 1e6}')" >>"$out/cpu.txt"
    done
  done
done
echo
echo "CPU time per call, user+sys, µs (median of $rounds rounds of $calls calls):"
median() { # version bench
  awk -v v="$1" -v s="$2" '$1 == v && $2 == s {print $3}' "$out/cpu.txt" | sort -n |
    awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'
}
ob=$(median old bare) os=$(median old sdk) nb=$(median new bare) ns=$(median new sdk)
awk -v ob="$ob" -v os="$os" -v nb="$nb" -v ns="$ns" 'BEGIN {
  printf "%-12s %8s %8s\n", "", "old", "new"
  printf "%-12s %8.2f %8.2f\n", "bare", ob, nb
  printf "%-12s %8.2f %8.2f\n", "sdk", os, ns
  printf "%-12s %8.2f %8.2f\n", "sdk - bare", os - ob, ns - nb
}' | tee "$out/cpu-summary.txt"
echo "raw results in $out" >&2
