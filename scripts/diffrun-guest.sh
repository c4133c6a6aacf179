#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# diffrun-guest.sh - the test-machine half of a differential run (see
# scripts/diffrun.sh, which stages it as the only test of a boot with
# --targets minikvm,kvm and every selftest next to it as --file).
#
# Under each target it runs every staged selftest (/tests/*_test) with
# MINIKVM_EXIT_LOG=/tmp/exitlog/TARGET/NAME (user/lib/exit_log.c: one line
# per userspace-visible exit).  Under the kvm target, run after minikvm in
# the same boot, it then compares the two logs of each test case by case and
# prints one TAP line per test: "ok" when every case saw the same exits, or
# diverged only where diffrun-expected.txt (staged next to it) says it may;
# "not ok" with the first differing exit of each new divergence.
#
# Expected-divergence file: "TEST CASE REASON...", CASE may be "*"; "#"
# starts a comment.  Report lines for the host start with "# diffrun:".
#
# Runs under busybox sh; the comparison is awk.

dir=$(dirname "$0")
expected="$dir/diffrun-expected.txt"
logs=/tmp/exitlog
timeout=${DIFFRUN_TEST_TIMEOUT:-300}

case "${MINIKVM_DEV:-}" in
*/minikvm) target=minikvm ;;
*/kvm) target=kvm ;;
*) target="" ;;
esac
echo "TAP version 13"
if [ -z "$target" ] || [ -n "${MINIKVM_OTHER_DEV:-}" ]; then
	echo "1..0 # SKIP differential runs need the minikvm and kvm targets"
	exit 4
fi

tests=""
for t in "$dir"/*_test; do
	[ -x "$t" ] && tests="$tests ${t##*/}"
done
n=0
for t in $tests; do n=$((n + 1)); done
echo "1..$n"

# record NAME: runs test NAME with its exit log on; prints its exit status
# (also kept in NAME.rc).
record() {
	mkdir -p "$logs/$target"
	rm -f "$logs/$target/$1"
	: >"$logs/$target/$1"
	MINIKVM_EXIT_LOG="$logs/$target/$1" timeout -k 10 "$timeout" \
		"$dir/$1" </dev/null >"$logs/$target/$1.out" 2>&1
	rc=$?
	echo "$rc" >"$logs/$target/$1.rc"
	echo "$rc"
}

# normalize FILE: the log sorted stably on case, VM and vCPU, so that the
# exits of threads that ran side by side come out in the same order.
normalize() {
	sort -s -k1,1 -k2,2 -k3,3 "$1"
}

# compare NAME: prints the report of test NAME; exit status 1 on an
# unexpected divergence.
compare() {
	normalize "$logs/minikvm/$1" >"$logs/m.sorted"
	normalize "$logs/kvm/$1" >"$logs/k.sorted"
	[ -f "$expected" ] || : >"$expected"
	awk -v test="$1" '
	# Pass 1: the expected divergences of this test.
	FILENAME == ARGV[1] {
		if ($0 ~ /^[ \t]*(#|$)/ || $1 != test)
			next
		why = $0
		sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]*/, "", why)
		expect[$2] = why
		next
	}
	# Pass 2 and 3: the exits of each case, minikvm then KVM.
	{
		c = $1
		line = $0
		sub(/^[^ ]+ /, "", line)
		if (!(c in seen)) {
			seen[c] = 1
			cases[++ncases] = c
		}
		if (FILENAME == ARGV[2])
			m[c, ++nm[c]] = line
		else
			k[c, ++nk[c]] = line
	}
	function why(c) {
		if (c in expect)
			return expect[c]
		if ("*" in expect)
			return expect["*"]
		return ""
	}
	END {
		bad = 0
		for (i = 1; i <= ncases; i++) {
			c = cases[i]
			a = nm[c] + 0
			b = nk[c] + 0
			max = a > b ? a : b
			for (j = 1; j <= max; j++)
				if (m[c, j] != k[c, j])
					break
			if (j > max) {
				printf("# diffrun: %s/%s: identical, %d exits\n",
				       test, c, a)
				if (c in expect)
					printf("# diffrun: %s/%s: listed as expected to diverge but did not\n",
					       test, c)
				continue
			}
			w = why(c)
			printf("# diffrun: %s/%s: %s at exit %d (minikvm %d exits, KVM %d)\n",
			       test, c, w == "" ? "DIVERGES" : "diverges (expected)",
			       j, a, b)
			printf("# diffrun:   minikvm: %s\n",
			       j <= a ? m[c, j] : "(no more exits)")
			printf("# diffrun:   KVM:     %s\n",
			       j <= b ? k[c, j] : "(no more exits)")
			if (w != "")
				printf("# diffrun:   expected: %s\n", w)
			else
				bad = 1
		}
		if (!ncases)
			printf("# diffrun: %s: no exits on either\n", test)
		exit bad
	}' "$expected" "$logs/m.sorted" "$logs/k.sorted"
}

i=0
for t in $tests; do
	i=$((i + 1))
	rc=$(record "$t")
	exits=$(wc -l <"$logs/$target/$t")
	if [ "$target" = minikvm ]; then
		echo "ok $i $t: recorded $exits exits on minikvm (exit status $rc)"
		continue
	fi
	if [ ! -f "$logs/minikvm/$t" ]; then
		echo "not ok $i $t: no minikvm log (run the minikvm target first)"
		continue
	fi
	echo "# diffrun: $t: exit status minikvm $(cat "$logs/minikvm/$t.rc" 2>/dev/null) KVM $rc"
	if compare "$t"; then
		echo "ok $i $t: same exits, or only expected divergences"
	else
		echo "not ok $i $t: exits diverge"
	fi
done
exit 0
