#!/bin/bash
# Runs every unit test binary given, from the fixtures directory given first,
# and prints one closing line with the totals.

fixtures=$1; shift
passed=0 failed=0 bad=""

for bin in "$@"; do
    out=$(cd "$fixtures" && "$bin" 2>&1)
    rc=$?
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -n 1)
    p=$(echo "$line" | awk '{print $1}')
    f=$(echo "$line" | awk '{print $3}')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ $rc -ne 0 ] || [ -z "$line" ] || [ "${f:-1}" != 0 ]; then
        printf '%s\n' "$out"
        bad="$bad $(basename "$bin")"
        [ -z "$line" ] && failed=$((failed + 1))
    else
        echo "$(basename "$bin"): $line"
    fi
done

echo "unit: $passed passed, $failed failed"
[ -z "$bad" ] || { echo "unit: failing:$bad" >&2; exit 1; }
