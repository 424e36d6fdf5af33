#!/bin/bash
# Builds the libFuzzer harnesses of t/fuzz/ with clang (ASan + UBSan) and
# runs each for FUZZ_SECONDS (default 10) from its seed corpus.
#
#   tools/fuzz.sh [NAME...]    NAME: jwt jwks sns eventgrid pubsub normalize
#                              nserror map_conf settle (all)
#
# New inputs go to build/fuzz/corpus/NAME (the seeds in t/fuzz/corpus/NAME
# stay untouched), crashes to build/fuzz/crashes/.  Exits non-zero on the
# first harness that finds a crash, leak or undefined behaviour.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${FUZZ_BUILD:-$root/build/fuzz}
secs=${FUZZ_SECONDS:-10}
cc=${FUZZ_CC:-clang}
names=("$@")
[ ${#names[@]} -gt 0 ] ||
    names=(jwt jwks sns eventgrid pubsub normalize nserror map_conf settle)

command -v "$cc" >/dev/null || {
    echo "fuzz: $cc not found (tools/deps.sh installs clang)" >&2; exit 1; }

# libFuzzer ships in libclang-rt-<version>-dev
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)
      { (void) d; (void) n; return 0; }' > "$probe/p.c"
"$cc" -fsanitize=fuzzer "$probe/p.c" -o "$probe/p" 2>/dev/null || {
    echo "fuzz: $cc cannot link -fsanitize=fuzzer: install libclang-rt-dev" >&2
    exit 1; }

san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
flags="-std=gnu99 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer -I$root/lib"
libs="-ljansson -lssl -lcrypto -lm"

mkdir -p "$out/lib" "$out/crashes"

# the library once, instrumented for coverage but without libFuzzer's main;
# an archive, so that a harness links only the objects it needs
objs=()
for src in "$root"/lib/*.c; do
    obj=$out/lib/$(basename "${src%.c}").o
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] \
       || [ -n "$(find "$root/lib" -name '*.h' -newer "$obj")" ]
    then
        # shellcheck disable=SC2086
        "$cc" $flags $san -fsanitize=fuzzer-no-link -c "$src" -o "$obj"
    fi
    objs+=("$obj")
done
rm -f "$out/libctns-fuzz.a"
ar rcs "$out/libctns-fuzz.a" "${objs[@]}"

for name in "${names[@]}"; do
    src=$root/t/fuzz/fuzz_$name.c
    [ -f "$src" ] || { echo "fuzz: no harness $src" >&2; exit 1; }

    # shellcheck disable=SC2086
    "$cc" $flags $san -fsanitize=fuzzer "$src" "$out/libctns-fuzz.a" $libs \
        -o "$out/fuzz_$name"

    mkdir -p "$out/corpus/$name"
    echo "fuzz: $name for ${secs}s" >&2

    # harnesses read their keys relative to the fixtures
    (cd "$root/t/fixtures" &&
     "$out/fuzz_$name" -max_total_time="$secs" -timeout=10 \
         -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
         -artifact_prefix="$out/crashes/$name-" \
         "$out/corpus/$name" "$root/t/fuzz/corpus/$name" \
         2> "$out/$name.log") || {
        tail -n 60 "$out/$name.log" >&2
        echo "fuzz: $name FAILED (log $out/$name.log)" >&2
        exit 1
    }

    grep -aE '^stat::number_of_executed_units|^#[0-9]+.*DONE' \
        "$out/$name.log" | sed "s/^/fuzz: $name: /" >&2 || true
done

echo "fuzz: ${#names[@]} harnesses clean" >&2
