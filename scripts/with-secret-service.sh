#!/bin/sh
# Run CMD inside a private D-Bus session bus that has an unlocked gnome-keyring
# Secret Service, and exit with CMD's exit code.
#
# Usage: scripts/with-secret-service.sh CMD [ARGS...]
#
# The keyring files and the daemon's runtime files live in a throwaway directory
# that is removed afterwards; CMD's own environment gains only
# DBUS_SESSION_BUS_ADDRESS. The daemon runs as a foreground child and is killed
# when CMD exits, because a self-daemonised gnome-keyring-daemon can outlive
# dbus-run-session. HOME is left alone: rustup and cargo find their toolchain
# through it. Needs (Debian): dbus gnome-keyring.
set -eu

if [ $# -eq 0 ]; then
    echo "usage: $0 CMD [ARGS...]" >&2
    exit 2
fi

keyring_dir=$(mktemp -d "${TMPDIR:-/tmp}/sdtoken-keyring.XXXXXX")
trap 'rm -rf "$keyring_dir"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

rc=0
SECRET_SERVICE_DIR="$keyring_dir" dbus-run-session -- sh -c '
    dir=$SECRET_SERVICE_DIR
    unset SECRET_SERVICE_DIR
    mkdir -m 700 "$dir/data" "$dir/runtime"

    # --unlock reads the password on stdin and creates the "login" collection,
    # which the "default" alias points to.
    printf %s "throwaway-test-password" |
        XDG_DATA_HOME="$dir/data" XDG_RUNTIME_DIR="$dir/runtime" \
        gnome-keyring-daemon --foreground --unlock --components=secrets >"$dir/daemon.log" 2>&1 &
    daemon=$!

    # Wait up to 10 s for the daemon to own the Secret Service name on the bus.
    i=0
    until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
          org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do
        i=$((i + 1))
        if [ "$i" -gt 200 ] || ! kill -0 "$daemon" 2>/dev/null; then
            echo "with-secret-service: gnome-keyring-daemon did not start the Secret Service within 10 s" >&2
            cat "$dir/daemon.log" >&2
            kill "$daemon" 2>/dev/null
            exit 1
        fi
        sleep 0.05
    done

    rc=0
    "$@" || rc=$?
    kill "$daemon" 2>/dev/null
    wait "$daemon" 2>/dev/null
    exit "$rc"' sh "$@" || rc=$?
exit "$rc"
