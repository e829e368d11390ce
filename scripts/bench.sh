#!/usr/bin/env bash
# The host benchmark: staticnn's default build (no target-cpu: kernels chosen at run time for
# this CPU), its native build (-C target-cpu=native) and onnxruntime single-threaded, on the
# same networks, weights and inputs, with the 8- and 16-lane FMA peaks and the L2 bandwidth
# measured in the same run; prints one table (tools/bench_table.py says how it measures).
#
#   scripts/bench.sh                 # 3 rounds
#   scripts/bench.sh --rounds 5
#   scripts/bench.sh --quick         # 1 short round
#   scripts/bench.sh --no-onnx       # staticnn only (no Python packages needed but python3)
#
# Only the default build's criterion run:  cargo bench --bench inference [-- FILTER]
# Time per layer at every level:           cargo bench --bench steps [-- NET]
set -euo pipefail
cd "$(dirname "$0")/.."
exec python3 tools/bench_table.py "$@"
