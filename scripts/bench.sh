#!/usr/bin/env bash
# Batch-1 inference benchmarks of the four networks plus the single-core FMA peak, built for
# this CPU (-C target-cpu=native), ending with one table: network, MACs, median time per
# inference, GFLOP/s and % of the measured FMA peak. Extra arguments go to criterion (for
# example a filter: `scripts/bench.sh LeNet`).
set -euo pipefail
cd "$(dirname "$0")/.."
RUSTFLAGS="${RUSTFLAGS:-} -C target-cpu=native" exec cargo bench --bench inference -- "$@"
