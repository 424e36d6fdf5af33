#!/bin/bash
# make test-valgrind: a subset of the integration suite with nginx
# (master_process off, one process) and ctns-worker under valgrind.
#
#   tools/valgrind.sh [PYTEST ARGS...]
#
# nginx: t/harness/nginx.py runs it under valgrind when CTNS_VALGRIND=1 and
# fails the test on an error or a definite leak in its logs.  The worker:
# build/valgrind/ctns-worker is a wrapper that runs build/ctns-worker under
# valgrind (logs in build/valgrind/logs/), checked here after the run.

set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${CTNS_BUILD:-$root/build}
vg=$build/valgrind
python=${PYTHON:-/usr/bin/python3}

command -v valgrind >/dev/null || {
    echo "valgrind: not installed (tools/deps.sh installs it)" >&2; exit 1; }

rm -rf "$vg"
mkdir -p "$vg/logs"
chmod 777 "$vg/logs"
ln -s "$build/ngx_ct_netsuite_module.so" "$vg/ngx_ct_netsuite_module.so"
ln -s "$build/ctns-keys" "$vg/ctns-keys"

# --error-exitcode is not used: the tests judge exit codes of their own
cat > "$vg/ctns-worker" <<WRAP
#!/bin/sh
exec valgrind --quiet --leak-check=full --show-leak-kinds=definite \\
    --errors-for-leak-kinds=definite --track-origins=yes \\
    --log-file=$vg/logs/worker.%p "$build/ctns-worker" "\$@"
WRAP
chmod 755 "$vg/ctns-worker"

# The subset: the webhook (body in memory and in a temp file, chunked,
# duplicates, 4xx, Redis down and hung, a client gone) and the worker
# (posting, retries, dead letters, commit-then-drop), end to end once.
suites=(
    "t/test_ingest.py::test_enqueued_then_duplicate"
    "t/test_ingest.py::test_malformed_payload_names_the_field"
    "t/test_ingest.py::test_method_size_and_media_type"
    "t/test_ingest.py::test_body_in_temp_file"
    "t/test_ingest.py::test_chunked_body"
    "t/test_ingest.py::test_redis_down_then_back"
    "t/test_ingest.py::test_client_aborts"
    "t/test_worker.py::test_happy_path"
    "t/test_worker.py::test_twenty_percent_5xx"
    "t/test_worker.py::test_commit_then_drop_every_first_attempt"
    "t/test_worker.py::test_4xx_dead_letter_fix_replay"
    "t/test_faults.py::test_netsuite_storms_5xx_slow_and_dropped"
)

# nginx's own leaks (tools/valgrind.supp), for every valgrind run below
export VALGRIND_OPTS="--suppressions=$root/tools/valgrind.supp"

rc=0
CTNS_BUILD=$vg CTNS_VALGRIND=1 "$python" -m pytest -q -p no:cacheprovider \
    "${suites[@]}" "$@" || rc=$?

bad=0
for f in "$vg"/logs/worker.*; do
    [ -e "$f" ] || continue
    if [ -s "$f" ]; then
        echo "valgrind: ctns-worker reported ($f):" >&2
        head -n 60 "$f" >&2
        bad=1
    fi
done
n=$(find "$vg/logs" -name 'worker.*' | wc -l)
echo "valgrind: $n ctns-worker runs checked" >&2
[ "$n" -gt 0 ] || { echo "valgrind: no ctns-worker run" >&2; bad=1; }

[ $rc -eq 0 ] && [ $bad -eq 0 ]
