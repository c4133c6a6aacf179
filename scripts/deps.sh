#!/bin/bash
# deps.sh - install the Debian packages that minikvm's build and test machines need.
#
# Usage: scripts/deps.sh GROUP...
#   build  compile the module (also through DKMS) and the userspace library/tests
#   svm    the AMD SVM test machine (QEMU/TCG booting Debian's kernel)
#   vmx    the Intel VMX test machine (Bochs booting a GRUB ISO)
#   upstream  Linux 6.1's own KVM selftests (scripts/kvm-selftests.sh)
#   profile   perf, run in the SVM test machine by scripts/profile.sh
#   all    every group above but profile (what scripts/check.sh needs)
#
# Checks with dpkg-query which packages are missing. Nothing missing: prints
# nothing and exits 0. Something missing: as root, runs `apt-get update` once and
# installs it non-interactively; not root, prints the exact sudo command and
# exits 1. linux-image-amd64 and linux-headers-amd64 are always installed together
# (whenever one of them is installed or upgraded, so is the other) so that the
# booted kernel and the headers the module is built against stay the same version.
set -eu

# Packages of each group. xz-utils/zstd decompress kernel modules shipped as
# .ko.xz/.ko.zst by newer kernels (testvm.sh decompresses them on the host).
PKGS_build="gcc make linux-headers-amd64 libelf-dev zlib1g-dev libcmocka-dev pkg-config python3 dkms"
PKGS_svm="qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils zstd"
PKGS_upstream="linux-source-6.1 libc6-dev xz-utils"
PKGS_profile="linux-perf"
PKGS_vmx="bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools linux-image-amd64 busybox-static cpio xz-utils zstd"

usage() {
	sed -n '2,/^set -eu/{/^#/s/^# \{0,1\}//p}' "$0" >&2
	exit 2
}

# is_installed PKG: true if dpkg knows PKG as fully installed.
is_installed() {
	[ "$(dpkg-query -W -f='${db:Status-Abbrev}' "$1" 2>/dev/null)" = "ii " ]
}

# pkg_version PKG: prints the installed version of PKG, or nothing.
pkg_version() {
	if is_installed "$1"; then dpkg-query -W -f='${Version}' "$1"; fi
}

[ $# -ge 1 ] || usage
wanted=""
for group in "$@"; do
	case "$group" in
	build) wanted="$wanted $PKGS_build" ;;
	svm) wanted="$wanted $PKGS_svm" ;;
	vmx) wanted="$wanted $PKGS_vmx" ;;
	upstream) wanted="$wanted $PKGS_upstream" ;;
	profile) wanted="$wanted $PKGS_profile" ;;
	all) wanted="$wanted $PKGS_build $PKGS_svm $PKGS_vmx $PKGS_upstream" ;;
	-h | --help) usage ;;
	*) echo "deps.sh: unknown group '$group' (build, svm, vmx, upstream, profile, all)" >&2; exit 2 ;;
	esac
done

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "deps.sh: dpkg-query not found: this script knows only Debian's packages." >&2
	echo "deps.sh: install the equivalents of:$wanted" >&2
	exit 1
fi

missing=""
# shellcheck disable=SC2086 # $wanted is a word list of package names
for pkg in $(printf "%s\n" $wanted | sort -u); do
	is_installed "$pkg" || missing="$missing $pkg"
done

# Keep the kernel image and headers metapackages in step: if either is going to
# be installed, or both are installed at different versions, install both.
image=linux-image-amd64 headers=linux-headers-amd64
case " $missing " in
*" $image "* | *" $headers "*) pair=1 ;;
*) pair=0 ;;
esac
vi=$(pkg_version $image) vh=$(pkg_version $headers)
if [ -n "$vi" ] && [ -n "$vh" ] && [ "$vi" != "$vh" ]; then
	echo "deps.sh: $image $vi and $headers $vh differ: installing both" >&2
	pair=1
fi
if [ "$pair" = 1 ]; then
	case " $missing " in *" $image "*) ;; *) missing="$missing $image" ;; esac
	case " $missing " in *" $headers "*) ;; *) missing="$missing $headers" ;; esac
fi

[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: not root, so not installing them. Run:" >&2
	echo "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y$missing"
	exit 1
fi

echo "deps.sh: installing:$missing" >&2
apt-get update -q
# shellcheck disable=SC2086 # $missing is a word list of package names
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
