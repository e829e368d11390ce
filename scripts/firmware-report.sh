#!/usr/bin/env bash
# Prints the firmware's memory and instruction-count report as Markdown (the tables of
# examples/firmware/README.md), measured now:
#   scripts/firmware-report.sh > report.md
# For each target (Cortex-M4F, Cortex-M7, RISC-V rv32imac; Cortex-M3 with the int8 networks
# only) it builds and runs in QEMU the image with every network (instruction counts per
# inference and per step, peak stack) and one image per network plus one with no network
# (flash and RAM of each network alone). On
# Cortex-M it also profiles the both-network image's `forward_into` exactly from QEMU's
# execution log (scripts/profile-layers.sh; ~3 minutes per target, most of the run time).
# Same tools and build directories as scripts/firmware.sh (FW_TARGET_ROOT). Progress goes to
# stderr.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/firmware.sh"
fw_check_tools
for tool in llvm-nm-22 llvm-objdump-22 llvm-symbolizer-22; do
    command -v "$tool" >/dev/null ||
        { echo "firmware-report: missing $tool: $INSTALL_HINT apt-get install rust-web-llvm" >&2; exit 2; }
done

TARGETS=(m4 m7 rv m3)
FLOAT_TARGETS=(m4 m7 rv) # m3 (no FPU) runs the int8 networks only
declare -A TARGET_NAME=([m4]="Cortex-M4F" [m7]="Cortex-M7" [rv]="RV32IMAC (soft float)" [m3]="Cortex-M3 (no FPU, no DSP)")
declare -A MACHINE=([m4]=mps2-an386 [m7]=mps2-an500 [m3]=mps2-an385)
declare -A NET_TYPE=([digits]=DigitsNet [cifar10]=Cifar10Net [resnet8]=ResNet8 [digits-int8]=DigitsInt8 [cifar10-int8]=Cifar10Int8 [resnet8-int8]=ResNet8Int8)
FLOAT_NETS=(digits cifar10 resnet8)
INT8_NETS=(digits-int8 cifar10-int8 resnet8-int8)
# image suffix -> cargo features
declare -A IMAGE_FEATURES=([none]="panic-exit" [digits]="panic-exit,digits" [cifar10]="panic-exit,cifar" [resnet8]="panic-exit,resnet8"
    [digits-int8]="panic-exit,digits-int8" [cifar10-int8]="panic-exit,cifar-int8" [resnet8-int8]="panic-exit,resnet8-int8")
# The images of a target besides its full one (`all`).
images_of() { if [[ $1 == m3 ]]; then echo none "${INT8_NETS[@]}"; else echo none "${FLOAT_NETS[@]}" "${INT8_NETS[@]}"; fi; }
FLASH_BUDGET=$((1024 * 1024))
RAM_BUDGET=$((256 * 1024))
logs=$FW_TARGET_ROOT/fw-logs
images=$FW_TARGET_ROOT/fw-images

for t in "${TARGETS[@]}"; do
    fw_variant "$t"
    echo "firmware-report: $FW_NAME: building and running $(($(images_of "$t" | wc -w) + 1)) images" >&2
    fw_build "$t" "$t" >&2
    fw_run "$t" "$t" >/dev/null || { echo "firmware-report: $t: the firmware failed, see $logs/$t.log" >&2; exit 1; }
    for net in $(images_of "$t"); do
        fw_build "$t" "$t-$net" --no-default-features --features "${IMAGE_FEATURES[$net]}" >&2
        fw_run "$t" "$t-$net" >/dev/null || { echo "firmware-report: $t-$net failed, see $logs/$t-$net.log" >&2; exit 1; }
    done
done

# Exact per-step counts of the unprobed `forward_into`, from QEMU's execution log (Cortex-M
# only: on soft-float RISC-V the steps' time is in compiler-builtins calls, which the log
# would have to follow; there `minstret` is exact anyway). The float networks only; FW_EXACT=0
# skips it (n/a in the tables).
for t in m4 m7; do
    for net in "${FLOAT_NETS[@]}"; do
        if [[ ${FW_EXACT:-1} == 0 ]]; then
            echo "@exact failed" >"$logs/$t-$net.exact"
            continue
        fi
        echo "firmware-report: $t: exact per-step profile of $net (QEMU exec log)" >&2
        "$FW_REPO/scripts/profile-layers.sh" "$images/$t.elf" "${NET_TYPE[$net]}" "${MACHINE[$t]}" \
            >"$logs/$t-$net.exact" || echo "@exact failed" >>"$logs/$t-$net.exact"
    done
done

# sizes IMAGE: "flash ram" in bytes. Flash: what a part keeps in non-volatile memory (vector
# table, code, constants, and the initial values of .data); RAM: .data + .bss (+ .uninit).
sizes() {
    llvm-size-22 -A "$images/$1.elf" | awk '
        $1 ~ /^\.(vector_table|text|init|rodata|gnu\.sgstubs)/ { flash += $2 }
        $1 == ".data" { flash += $2; ram += $2 }
        $1 == ".bss" || $1 == ".uninit" { ram += $2 }
        END { print flash + 0, ram + 0 }'
}

# symbols IMAGE PATTERN [TYPES]: total size of the symbols whose demangled name contains
# PATTERN (and whose nm type letter is in TYPES, default any).
symbols() {
    local size total=0
    for size in $(llvm-nm-22 -S -C "$images/$1.elf" | awk -v pat="$2" -v types="${3:-}" '
        NF >= 4 && index($0, pat) && (types == "" || index(types, $3)) { print $2 }'); do
        total=$((total + 16#$size))
    done
    echo "$total"
}

# weights IMAGE: bytes of the `trained()` statics, which must be read-only (nm r/R): exits if
# one is not (weights copied to RAM would be a regression).
weights() {
    local all ro
    all=$(symbols "$1" "::trained::TRAINED")
    ro=$(symbols "$1" "::trained::TRAINED" rR)
    if ((all != ro)); then
        echo "firmware-report: $1: trained() weights outside read-only sections" >&2
        exit 1
    fi
    echo "$all"
}

# field LOG TAG NET KEY: the value of KEY= on the first `@TAG net=NET` line of LOG.
field() {
    awk -v tag="@$2" -v net="net=$3" -v key="$4" '
        $1 == tag && $2 == net { for (i = 3; i <= NF; i++) if (index($i, key "=") == 1) { print substr($i, length(key) + 2); exit } }' "$logs/$1.log"
}

# mean_infer LOG NET: mean of the `@infer` instruction counts.
mean_infer() {
    awk -v net="net=$2" '$1 == "@infer" && $2 == net { split($4, kv, "="); s += kv[2]; c++ } END { printf "%d", s / c }' "$logs/$1.log"
}

# Thousands separators.
n() { awk -v x="$1" 'BEGIN { s = sprintf("%d", x); o = ""; while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) } print s o }'; }
kib() { awk -v x="$1" 'BEGIN { printf "%.1f KiB", x / 1024 }'; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "–" }'; }
yes_no() { if (($1 <= FLASH_BUDGET && $2 <= RAM_BUDGET)); then echo yes; else echo no; fi; }
# cell INSTRUCTIONS MACS: "1,234 (5.67)" or "1,234".
cell() { if (($2)); then echo "$(n "$1") ($(per "$1" "$2"))"; else n "$1"; fi; }

toolchain=$("${FW_CARGO[@]}" --version)
echo "<!-- generated by scripts/firmware-report.sh; $toolchain; $(qemu-system-arm --version | head -1) -->"
echo
echo "### Memory"
echo
echo "Per image (\`llvm-size-22 -A\`, \`llvm-nm-22 -S\`): flash = \`.vector_table\` + \`.text\` +"
echo "\`.rodata\` + \`.data\`; static RAM = \`.data\` + \`.bss\`. Weights: the \`trained()\` statics (checked"
echo "to be in \`.rodata\`); code: the firmware's \`infer::<Net>\`, i.e. \`forward_into\` with every"
echo "step inlined, and the \`staticnn_core\` functions it calls (\`tile_apart\`: the few tiles"
echo "the Cortex-M blocks leave, computed by the portable kernel); test data: the embedded inputs and PyTorch's outputs (harness, not needed in a"
echo "product; the rest of the flash is the harness too: printing, timing, comparison). Peak stack:"
echo "deepest painted word below the top of the stack during \`forward_into\` (includes \`main\`)."
echo "RAM needed = static RAM + peak stack. Budget: 1 MiB flash, 256 KiB RAM."
echo
echo "| target | image | flash | of which weights | of which \`forward_into\` code | of which test data | static RAM | of which scratch | peak stack | RAM needed | fits |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
for t in "${TARGETS[@]}"; do
    for image in $(images_of "$t") all; do
        file=$t-$image
        [[ $image == all ]] && file=$t
        read -r flash ram < <(sizes "$file")
        w=$(weights "$file")
        # `infer::<Net>` (every step inlined) and what it calls out of line (`tile_apart`).
        code_bytes=$(($(symbols "$file" "app::infer::<" tT) + $(symbols "$file" "app::infer_int8::<" tT) + $(symbols "$file" "staticnn_core::" tT)))
        data_bytes=$(symbols "$file" "staticnn_firmware_nets::data::")
        scratch=$(symbols "$file" "app::main::SCRATCH")
        stack=0
        for net in "${FLOAT_NETS[@]}" "${INT8_NETS[@]}"; do
            [[ $image == "$net" || $image == all ]] || continue
            s=$(field "$file" stack "$net" total)
            [[ -n $s ]] && ((s > stack)) && stack=$s
        done
        if [[ $image == none ]]; then
            stack_cell="–" label="no network (runtime, printing)"
        else
            stack_cell="$(n "$stack") B" label=$image
            [[ $image == all ]] && label="all networks"
        fi
        need=$((ram + stack))
        echo "| ${TARGET_NAME[$t]} | $label | $(kib "$flash") | $(kib "$w") | $(kib "$code_bytes") | $(kib "$data_bytes") | $(kib "$ram") | $(kib "$scratch") | $stack_cell | $(kib "$need") | $(yes_no "$flash" "$need") |"
    done
done

echo
echo "### Instructions per inference"
echo
echo "\`forward_into\` under QEMU \`-icount shift=0\`, in the image with every network; mean over the"
echo "network's inputs (Cortex-M: SysTick, resolution 40 instructions; RISC-V: \`minstret\`, exact)."
echo "Instructions, not cycles: QEMU has no timing model."
echo
echo "| network | MACs | ${TARGET_NAME[m4]} | per MAC | ${TARGET_NAME[m7]} | per MAC | ${TARGET_NAME[rv]} | per MAC |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for net in "${FLOAT_NETS[@]}"; do
    macs=$(field m4 net "$net" macs)
    row="| $net | $(n "$macs")"
    for t in "${FLOAT_TARGETS[@]}"; do
        mean=$(mean_infer "$t" "$net")
        row+=" | $(n "$mean") | $(per "$mean" "$macs")"
    done
    echo "$row |"
done

echo
echo "The int8 networks: \`forward_int8_into\` (integers only, the input quantized before)."
echo
echo "| network | MACs | ${TARGET_NAME[m4]} | per MAC | ${TARGET_NAME[m7]} | per MAC | ${TARGET_NAME[rv]} | per MAC | ${TARGET_NAME[m3]} | per MAC |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for net in "${INT8_NETS[@]}"; do
    macs=$(field m4 net "$net" macs)
    row="| $net | $(n "$macs")"
    for t in "${TARGETS[@]}"; do
        mean=$(mean_infer "$t" "$net")
        row+=" | $(n "$mean") | $(per "$mean" "$macs")"
    done
    echo "$row |"
done

for net in "${INT8_NETS[@]}"; do
    echo
    echo "### Per step: $net"
    echo
    echo "Instructions (per MAC) of each step of \`${NET_TYPE[$net]}::STEPS\` (the \`f32\`-io"
    echo "\`forward_into_probed\`: quantize, the integer steps, dequantize), read by the probe (mean"
    echo "over the inputs; Cortex-M: SysTick, resolution 40; RISC-V: \`minstret\`, exact)."
    echo
    echo "| step | layers | runs | MACs | ${TARGET_NAME[m4]} | ${TARGET_NAME[m7]} | ${TARGET_NAME[rv]} | ${TARGET_NAME[m3]} |"
    echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |"
    steps=$(field m4 net "$net" steps)
    for ((k = 0; k < steps; k++)); do
        line=$(awk -v net="net=$net" -v s="step=$k" '$1 == "@step" && $2 == net && $3 == s' "$logs/m4.log")
        layers=$(awk -F ' ; ' '{ sub(/^layers=/, "", $2); print $2 }' <<<"$line")
        name=$(awk -F ' ; ' '{ sub(/^name=/, "", $3); print $3 }' <<<"$line")
        macs=$(sed 's/.* macs=\([0-9]*\).*/\1/' <<<"$line")
        row="| $k | $layers | $name | $( ((macs)) && n "$macs" || echo –)"
        for t in "${TARGETS[@]}"; do
            instr=$(awk -v net="net=$net" -v s="step=$k" '$1 == "@step" && $2 == net && $3 == s { split($5, kv, "="); print kv[2] }' "$logs/$t.log")
            row+=" | $(cell "$instr" "$macs")"
        done
        echo "$row |"
    done
    macs=$(field m4 net "$net" macs)
    row="| | **all steps** | | $(n "$macs")"
    for t in "${TARGETS[@]}"; do
        row+=" | $(cell "$(field "$t" probed "$net" instructions)" "$macs")"
    done
    echo "$row |"
done

for net in "${FLOAT_NETS[@]}"; do
    echo
    echo "### Per step: $net"
    echo
    echo "Instructions (per MAC) of each step of \`${NET_TYPE[$net]}::STEPS\`. **probed**: the"
    echo "instruction counter read in the probe of \`forward_into_probed\` (mean over the inputs;"
    echo "Cortex-M: SysTick, resolution 40; RISC-V: \`minstret\`, exact). **exact**: the plain"
    echo "\`forward_into\` (no probe), each executed instruction attributed to its step by debug info"
    echo "from QEMU's execution log (\`scripts/profile-layers.sh\`, Cortex-M only; a call out of"
    echo "\`forward_into\` counts toward the step of its call site). They differ because the"
    echo "optimiser compiles the steps a little differently around the probes."
    echo
    echo "| step | layers | runs | MACs | ${TARGET_NAME[m4]} exact | probed | ${TARGET_NAME[m7]} exact | probed | ${TARGET_NAME[rv]} probed |"
    echo "| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |"
    steps=$(field m4 net "$net" steps)
    declare -A exact_sum=()
    for ((k = 0; k < steps; k++)); do
        line=$(awk -v net="net=$net" -v s="step=$k" '$1 == "@step" && $2 == net && $3 == s' "$logs/m4.log")
        layers=$(awk -F ' ; ' '{ sub(/^layers=/, "", $2); print $2 }' <<<"$line")
        name=$(awk -F ' ; ' '{ sub(/^name=/, "", $3); print $3 }' <<<"$line")
        macs=$(sed 's/.* macs=\([0-9]*\).*/\1/' <<<"$line")
        row="| $k | $layers | $name | $( ((macs)) && n "$macs" || echo –)"
        for t in "${FLOAT_TARGETS[@]}"; do
            if [[ $t != rv ]]; then
                if grep -q '^@exact failed' "$logs/$t-$net.exact"; then
                    row+=" | n/a"
                else
                    exact=$(awk -v s="step=$k" '$1 == "@exact" && $2 == s { split($3, kv, "="); print kv[2] }' "$logs/$t-$net.exact")
                    exact_sum[$t]=$((${exact_sum[$t]:-0} + exact))
                    row+=" | $(cell "$exact" "$macs")"
                fi
            fi
            instr=$(awk -v net="net=$net" -v s="step=$k" '$1 == "@step" && $2 == net && $3 == s { split($5, kv, "="); print kv[2] }' "$logs/$t.log")
            row+=" | $(cell "$instr" "$macs")"
        done
        echo "$row |"
    done
    macs=$(field m4 net "$net" macs)
    row="| | **all steps** | | $(n "$macs")"
    row2="| | **\`forward_into\`, counter** | | $(n "$macs")"
    for t in "${FLOAT_TARGETS[@]}"; do
        mean=$(mean_infer "$t" "$net")
        probed=$(field "$t" probed "$net" instructions)
        if [[ $t != rv ]]; then
            if grep -q '^@exact failed' "$logs/$t-$net.exact"; then
                row+=" | n/a"
            else
                row+=" | $(cell "${exact_sum[$t]}" "$macs")"
            fi
            row2+=" | $(cell "$mean" "$macs") | "
        else
            row2+=" | $(cell "$mean" "$macs")"
        fi
        row+=" | $(cell "$probed" "$macs")"
    done
    echo "$row |"
    echo "$row2 |"
    unset exact_sum
done
