#!/usr/bin/env bash
# The README's test command: on a fresh machine with Rust (rustup's stable toolchain), installs
# what the tests need beyond it, then runs every test (`cargo test --workspace`): numerics
# against PyTorch's fixtures, the compile-error cases, the docs' examples, and the firmware
# built for Cortex-M4F, Cortex-M7 and RISC-V and run in QEMU.
#
#   scripts/test.sh                  # set-up if needed, then cargo test --workspace
#   scripts/test.sh -- --nocapture   # arguments after `--` go to the test binaries
#
# What it installs: the firmware test's tools (Debian's Rust with the standard library's
# source, lld, LLVM tools, QEMU), by scripts/install-embedded.sh, which needs root or sudo and
# Debian 12. It runs that script only when scripts/firmware.sh reports a missing tool. Where
# it cannot install (no root, no password-less sudo), it says what is missing and how to
# install it, and exits with status 2 without running the tests. `.ci/run` calls this script.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test.sh: $*"; }

# Prints nothing and succeeds when every firmware tool is there; else prints what is missing.
firmware_tools_missing() {
    local report
    if report=$(bash -c 'source scripts/firmware.sh && fw_check_tools' 2>&1); then
        return 1
    fi
    printf '%s\n' "$report"
}

# Whether this shell may run the installer: root, or sudo that needs no password.
can_install() {
    [[ $(id -u) -eq 0 ]] || { command -v sudo >/dev/null && sudo -n true 2>/dev/null; }
}

command -v cargo >/dev/null || {
    echo "test.sh: cargo not found: install Rust with rustup (https://rustup.rs), then run this again" >&2
    exit 2
}

if missing=$(firmware_tools_missing); then
    log "the firmware test needs tools this machine lacks:"
    printf '%s\n' "$missing" | sed 's/^/  /'
    if ! can_install; then
        cat >&2 <<'EOF'
test.sh: cannot install them: this needs root or password-less sudo. Either run, once,
    sudo scripts/install-embedded.sh      # Debian 12: Debian's Rust, rust-src, lld, LLVM tools, QEMU
  and then scripts/test.sh again, or install the tools listed above by hand.
EOF
        exit 2
    fi
    log "installing them with scripts/install-embedded.sh"
    bash scripts/install-embedded.sh
    if missing=$(firmware_tools_missing); then
        echo "test.sh: still missing after scripts/install-embedded.sh:" >&2
        printf '%s\n' "$missing" | sed 's/^/  /' >&2
        exit 2
    fi
else
    log "firmware tools present (scripts/firmware.sh: Debian's Rust, rust-src, lld, QEMU)"
fi

log "cargo test --workspace $*"
start=$SECONDS
cargo test --workspace "$@"
log "all tests passed in $((SECONDS - start)) s"
