#!/usr/bin/env bash
# Installs what the firmware build and its QEMU runs need on Debian 12 (bookworm), idempotently:
#   - Debian's Rust with the standard library's source (cargo's build-std compiles `core` for
#     the bare-metal targets): rustc-web cargo-web rust-web-src rust-web-llvm (llvm-size-22,
#     llvm-objdump-22), lld-22 (what Debian's rust-lld points to);
#   - QEMU from bookworm-backports (qemu-system-arm, qemu-system-misc for riscv32). Bookworm's own
#     QEMU conflicts with the backported qemu-utils that some images carry, so QEMU always comes
#     from backports;
#   - with rustup present: the `debian` toolchain (`rustup toolchain link debian /usr`), so that
#     `cargo +debian` runs Debian's cargo.
# Run as root (or with sudo available). Running it again changes nothing.
set -euo pipefail

APT_PACKAGES=(rustc-web cargo-web rust-web-src rust-web-llvm lld-22)
BACKPORTS_PACKAGES=(qemu-system-arm qemu-system-misc)
BACKPORTS_LIST=/etc/apt/sources.list.d/bookworm-backports.list

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "install-embedded: run as root (no sudo found)" >&2; exit 1; }
    SUDO=(sudo)
fi

. /etc/os-release
if [[ ${VERSION_CODENAME:-} != bookworm ]]; then
    echo "install-embedded: written for Debian 12 (bookworm), found '${PRETTY_NAME:-unknown}'; trying anyway" >&2
fi

missing() { # prints the packages of "$@" that dpkg does not report as installed
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

need_apt=($(missing "${APT_PACKAGES[@]}"))
need_bpo=($(missing "${BACKPORTS_PACKAGES[@]}"))

if ((${#need_apt[@]} + ${#need_bpo[@]})); then
    if ! grep -rqs '^[^#]*bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
        echo "install-embedded: adding bookworm-backports to $BACKPORTS_LIST"
        echo 'deb http://deb.debian.org/debian bookworm-backports main' | "${SUDO[@]}" tee "$BACKPORTS_LIST" >/dev/null
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${SUDO[@]}" apt-get update -q
    if ((${#need_apt[@]})); then
        echo "install-embedded: apt-get install ${need_apt[*]}"
        "${SUDO[@]}" apt-get install -y -q "${need_apt[@]}"
    fi
    if ((${#need_bpo[@]})); then
        echo "install-embedded: apt-get install -t bookworm-backports ${need_bpo[*]}"
        "${SUDO[@]}" apt-get install -y -q -t bookworm-backports "${need_bpo[@]}"
    fi
else
    echo "install-embedded: Debian packages already installed"
fi

if command -v rustup >/dev/null; then
    if rustup toolchain list | grep -q '^debian'; then
        echo "install-embedded: rustup toolchain 'debian' already linked"
    else
        echo "install-embedded: rustup toolchain link debian /usr"
        rustup toolchain link debian /usr
    fi
else
    echo "install-embedded: no rustup: scripts/firmware.sh will run /usr/bin/cargo directly"
fi
