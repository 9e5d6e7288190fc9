#!/usr/bin/env bash
# Install what scripts/test.sh and scripts/try.sh need on Debian: the system
# packages (apt-get, as root, only when one is missing) and the local
# Screwdriver API from npm (tests/sdapi/install-sdapi.sh). Safe to run again.
# Rust itself (cargo, rustc) is not installed here.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { echo "[install-deps] $*" >&2; }

# postgresql is the API's datastore, and openssl makes its keys. nodejs and npm
# run the API. dbus and gnome-keyring provide a private Secret Service,
# libsecret-tools provides secret-tool, and keyutils provides keyctl.
# zsh and fish run the output of `sdtoken env`. hyperfine times commands,
# scripts/bench.sh compares sdtoken with `curl | jq`, and time (GNU time,
# /usr/bin/time) gives it the peak memory of a command.
packages=(postgresql dbus gnome-keyring keyutils libsecret-tools zsh fish hyperfine jq time
          nodejs npm openssl curl ca-certificates python3)

missing=()
for package in "${packages[@]}"; do
    case "$package" in
        # NodeSource's nodejs package bundles npm and conflicts with Debian's npm
        # package, so node and npm count as installed when their commands exist.
        nodejs) command -v node >/dev/null && continue ;;
        npm) command -v npm >/dev/null && continue ;;
    esac
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
done

if [ "${#missing[@]}" -gt 0 ]; then
    if [ "$(id -u)" != 0 ]; then
        log "missing Debian packages: ${missing[*]}"
        log "install them as root: apt-get install ${missing[*]}"
        exit 1
    fi
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v cargo >/dev/null || log "warning: cargo not found; install Rust with rustup (https://rustup.rs)"

bash "$ROOT/tests/sdapi/install-sdapi.sh" >/dev/null
