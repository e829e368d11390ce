#!/usr/bin/env bash
# Exact instructions and estimated Cortex-M4 cycles per step of `forward_into`, as the
# firmware really runs it (every step inlined into one function, no probe), from QEMU's
# execution log instead of a counter between steps:
#   scripts/profile-layers.sh IMAGE.elf NET-TYPE QEMU-MACHINE
#   e.g. scripts/profile-layers.sh target/firmware/fw-images/m4.elf Cifar10Net mps2-an386
# For Cortex-M images (qemu-system-arm). Prints one `@exact step=K instructions=N cycles=C`
# line per step, in execution order (the order of the network's `STEPS` and the firmware's
# `@step` lines), summed over every call and divided by the number of calls, then the glue
# before the first step, the part spent in called functions, and the total. Cycles are
# tools/m4_cycles.py's estimate from the Cortex-M4 TRM's timings (meaningful for an M4 image
# only; on an M7 image use the instructions). PROFILE_MIX=1 adds `@mix` lines (instructions
# and cycles by kind of instruction). Exits 3 when more than 1% of the instructions cannot be
# attributed to a step (optimised code that lost its inlining records) or no step was found
# (`forward_into` not inlined into `infer`, as for ResNet-8: the total is still printed, and a
# tail call out of the function is followed to its return). Two steps whose main
# calls are the same monomorphised function would share one key. Checked (on an earlier
# build) against QEMU's one-instruction-per-block log on the digits network: 697,251 vs
# 696,953 instructions per call (+0.04%: a few blocks are logged but left early).
#
# What it adds to the firmware's own per-step counts (`forward_into_probed`, reading the
# counter between steps): on Cortex-M the counter has a resolution of 40 instructions, and the
# optimiser compiles the steps slightly differently around the probes (a few % per step); this
# measures the unprobed code, exactly, and estimates its cycles.
#
# How: every instruction of the firmware's `infer::<NET-TYPE>` is mapped, with its debug info,
# to the step whose main layer call (`Layer::forward`, `Fusable::forward_fused` or
# `Conv::forward_pooled`) it was inlined from; QEMU logs each translation block it runs inside
# that function and the functions it calls (`-d in_asm,exec,nochain -dfilter` with their
# ranges); the log streams through a pipe (about 180 bytes per block: ~1.7 GB for CIFAR-10,
# never on disk) into tools/m4_cycles.py, which adds each block's instructions and cycles to
# the step running (a called function's to the step that called it).
set -euo pipefail
elf=${1:?usage: profile-layers.sh IMAGE.elf NET-TYPE QEMU-MACHINE}
ty=${2:?net type, e.g. Cifar10Net}
machine=${3:?QEMU machine, e.g. mps2-an386}
tools=$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)
for tool in llvm-nm-22 llvm-objdump-22 llvm-symbolizer-22 qemu-system-arm awk mkfifo python3; do
    command -v "$tool" >/dev/null || { echo "profile-layers: missing $tool" >&2; exit 2; }
done

# PROFILE_FN=infer_int8 profiles an int8 network's `forward_int8_into` instead;
# PROFILE_FN=infer_dscnn_block (not generic: NET-TYPE is ignored) the DS-CNN block of an image
# built with the `dscnn-int8` feature.
fn=${PROFILE_FN:-infer}
sym="app::$fn::<staticnn_firmware_nets::$ty>"
[[ $fn == infer_dscnn_block ]] && sym="app::$fn"
read -r start size < <(llvm-nm-22 -S -C "$elf" |
    awk -v sym="$sym" 'index($0, sym) { print $1, $2; exit }')
[[ -n ${start:-} ]] || { echo "profile-layers: no $fn::<$ty> in $elf" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Address -> step key (the frame that the step's code was inlined through) or "-" (glue).
llvm-objdump-22 -d --no-show-raw-insn --start-address=$((16#$start)) \
    --stop-address=$((16#$start + 16#$size)) "$elf" |
    awk '/^ *[0-9a-f]+:/ { a = $1; sub(/:$/, "", a); print "0x" a }' >"$work/addrs"
llvm-symbolizer-22 --inlining -C -e "$elf" <"$work/addrs" >"$work/frames"
awk -v addrs="$work/addrs" '
    BEGIN { while ((getline line < addrs) > 0) addr[++n] = line; RS = ""; FS = "\n" }
    {
        a = addr[NR]
        key = "-"
        for (i = 1; i <= NF; i++) {
            if ($i ~ />::forward(_int8)?_into$/) {
                # The nearest frame above forward_into that is a layer call names the step.
                for (j = i - 1; j >= 1; j--) if ($j ~ /((Layer|Fusable)<.*>>::forward(_fused)?|>::forward_pooled|>::forward_int8)(::<.*>)?$/) { key = $j; break }
                break
            }
        }
        gsub(/ /, "_", key)
        sub(/^0x0*/, "", a)
        print a, key
    }' "$work/frames" >"$work/map"

# The function and everything it calls (tile_apart, memset, ...): their blocks count toward the
# step running when they are called (only while inside the function: tools/m4_cycles.py).
ranges=$(python3 "$tools/m4_cycles.py" "$elf" --function "0x$start+0x$size" --print-ranges)
mkfifo "$work/log"
qemu-system-arm -M "$machine" -nographic -icount shift=0 -semihosting-config enable=on,target=native \
    -d in_asm,exec,nochain -dfilter "$ranges" -D "$work/log" -kernel "$elf" >/dev/null &
qemu=$!
python3 "$tools/m4_cycles.py" "$elf" --function "0x$start+0x$size" --map "$work/map" \
    ${PROFILE_MIX:+--mix} <"$work/log" || status=$?
wait "$qemu" || true
exit "${status:-0}"
