#!/usr/bin/env bash
# Lists the calls into core's panic machinery that a firmware image contains, each with the
# chain of (inlined) functions and source lines it comes from, so a failing `no-panic` link
# can be traced to the code that may panic. Use on an image built with the default
# `panic-exit` feature (it links; debug info is on in the release profile):
#   scripts/find-panics.sh path/to/staticnn-firmware
# Prints nothing but a summary line when no panic is reachable.
set -euo pipefail
elf=${1:?usage: find-panics.sh FIRMWARE.elf}
for tool in llvm-objdump-22 llvm-symbolizer-22; do
    command -v "$tool" >/dev/null || { echo "find-panics: missing $tool (apt-get install rust-web-llvm or llvm-22)" >&2; exit 2; }
done
# Functions that start a panic: core::panicking::*, slice index failures, unwrap/expect.
entry='core::panicking::|core::slice::index::slice_|core::result::unwrap_failed|core::option::(unwrap|expect)_failed|core::str::slice_error_fail'
dis=$(llvm-objdump-22 -d --no-show-raw-insn -C "$elf")
# Calls and tail calls (Arm: bl/b/b.w; RISC-V: jal/j/tail/call) to such a function, made from
# a function that is not itself one of them (those only forward to the handler).
calls=$(awk -v entry="$entry" '
    /^[0-9a-f]+ <.*>:$/ { fn = $0; sub(/^[0-9a-f]+ </, "", fn); sub(/>:$/, "", fn); next }
    /\t(bl|b|b\.w|jal|j|tail|call)\t/ && $0 ~ entry && fn !~ entry && fn !~ /rust_begin_unwind|panic_info|PanicInfo/ {
        addr = $1; sub(/:$/, "", addr); print addr "\t" fn }
' <<<"$dis")
if [[ -z $calls ]]; then
    echo "find-panics: no call into core's panic functions from non-panic code in $elf"
    exit 0
fi
n=0
while IFS=$'\t' read -r addr fn; do
    n=$((n + 1))
    target=$(grep -m1 "^ *$addr:" <<<"$dis" | sed 's/.*<\(.*\)>.*/\1/')
    echo "== call at 0x$addr in $fn -> $target"
    llvm-symbolizer-22 --inlining --pretty-print -C -e "$elf" "0x$addr" | sed 's/^/   /'
done <<<"$calls"
echo "find-panics: $n call(s) into panic functions"
