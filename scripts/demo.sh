#!/bin/bash
# demo.sh - README's main-job command: build minikvm, boot the AMD SVM test
# machine (QEMU/TCG with SVM and nested paging), load minikvm.ko and show it
# at work with `minikvm-run --info` (what /dev/minikvm offers, then a VM with
# a memory slot and a vCPU, and that vCPU's power-on registers).
#
# Usage: scripts/demo.sh [--kernel VER] [--machine svm|vmx] [--kvm]
#   --machine vmx  boot the Intel VMX machine (Bochs; about 2 minutes) instead
#   --kvm          run the same program against the real KVM modules too
set -eu

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"

KVER="" MACHINE=svm TARGETS=minikvm
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) KVER=$2; shift 2 ;;
	--machine) MACHINE=$2; shift 2 ;;
	--kvm) TARGETS=minikvm,kvm; shift ;;
	*) sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2; exit 2 ;;
	esac
done

scripts/deps.sh build "$MACHINE"
[ -n "$KVER" ] || KVER=$(scripts/kver.sh --headers) || true
[ -n "$KVER" ] || { echo "demo.sh: no kernel with both modules and headers installed" >&2; exit 1; }

make -s module KDIR="/usr/src/linux-headers-$KVER"
make -s user

# The test machine runs the program as a test: a script that calls it.
demo_dir="$TOP/build/demo"
mkdir -p "$demo_dir"
cp build/bin/minikvm-run "$demo_dir/minikvm-run"
cat > "$demo_dir/minikvm-info" <<'SH'
#!/bin/sh
exec /tests/minikvm-run --info --dev "$MINIKVM_DEV"
SH
chmod +x "$demo_dir/minikvm-info"

exec scripts/testvm.sh --machine "$MACHINE" --kernel "$KVER" --targets "$TARGETS" \
	--module "$TOP/minikvm.ko" --out "$TOP/build/testvm/demo-$MACHINE" \
	--file "$demo_dir/minikvm-run" "$demo_dir/minikvm-info"
