#!/bin/sh
# upstream_kvm_test.sh - Linux's own KVM selftests, unchanged, against the
# device under test (TAP).
#
# scripts/kvm-selftests.sh builds them from Debian's linux-source-6.1 as
# static binaries; the test machine gets them and their list
# (kvm-selftests.run, one name per line) with testvm.sh --file.  They open
# /dev/kvm by name, so for minikvm ($MINIKVM_DEV=/dev/minikvm) the device is
# bind-mounted over /dev/kvm for the run.  Exit status 0 is a pass and 4 a
# skip (kselftest's KSFT_SKIP); anything else fails, with the test's last
# lines of output as TAP diagnostics.
dir=$(dirname "$0")
dev=${MINIKVM_DEV:-/dev/kvm}
list=$dir/kvm-selftests.run

if [ ! -r "$list" ]; then
	echo "1..0 # SKIP no $list (scripts/kvm-selftests.sh builds it)"
	exit 0
fi
made=""
if [ "$dev" != /dev/kvm ]; then
	if [ ! -e /dev/kvm ]; then
		touch /dev/kvm || { echo "Bail out! cannot create /dev/kvm"; exit 1; }
		made=1
	fi
	if ! mount --bind "$dev" /dev/kvm; then
		echo "Bail out! cannot bind $dev over /dev/kvm"
		exit 1
	fi
fi

n=$(grep -c . "$list")
echo "TAP version 13"
echo "1..$n"
i=0
while read -r t; do
	[ -n "$t" ] || continue
	i=$((i + 1))
	start=$(date +%s)
	"$dir/$t" >/tmp/upstream.out 2>&1
	rc=$?
	echo "# $t: $(($(date +%s) - start)) s"
	case $rc in
	0) echo "ok $i $t" ;;
	4) echo "ok $i $t # SKIP $(grep -m1 SKIP /tmp/upstream.out)" ;;
	*)
		echo "not ok $i $t # exit status $rc"
		tail -n 12 /tmp/upstream.out | sed 's/^/# /'
		;;
	esac
done <"$list"

if [ "$dev" != /dev/kvm ]; then
	umount /dev/kvm
	[ -z "$made" ] || rm -f /dev/kvm
fi
exit 0
