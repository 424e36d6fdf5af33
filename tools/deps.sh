#!/bin/sh
# Install, as root and only when missing, every Debian package the build,
# the tests, the benchmarks and the demo use.  Idempotent: a second run on
# a complete machine does nothing but check.

set -eu

PKGS="gcc make pkg-config nginx nginx-dev libhiredis-dev libjansson-dev
libcurl4-openssl-dev libssl-dev redis-server redis-tools curl
python3 python3-pytest python3-pytest-timeout python3-redis
python3-cryptography python3-requests clang libclang-rt-14-dev valgrind wrk
debhelper dpkg-dev lintian systemd chromium python3-websocket"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q "install ok installed"
    then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "deps: missing packages:$missing" >&2
    echo "deps: run 'sudo tools/deps.sh' (or install them) and retry" >&2
    exit 1
fi

echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null
echo "deps: done" >&2
