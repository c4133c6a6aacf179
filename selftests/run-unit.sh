#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# run-unit.sh - runs cmocka unit test binaries with TAP output and sums up.
#
# Usage: run-unit.sh BINARY...
# Prints each binary's TAP lines, then "unit: N passed, N failed, N skipped".
# A binary that exits non-zero without reporting a failed test (a crash)
# counts as one failure.  Exit status 1 if anything failed, else 0.

passed=0 failed=0 skipped=0
for bin in "$@"; do
	name=$(basename "$bin")
	echo "# unit: $name"
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$bin" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | grep -c '^ok ')
	s=$(printf '%s\n' "$out" | grep -c '^not ok .*# SKIP')
	f=$(printf '%s\n' "$out" | grep '^not ok ' | grep -vc '# SKIP')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "# unit: $name exited with status $rc"
		f=1
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done
echo "unit: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
