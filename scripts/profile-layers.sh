#!/usr/bin/env bash
# Exact instructions per step of `forward_into`, as the firmware really runs it (every step
# inlined into one function, no probe), from QEMU's execution log instead of a counter between
# steps:
#   scripts/profile-layers.sh IMAGE.elf NET-TYPE QEMU-MACHINE
#   e.g. scripts/profile-layers.sh target/firmware/fw-images/m4.elf Cifar10Net mps2-an386
# For Cortex-M images (qemu-system-arm). Prints one `@exact` line per step, in execution order
# (the order of the network's `STEPS` and the firmware's `@step` lines), summed over every call
# and divided by the number of calls. Exits 3 when more than 1% of the instructions cannot be
# attributed to a step (optimised code that lost its inlining records). Two steps whose main
# calls are the same monomorphised function would share one key. Checked (on an earlier
# build) against QEMU's one-instruction-per-block log on the digits network: 697,251 vs
# 696,953 instructions per call (+0.04%: a few blocks are logged but left early).
#
# What it adds to the firmware's own per-step counts (`forward_into_probed`, reading the
# counter between steps): on Cortex-M the counter has a resolution of 40 instructions, and the
# optimiser compiles the steps slightly differently around the probes (a few % per step); this
# measures the unprobed code, exactly.
#
# How: every instruction of the firmware's `infer::<NET-TYPE>` is mapped, with its debug info,
# to the step whose main layer call (`Layer::forward`, `Fusable::forward_fused` or
# `Conv::forward_pooled`) it was inlined from; QEMU logs each translation block it runs inside
# that function (`-d in_asm,exec,nochain -dfilter`); the log streams through a pipe (about 180
# bytes per block: ~1.7 GB for CIFAR-10, never on disk) into awk, which adds each block's
# instructions to its step. Code outside the function (calls into compiler-builtins, e.g.
# memset) is not logged: on hard-float Cortex-M the steps call nothing in their loops.
set -euo pipefail
elf=${1:?usage: profile-layers.sh IMAGE.elf NET-TYPE QEMU-MACHINE}
ty=${2:?net type, e.g. Cifar10Net}
machine=${3:?QEMU machine, e.g. mps2-an386}
for tool in llvm-nm-22 llvm-objdump-22 llvm-symbolizer-22 qemu-system-arm awk mkfifo; do
    command -v "$tool" >/dev/null || { echo "profile-layers: missing $tool" >&2; exit 2; }
done

read -r start size < <(llvm-nm-22 -S -C "$elf" |
    awk -v sym="app::infer::<staticnn_firmware_nets::$ty>" 'index($0, sym) { print $1, $2; exit }')
[[ -n ${start:-} ]] || { echo "profile-layers: no infer::<$ty> in $elf" >&2; exit 1; }
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
            if ($i ~ />::forward_into$/) {
                # The nearest frame above forward_into that is a layer call names the step.
                for (j = i - 1; j >= 1; j--) if ($j ~ /((Layer|Fusable)<.*>>::forward(_fused)?|>::forward_pooled)(::<.*>)?$/) { key = $j; break }
                break
            }
        }
        gsub(/ /, "_", key)
        sub(/^0x0*/, "", a)
        print a, key
    }' "$work/frames" >"$work/map"

mkfifo "$work/log"
qemu-system-arm -M "$machine" -nographic -icount shift=0 -semihosting-config enable=on,target=native \
    -d in_asm,exec,nochain -dfilter "0x$start+0x$size" -D "$work/log" -kernel "$elf" >/dev/null &
qemu=$!
awk -v map="$work/map" -v entry="$(sed 's/^0*//' <<<"$start")" '
    BEGIN { while ((getline line < map) > 0) { split(line, f, " "); layer[f[1]] = f[2] } cur = "pre"; steps = 0 }
    /^IN: / { inblk = 1; n = 0; pc = ""; next }
    inblk && /^0x[0-9a-f]+:/ { if (pc == "") { pc = substr($1, 3, length($1) - 3); sub(/^0*/, "", pc) } n++; next }
    inblk { if (pc != "") { pending = pc; pending_n = n } inblk = 0 }
    /^Trace / {
        # A translation is logged (IN:) just before its first run; its host address ($3)
        # names it from then on (QEMU may translate a pc more than once, e.g. shorter
        # blocks under -icount).
        split($4, f, "/"); p = f[2]; sub(/^0*/, "", p); host = $3
        if (pending != "" && p == pending) { size[host] = pending_n; pending = "" }
        if (p == entry) calls++
        k = layer[p]
        if (k != "" && k != "-") { if (!(k in idx)) { idx[k] = steps; order[steps++] = k } cur = idx[k] }
        else unknown += size[host] # glue: counted with the layer running (or before the first)
        count[cur] += size[host]; total += size[host]
    }
    END {
        if (calls == 0) { print "profile-layers: infer never ran" > "/dev/stderr"; exit 1 }
        for (s = 0; s < steps; s++) printf "@exact step=%d instructions=%d\n", s, count[s] / calls
        printf "@exact glue instructions=%d\n", count["pre"] / calls
        printf "@exact unattributed instructions=%d\n", unknown / calls
        printf "@exact total instructions=%d calls=%d\n", total / calls, calls
        # Optimised code can lose its inlining records (merged code is "line 0"): then the
        # split between steps cannot be trusted.
        if (unknown > total / 100) {
            printf "profile-layers: %d of %d instructions have no layer in the debug info; no per-step split\n", unknown, total > "/dev/stderr"
            exit 3
        }
    }' <"$work/log" || status=$?
wait "$qemu" || true
exit "${status:-0}"
