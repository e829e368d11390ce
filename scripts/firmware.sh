#!/usr/bin/env bash
# Builds the firmware (examples/firmware) for every target, runs each image in QEMU and
# requires exit status 0 from each: the firmware exits 0 only if every output matched the
# host's (examples/firmware/nets/src/expected.rs). Also requires the `no-panic` build (whose
# panic handler calls a symbol that does not exist) to link, and runs it.
#
#   scripts/firmware.sh                 # all: m4 m4-nopanic m4-mismatch m7 rv m3
#   scripts/firmware.sh m4 rv           # some of them
#
# Variants: m4 = Cortex-M4F on QEMU mps2-an386, m4-nopanic = the same with the no-panic
# handler, m4-mismatch = the same with one output spoiled (must FAIL with exit status 1:
# checks that a mismatch is caught), m7 = Cortex-M7 (target-cpu=cortex-m7) on mps2-an500,
# rv = riscv32imac (soft float) on QEMU virt, m3 = Cortex-M3 (thumbv7m-none-eabi: no FPU, no
# DSP extension) on mps2-an385 with the int8 networks only.
#
# Toolchain: Debian's Rust, which builds `core` from rust-src (`-Z build-std`), as
# `cargo +debian` when rustup is installed (scripts/install-embedded.sh links it), else the
# plain `cargo` on PATH. With FW_RUSTUP_TARGETS=1 it uses rustup's default toolchain with the
# targets added (`rustup target add thumbv7em-none-eabihf riscv32imac-unknown-none-elf`)
# instead: no build-std (not verified on this project's machines: they cannot download
# targets).
#
# Build directories: $FW_TARGET_ROOT/fw-m4, fw-m7, fw-rv (default: target/firmware in the
# repository), one per target so that switching targets does not rebuild `core`. Images and
# QEMU logs go to $FW_TARGET_ROOT/fw-images and fw-logs.
#
# Sourced (`source scripts/firmware.sh`), it only defines its functions (firmware-report.sh).
set -euo pipefail

FW_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FW_DIR=$FW_REPO/examples/firmware
FW_TARGET_ROOT=${FW_TARGET_ROOT:-${CARGO_TARGET_DIR:-$FW_REPO/target}/firmware}
[[ $FW_TARGET_ROOT == /* ]] || FW_TARGET_ROOT=$PWD/$FW_TARGET_ROOT
FW_QEMU_TIMEOUT=${FW_QEMU_TIMEOUT:-600} # seconds per QEMU run (each takes ~10 s here)
FW_ALL_VARIANTS=(m4 m4-nopanic m4-mismatch m7 rv m3)
INSTALL_HINT="run 'sudo scripts/install-embedded.sh' (Debian 12), or install it by hand:"

# Settings that would override the firmware's own .cargo/config.toml or leak from an outer
# cargo (tests/firmware.rs runs this script under `cargo test`).
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_BUILD_RUSTFLAGS CARGO_BUILD_TARGET CARGO_TARGET_DIR \
    CARGO_BUILD_TARGET_DIR RUSTC RUSTC_WRAPPER RUSTC_WORKSPACE_WRAPPER 2>/dev/null || true

fw_log() { echo "firmware.sh: $*"; }
# Seconds since $1 (an $EPOCHREALTIME), with one decimal.
fw_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

# Sets FW_CARGO (the cargo command) and checks every tool; on a missing one, prints what is
# missing and how to install it, and exits 2.
fw_check_tools() {
    local missing=() sysroot
    if [[ ${FW_RUSTUP_TARGETS:-} == 1 ]]; then
        FW_CARGO=(cargo)
        command -v rustup >/dev/null || missing+=("rustup (FW_RUSTUP_TARGETS=1): see https://rustup.rs")
        local t
        for t in thumbv7em-none-eabihf riscv32imac-unknown-none-elf; do
            rustup target list --installed 2>/dev/null | grep -qx "$t" ||
                missing+=("the $t target of rustup's default toolchain: rustup target add $t")
        done
    else
        if command -v rustup >/dev/null; then
            if rustup toolchain list | grep -q '^debian'; then
                FW_CARGO=(cargo +debian)
            else
                missing+=("rustup toolchain 'debian' (Debian's Rust): $INSTALL_HINT apt-get install rustc-web cargo-web && rustup toolchain link debian /usr")
            fi
        elif command -v cargo >/dev/null; then
            FW_CARGO=(cargo)
        else
            missing+=("cargo (Debian's Rust): $INSTALL_HINT apt-get install rustc-web cargo-web")
        fi
        if ((${#missing[@]} == 0)); then
            local rustc=(rustc)
            [[ ${FW_CARGO[1]:-} == +debian ]] && rustc=(rustc +debian)
            sysroot=$("${rustc[@]}" --print sysroot 2>/dev/null || true)
            [[ -f $sysroot/lib/rustlib/src/rust/library/core/Cargo.toml ]] ||
                missing+=("rust-src for $("${rustc[@]}" --version 2>/dev/null) (build-std compiles core from it): $INSTALL_HINT apt-get install rust-web-src")
        fi
        { command -v rust-lld >/dev/null && rust-lld -flavor gnu --version >/dev/null 2>&1; } ||
            missing+=("rust-lld (the bare-metal linker; Debian's is a link to lld-22): $INSTALL_HINT apt-get install lld-22")
    fi
    command -v qemu-system-arm >/dev/null ||
        missing+=("qemu-system-arm: $INSTALL_HINT apt-get install -t bookworm-backports qemu-system-arm")
    command -v qemu-system-riscv32 >/dev/null ||
        missing+=("qemu-system-riscv32: $INSTALL_HINT apt-get install -t bookworm-backports qemu-system-misc")
    command -v llvm-size-22 >/dev/null ||
        missing+=("llvm-size-22: $INSTALL_HINT apt-get install rust-web-llvm")
    command -v timeout >/dev/null || missing+=("timeout: apt-get install coreutils")
    if ((${#missing[@]})); then
        local m
        for m in "${missing[@]}"; do echo "firmware.sh: missing $m" >&2; done
        exit 2
    fi
    [[ ${FW_RUSTUP_TARGETS:-} == 1 ]] || export RUSTC_BOOTSTRAP=1 # stable toolchain, build-std
}

# fw_target VARIANT: prints "triple build-dir qemu-command..." pieces via globals.
fw_variant() {
    FW_CARGO_ARGS=() FW_FEATURE_ARGS=()
    case $1 in
        m4 | m4-nopanic | m4-mismatch)
            FW_TRIPLE=thumbv7em-none-eabihf FW_BUILD_DIR=$FW_TARGET_ROOT/fw-m4
            FW_QEMU=(qemu-system-arm -M mps2-an386) FW_NAME=cortex-m4
            ;;
        m7)
            FW_TRIPLE=thumbv7em-none-eabihf FW_BUILD_DIR=$FW_TARGET_ROOT/fw-m7
            FW_QEMU=(qemu-system-arm -M mps2-an500) FW_NAME=cortex-m7
            # Arrays merge with .cargo/config.toml's; the later target-cpu wins.
            FW_CARGO_ARGS=(--config 'target.thumbv7em-none-eabihf.rustflags=["-C","target-cpu=cortex-m7"]')
            ;;
        m3)
            FW_TRIPLE=thumbv7m-none-eabi FW_BUILD_DIR=$FW_TARGET_ROOT/fw-m3
            FW_QEMU=(qemu-system-arm -M mps2-an385) FW_NAME=cortex-m3
            # No FPU: the int8 networks only (the f32 ones would run in soft float, as on rv),
            # unless fw_build is given features of its own.
            FW_CARGO_ARGS=(--target thumbv7m-none-eabi)
            FW_FEATURE_ARGS=(--no-default-features --features digits-int8,cifar-int8,resnet8-int8,panic-exit)
            ;;
        rv)
            FW_TRIPLE=riscv32imac-unknown-none-elf FW_BUILD_DIR=$FW_TARGET_ROOT/fw-rv
            FW_QEMU=(qemu-system-riscv32 -M virt -bios none) FW_NAME=riscv32imac
            FW_CARGO_ARGS=(--target riscv32imac-unknown-none-elf)
            ;;
        *) echo "firmware.sh: unknown variant '$1' (use: ${FW_ALL_VARIANTS[*]})" >&2; exit 2 ;;
    esac
    if [[ $1 == m4-nopanic ]]; then
        FW_NAME="cortex-m4 no-panic"
        FW_CARGO_ARGS+=(--no-default-features --features cifar,digits,resnet8,cifar-int8,digits-int8,resnet8-int8,no-panic)
    elif [[ $1 == m4-mismatch ]]; then
        FW_NAME="cortex-m4 mismatch"
        FW_CARGO_ARGS+=(--features corrupt-output)
    fi
}

# fw_build VARIANT IMAGE [cargo args...]: builds, copies the ELF to fw-images/IMAGE.elf. Cargo
# args replace the variant's default features (FW_FEATURE_ARGS).
fw_build() {
    local variant=$1 image=$2
    shift 2
    fw_variant "$variant"
    mkdir -p "$FW_TARGET_ROOT/fw-images"
    local start=$EPOCHREALTIME
    # Called as `if ! fw_build ..`, where `set -e` does not apply: every failure must return
    # explicitly, and no stale image may survive a failed build.
    rm -f "$FW_TARGET_ROOT/fw-images/$image.elf"
    local features=("${FW_FEATURE_ARGS[@]}")
    (($#)) && features=()
    (cd "$FW_DIR" && CARGO_TARGET_DIR=$FW_BUILD_DIR "${FW_CARGO[@]}" build --release --quiet \
        "${FW_CARGO_ARGS[@]}" "${features[@]}" "$@") || return 1
    cp "$FW_BUILD_DIR/$FW_TRIPLE/release/staticnn-firmware" "$FW_TARGET_ROOT/fw-images/$image.elf" \
        || return 1
    FW_BUILD_SECONDS=$(fw_since "$start")
}

# fw_run VARIANT IMAGE: runs fw-images/IMAGE.elf in QEMU, output to fw-logs/IMAGE.log and stdout;
# returns QEMU's exit status (the firmware's: 0 = every output matched).
fw_run() {
    local variant=$1 image=$2 status=0
    fw_variant "$variant"
    mkdir -p "$FW_TARGET_ROOT/fw-logs"
    local start=$EPOCHREALTIME
    timeout "$FW_QEMU_TIMEOUT" "${FW_QEMU[@]}" -nographic -icount shift=0 \
        -semihosting-config enable=on,target=native -kernel "$FW_TARGET_ROOT/fw-images/$image.elf" \
        >"$FW_TARGET_ROOT/fw-logs/$image.log" 2>&1 || status=$?
    FW_RUN_SECONDS=$(fw_since "$start")
    cat "$FW_TARGET_ROOT/fw-logs/$image.log"
    if ((status == 124)); then
        echo "firmware.sh: $image: QEMU timed out after $FW_QEMU_TIMEOUT s" >&2
    fi
    return "$status"
}

fw_main() {
    local variants=("$@") failed=() v
    ((${#variants[@]})) || variants=("${FW_ALL_VARIANTS[@]}")
    for v in "${variants[@]}"; do fw_variant "$v"; done # reject unknown names early
    fw_check_tools
    fw_log "toolchain: ${FW_CARGO[*]} ($("${FW_CARGO[@]}" --version)), build dirs under $FW_TARGET_ROOT"
    for v in "${variants[@]}"; do
        fw_variant "$v"
        local name=$FW_NAME
        fw_log "== $name: building"
        if ! fw_build "$v" "$v"; then
            if [[ $v == m4-nopanic ]]; then
                echo "firmware.sh: $name: FAIL: the no-panic build does not link, so a panic is reachable." >&2
                echo "  Build the default image and list the panic call sites with" >&2
                echo "  scripts/find-panics.sh $FW_TARGET_ROOT/fw-images/m4.elf" >&2
            else
                echo "firmware.sh: $name: FAIL: build failed" >&2
            fi
            failed+=("$name")
            continue
        fi
        local built=$FW_BUILD_SECONDS status=0
        fw_log "== $name: running in ${FW_QEMU[*]}"
        fw_run "$v" "$v" || status=$?
        local log=$FW_TARGET_ROOT/fw-logs/$v.log
        if [[ $v == m4-mismatch ]]; then
            # Spoiled outputs: the firmware must notice and exit with status 1.
            if ((status == 1)) && grep -q '^FAIL' "$log"; then
                fw_log "$name: PASS (spoiled outputs were caught: exit status 1; build ${built} s, run ${FW_RUN_SECONDS} s)"
            else
                echo "firmware.sh: $name: FAIL: spoiled outputs gave exit status $status, not 1 (log: $log)" >&2
                failed+=("$name")
            fi
            continue
        fi
        if ((status == 0)) && grep -q '^PASS: every output matches the host' "$log"; then
            fw_log "$name: PASS (build ${built} s, run ${FW_RUN_SECONDS} s, image $FW_TARGET_ROOT/fw-images/$v.elf)"
        else
            echo "firmware.sh: $name: FAIL: QEMU exit status $status (log: $log)" >&2
            failed+=("$name")
        fi
    done
    if ((${#failed[@]})); then
        echo "firmware.sh: FAILED: ${failed[*]}" >&2
        exit 1
    fi
    fw_log "all passed: ${variants[*]}"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
    fw_main "$@"
fi
