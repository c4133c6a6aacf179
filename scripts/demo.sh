#!/bin/bash
# demo.sh - README's main-job command: build minikvm, boot the AMD SVM test
# machine (QEMU/TCG with SVM and nested paging), load minikvm.ko and show it
# at work: `minikvm-run --info` (what /dev/minikvm offers), then two small
# guests run through minikvm with every exit printed: a real-mode one and a
# long-mode one, each printing on its serial port before HLT.
#
# Usage: scripts/demo.sh [--kernel VER] [--machine svm|vmx] [--kvm]
#   --machine vmx  boot the Intel VMX machine (Bochs; about 2 minutes) instead
#                  (minikvm has no KVM_RUN on VMX yet: the guests need --kvm)
#   --kvm          run the same programs against the real KVM modules too
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

# The test machine runs the programs as tests: scripts that call them.
demo_dir="$TOP/build/demo"
mkdir -p "$demo_dir"
cat > "$demo_dir/minikvm-info" <<'SH'
#!/bin/sh
dmesg | grep -E 'minikvm|kvm' | sed 's/^/dmesg: /'
exec /tests/minikvm-run --info --dev "$MINIKVM_DEV"
SH
cat > "$demo_dir/guest-real-mode" <<'SH'
#!/bin/sh
# A 16-bit guest: prints through port 0x3f8, then HLT; every exit is shown.
exec /tests/minikvm-run --guest /tests/demo.bin --dev "$MINIKVM_DEV" 2>&1
SH
cat > "$demo_dir/guest-long-mode" <<'SH'
#!/bin/sh
# A 64-bit ELF guest set up by the runner's page tables and descriptors.
exec /tests/minikvm-run --guest /tests/demo64.elf --dev "$MINIKVM_DEV" 2>&1
SH
chmod +x "$demo_dir"/minikvm-info "$demo_dir"/guest-*

exec scripts/testvm.sh --machine "$MACHINE" --kernel "$KVER" --targets "$TARGETS" \
	--module "$TOP/minikvm.ko" --out "$TOP/build/testvm/demo-$MACHINE" \
	--file build/bin/minikvm-run --file build/runner/demo.bin \
	--file build/runner/demo64.elf \
	"$demo_dir/minikvm-info" "$demo_dir/guest-real-mode" "$demo_dir/guest-long-mode"
