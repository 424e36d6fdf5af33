#!/bin/sh
# Fetches the upstream nginx source tree matching the installed nginx into
# DIR (default build/nginx-src), for `make module NGX_SRC=...`: the Debian
# source package's .orig tarball is nginx.org's release tarball unchanged.
# Uses a private apt configuration, so the system's sources stay as they are.

set -eu

dest=${1:-build/nginx-src}
version=$(dpkg-query -W -f='${Version}' nginx-common 2>/dev/null \
          || dpkg-query -W -f='${Version}' nginx)
upstream=${version%%-*}
upstream=${upstream#*:}

if [ -f "$dest/nginx-$upstream/auto/configure" ]; then
    echo "$dest/nginx-$upstream"
    exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/lists/partial" "$work/parts" "$dest"

# the main archive only: security updates keep the same .orig tarball
awk 'BEGIN { RS = ""; ORS = "\n\n" } NR == 1' \
    /etc/apt/sources.list.d/debian.sources \
    | sed 's/^Types: deb$/Types: deb-src/' > "$work/parts/src.sources"

apt_opts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$work/parts
          -o APT::Sandbox::User=root
          -o Dir::State::Lists=$work/lists -q"

# shellcheck disable=SC2086
apt-get $apt_opts update >/dev/null
# shellcheck disable=SC2086
(cd "$work" && apt-get $apt_opts source --download-only "nginx=$version" \
     >/dev/null 2>&1 || apt-get $apt_opts source --download-only nginx \
     >/dev/null)

tar -xzf "$work"/nginx_"$upstream".orig.tar.gz -C "$dest"
echo "$dest/nginx-$upstream"
