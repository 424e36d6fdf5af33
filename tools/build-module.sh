#!/bin/bash
# Builds ngx_ct_netsuite_module.so.
#
#   tools/build-module.sh REPO OUTPUT
#
# Without NGX_SRC: against Debian's nginx-dev tree, copied into $NGX_BUILD
# (configure writes objs/ where it runs, and /usr/share is not ours), with the
# exact flags of the distribution binary from conf_flags, so that the stock
# /usr/sbin/nginx loads the result.  Debian trims auto/install, so there is no
# top-level Makefile: the target is objs/Makefile's "modules".
#
# With NGX_SRC: against that upstream nginx tree, configured --with-compat.
#
# NGX_CC_OPT and NGX_LD_OPT are added to nginx's compiler and linker options
# (debian/rules passes dpkg-buildflags' hardening flags).

set -euo pipefail

repo=$1
out=$2
build=${NGX_BUILD:?}
san=${SANFLAGS:-}
extra_cc="$san ${NGX_CC_OPT:-}"
extra_ld="$san ${NGX_LD_OPT:-}"

mkdir -p "$build"

if [ -n "${NGX_SRC:-}" ]; then
    src=$(cd "$NGX_SRC" && pwd)
    [ -x "$src/configure" ] || [ -x "$src/auto/configure" ] || {
        echo "build-module: $NGX_SRC is not an nginx source tree" >&2; exit 1; }
    tree=$build/upstream
    mkdir -p "$tree"
    cp -a "$src/." "$tree/"
    [ -x "$tree/configure" ] || cp "$tree/auto/configure" "$tree/configure"
    flags=(--with-compat)
    makefile=Makefile
else
    src=/usr/share/nginx/src
    [ -f $src/conf_flags ] || {
        echo "build-module: $src missing: install nginx-dev (tools/deps.sh)" >&2
        exit 1; }
    tree=$build/debian
    if [ ! -f "$tree/conf_flags" ] || [ $src/conf_flags -nt "$tree/conf_flags" ]
    then
        rm -rf "$tree"
        mkdir -p "$tree"
        cp -a $src/. "$tree/"
    fi
    # conf_flags holds a bash array NGX_CONF_FLAGS
    # shellcheck disable=SC1091
    . "$tree/conf_flags"
    flags=("${NGX_CONF_FLAGS[@]}")
    makefile=objs/Makefile
fi

stamp=$tree/.ctns-configure
want=$(printf '%s\n' "$extra_cc" "$extra_ld" "${flags[*]}" "$(cat "$repo/config")" \
       "$(ls "$repo"/ngx_ct_netsuite_module/*.[ch] "$repo"/lib/*.[ch] 2>/dev/null)")

cd "$tree"

if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "build-module: configuring nginx in $tree" >&2
    ccopt=(--with-cc-opt="-I$repo/lib $extra_cc")
    ldopt=()
    [ -n "${extra_ld// }" ] && ldopt=(--with-ld-opt="$extra_ld")
    # Debian's conf_flags carry their own --with-cc-opt/--with-ld-opt; later
    # options win in configure, so ours are appended after theirs merged.
    merged=()
    for f in "${flags[@]}"; do
        case $f in
        --with-cc-opt=*) ccopt=(--with-cc-opt="${f#--with-cc-opt=} -I$repo/lib $extra_cc");;
        --with-ld-opt=*) ldopt=(--with-ld-opt="${f#--with-ld-opt=} $extra_ld");;
        *) merged+=("$f");;
        esac
    done
    ./configure "${merged[@]}" "${ccopt[@]}" "${ldopt[@]}" \
        --add-dynamic-module="$repo" > "$tree/configure.log" 2>&1 || {
        tail -n 30 "$tree/configure.log" >&2
        echo "build-module: configure failed, see $tree/configure.log" >&2
        exit 1; }
    printf '%s' "$want" > "$stamp"
fi

make -f $makefile -j2 modules > "$tree/make.log" 2>&1 || {
    grep -E "error:|warning:" "$tree/make.log" >&2 || tail -n 40 "$tree/make.log" >&2
    echo "build-module: compilation failed, see $tree/make.log" >&2
    exit 1; }
# a new file renamed into place: cp would rewrite the inode that running
# nginx masters have mapped, and their next forked workers would crash
cp objs/ngx_ct_netsuite_module.so "$out.tmp.$$"
mv -f "$out.tmp.$$" "$out"
echo "build-module: $out" >&2
