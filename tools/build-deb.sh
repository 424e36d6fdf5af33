#!/bin/bash
# Builds the Debian packages with dpkg-buildpackage and checks them with
# lintian.
#
#   tools/build-deb.sh REPO OUT
#
# dpkg-buildpackage cleans inside the source tree and writes its results
# next to it, which a work tree shared with other builds must not see: the
# sources are staged into OUT/ct-netsuite-VERSION and the source and binary
# packages land in OUT.  Staged are the files git sees in the work tree
# (tracked or not ignored, as on disk: what `make` would build), or with
# DEB_HEAD=1 exactly the checked-out commit.  The changelog is written there
# from the single version source, REPO/VERSION, dated by the commit that set
# it, so that SOURCE_DATE_EPOCH and the staged path are the same on every
# build of a commit and the packages come out byte for byte the same.
# lintian's report is OUT/lintian.txt; any error fails the build.

set -euo pipefail

repo=$(cd "$1" && pwd)
out=$2

version=$(tr -d '[:space:]' < "$repo/VERSION")
if ! [[ $version =~ ^[0-9][A-Za-z0-9.+~]*$ ]]; then
    echo "build-deb: $repo/VERSION: \"$version\" is not a Debian native" \
         "version (digits first, then [A-Za-z0-9.+~])" >&2
    exit 1
fi

date=$(git -C "$repo" log -1 --format=%cD -- VERSION 2>/dev/null || true)
[ -n "$date" ] || date=$(date -R -u -r "$repo/VERSION")
maint=$(sed -n 's/^Maintainer: //p' "$repo/debian/control")

src=$out/ct-netsuite-$version
rm -rf "$out"
mkdir -p "$src"
if ! git -C "$repo" rev-parse -q --verify HEAD >/dev/null; then
    echo "build-deb: no git checkout, staging every file" >&2
    tar -C "$repo" --exclude=./build --exclude=./build-asan -cf - . \
        | tar -C "$src" -xf -
elif [ "${DEB_HEAD:-0}" = 1 ]; then
    echo "build-deb: staging commit $(git -C "$repo" rev-parse --short HEAD)" >&2
    git -C "$repo" archive --format=tar HEAD | tar -C "$src" -xf -
else
    echo "build-deb: staging the work tree" >&2
    (cd "$repo" && git ls-files -z -c -o --exclude-standard \
        | while IFS= read -r -d '' f; do   # deleted but still tracked
              [ -e "$f" ] && printf '%s\0' "$f"; done \
        | tar --null -T - -cf -) | tar -C "$src" -xf -
fi

cat > "$src/debian/changelog" <<END
ct-netsuite ($version) unstable; urgency=medium

  * Release $version, built from the project's VERSION file.

 -- $maint  $date
END

echo "build-deb: dpkg-buildpackage in $src" >&2
(cd "$src" && dpkg-buildpackage -uc -us -j2) > "$out/build.log" 2>&1 || {
    tail -n 40 "$out/build.log" >&2
    echo "build-deb: dpkg-buildpackage failed, see $out/build.log" >&2
    exit 1; }

changes=$out/ct-netsuite_${version}_$(dpkg-architecture -qDEB_HOST_ARCH).changes
lintian --fail-on error --display-info --tag-display-limit 0 "$changes" \
    > "$out/lintian.txt" 2>&1 || {
    cat "$out/lintian.txt" >&2
    echo "build-deb: lintian found errors" >&2
    exit 1; }
cat "$out/lintian.txt" >&2

ls "$out"/*.deb
