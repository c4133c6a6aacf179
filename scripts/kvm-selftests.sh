#!/bin/bash
# kvm-selftests.sh - build Linux's own KVM selftests, unchanged, for running
# against minikvm (selftests/upstream_kvm_test.sh).
#
# Usage: scripts/kvm-selftests.sh [--out DIR] [--list FILE]
#   --out DIR    where the binaries go (default build/kvm-selftests)
#   --list FILE  the tests (default selftests/upstream/kvm-selftests.list)
#
# Takes tools/testing/selftests/kvm and what it includes from Debian's
# linux-source-6.1 (/usr/src/linux-source-6.1.tar.xz; scripts/deps.sh
# upstream installs it), builds the listed tests as static binaries with the
# kernel's own selftest Makefile against the system's uAPI headers, and
# writes DIR/kvm-selftests.run: the binaries' names, one per line, for the
# test machine.  Prints the testvm.sh arguments that ship them:
#   --file DIR/kvm-selftests.run --file DIR/NAME ...
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$TOP/build/kvm-selftests
LIST=$TOP/selftests/upstream/kvm-selftests.list
TARBALL=/usr/src/linux-source-6.1.tar.xz
SRC=linux-source-6.1

while [ $# -gt 0 ]; do
	case "$1" in
	--out) OUT=$(realpath -m "$2"); shift 2 ;;
	--list) LIST=$(realpath "$2"); shift 2 ;;
	*) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
	esac
done

"$TOP/scripts/deps.sh" upstream >&2
[ -r "$TARBALL" ] || { echo "kvm-selftests.sh: $TARBALL missing" >&2; exit 1; }

mapfile -t TESTS < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' -e '/^$/d' "$LIST")
[ ${#TESTS[@]} -gt 0 ] || { echo "kvm-selftests.sh: no tests in $LIST" >&2; exit 1; }

# The sources, extracted once per tarball (the stamp names its size+mtime).
tree=$OUT/src
stamp=$tree/.stamp
want=$(stat -c '%s %Y' "$TARBALL")
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
	rm -rf "$tree"
	mkdir -p "$tree"
	tar -C "$tree" -xf "$TARBALL" --wildcards \
		"$SRC/tools/testing/selftests/kvm/*" \
		"$SRC/tools/testing/selftests/rseq/*" \
		"$SRC/tools/testing/selftests/lib.mk" \
		"$SRC/tools/testing/selftests/kselftest*.h" \
		"$SRC/tools/include/*" "$SRC/tools/arch/x86/include/*" \
		"$SRC/tools/build/*" "$SRC/tools/scripts/*" \
		"$SRC/scripts/subarch.include" "$SRC/tools/lib/rbtree.c"
	echo "$want" >"$stamp"
fi

# Their Makefile, with the system's uAPI headers (Debian's linux-libc-dev of
# the same 6.1 series) instead of a kernel tree's usr/include.
targets=()
for t in "${TESTS[@]}"; do targets+=("$OUT/bin/$t"); done
mkdir -p "$OUT/bin"
make -s -C "$tree/$SRC/tools/testing/selftests/kvm" -j"$(nproc)" \
	OUTPUT="$OUT/bin" INSTALL_HDR_PATH=/usr KHDR_INCLUDES="-isystem /usr/include" \
	USERLDFLAGS=-static "${targets[@]}" >"$OUT/build.log" 2>&1 || {
	cat "$OUT/build.log" >&2
	echo "kvm-selftests.sh: build failed" >&2
	exit 1
}

: >"$OUT/kvm-selftests.run"
args=(--file "$OUT/kvm-selftests.run")
for t in "${TESTS[@]}"; do
	basename "$t" >>"$OUT/kvm-selftests.run"
	args+=(--file "$OUT/bin/$t")
done
echo "${args[@]}"
