#!/bin/bash
# deps.sh - install the Debian packages that minikvm's build and test machines need.
#
# Usage: scripts/deps.sh GROUP...
#   build  compile the module (also through DKMS) and the userspace library/tests
#   svm    the AMD SVM test machine (QEMU/TCG booting Debian's kernel)
#   vmx    the Intel VMX test machine (Bochs booting a GRUB ISO)
#   upstream  Linux 6.1's own KVM selftests (scripts/kvm-selftests.sh)
#   profile   perf, run in the SVM test machine by scripts/profile.sh
#   k612   the second kernel of the matrix: the newest linux-image-6.12.*-amd64
#          and its linux-headers from Debian's bookworm-backports suite (added
#          to apt's sources, from the archive URI of the existing Debian
#          source, if missing); the 6.1 metapackages are left alone
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
PKGS_build="gcc make sparse linux-headers-amd64 libelf-dev zlib1g-dev libcmocka-dev pkg-config python3 dkms"
PKGS_svm="qemu-system-x86 linux-image-amd64 busybox-static cpio xz-utils zstd"
PKGS_upstream="linux-source-6.1 libc6-dev xz-utils"
PKGS_profile="linux-perf"
PKGS_vmx="bochs bochsbios vgabios grub-pc-bin grub-common xorriso mtools linux-image-amd64 busybox-static cpio xz-utils zstd"
# k612 is resolved at run time (k612_missing): its ABI number changes.
BACKPORTS_LIST=/etc/apt/sources.list.d/minikvm-bookworm-backports.sources

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

# debian_uri: prints the archive URI of the existing source of suite bookworm
# (deb822 .sources files or one-line sources.list), or nothing.
debian_uri() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		# deb822 stanzas: blank-line separated; want one with suite bookworm.
		awk 'BEGIN { RS = ""; FS = "\n" }
		{
			uri = ""; ok = 0
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^URIs:/) { split($i, a, /[ \t]+/); uri = a[2] }
				if ($i ~ /^Suites:/ && $i ~ /[ \t]bookworm([ \t]|$)/) ok = 1
				if ($i ~ /^Enabled:[ \t]*no/) ok = 0
			}
			if (ok && uri != "") { print uri; exit }
		}' "$f"
	done
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/) break
			if ($(i + 1) == "bookworm") { print $i; exit } }'
}

# has_backports: true if apt knows a bookworm-backports source.
has_backports() {
	grep -rqsE '(^|[ \t])bookworm-backports([ \t]|$)' /etc/apt/sources.list \
		/etc/apt/sources.list.d/
}

# k612_installed: prints the newest 6.12 ABI (6.12.N+bpo-amd64) whose image
# and headers are both installed, or nothing.
k612_installed() {
	local v
	for v in $(dpkg-query -W -f='${Package}\n' 'linux-image-6.12.*-amd64' 2>/dev/null |
		sed -n 's/^linux-image-\(6\.12\.[^-]*-amd64\)$/\1/p' | sort -rV); do
		if is_installed "linux-image-$v" && is_installed "linux-headers-$v"; then
			echo "$v"
			return
		fi
	done
}

# k612_candidate: prints the newest 6.12 ABI of the plain amd64 flavour (not
# rt, cloud, -dbg or -unsigned) for which the configured suites offer both
# the image and the headers.
k612_candidate() {
	local v
	for v in $(apt-cache pkgnames linux-image-6.12. 2>/dev/null |
		sed -n 's/^linux-image-\(6\.12\.[^-]*-amd64\)$/\1/p' | sort -rV); do
		if apt-cache show "linux-image-$v" >/dev/null 2>&1 &&
			apt-cache show "linux-headers-$v" >/dev/null 2>&1; then
			echo "$v"
			return
		fi
	done
}

# k612_setup: as root, adds bookworm-backports (main) from the archive URI of
# the existing Debian source and runs apt-get update; prints what it needs
# the linux-image/headers-6.12 package names to install (or nothing).
k612_setup() {
	local uri v
	if ! has_backports; then
		uri=$(debian_uri | head -n 1)
		[ -n "$uri" ] || { echo "deps.sh: no Debian bookworm source found to take the archive URI from" >&2; exit 1; }
		if [ "$(id -u)" -ne 0 ]; then
			echo "deps.sh: the 6.12 kernel needs the bookworm-backports suite; not root. Run:" >&2
			printf 'printf "Types: deb\\nURIs: %s\\nSuites: bookworm-backports\\nComponents: main\\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\\n" | sudo tee %s && sudo apt-get update && sudo scripts/deps.sh k612\n' "$uri" "$BACKPORTS_LIST"
			exit 1
		fi
		echo "deps.sh: adding bookworm-backports (main) from $uri: $BACKPORTS_LIST" >&2
		printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
			"$uri" >"$BACKPORTS_LIST"
		apt-get update -q >&2
		UPDATED=1
	fi
	v=$(k612_candidate)
	if [ -z "$v" ] && [ "$(id -u)" -eq 0 ] && [ "${UPDATED:-0}" = 0 ]; then
		apt-get update -q >&2
		UPDATED=1
		v=$(k612_candidate)
	fi
	[ -n "$v" ] || { echo "deps.sh: bookworm-backports offers no linux-image-6.12.*-amd64" >&2; exit 1; }
	echo "linux-image-$v linux-headers-$v"
}

[ $# -ge 1 ] || usage
wanted=""
k612=0
for group in "$@"; do
	case "$group" in
	build) wanted="$wanted $PKGS_build" ;;
	svm) wanted="$wanted $PKGS_svm" ;;
	vmx) wanted="$wanted $PKGS_vmx" ;;
	upstream) wanted="$wanted $PKGS_upstream" ;;
	profile) wanted="$wanted $PKGS_profile" ;;
	k612) k612=1 ;;
	all) wanted="$wanted $PKGS_build $PKGS_svm $PKGS_vmx $PKGS_upstream"; k612=1 ;;
	-h | --help) usage ;;
	*) echo "deps.sh: unknown group '$group' (build, svm, vmx, upstream, profile, k612, all)" >&2; exit 2 ;;
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

# The 6.12 pair: nothing to do once an image and its headers are installed;
# else resolve the newest one bookworm-backports offers (adding the suite).
UPDATED=0
if [ "$k612" = 1 ] && [ -z "$(k612_installed)" ]; then
	missing="$missing $(k612_setup)"
fi

[ -n "${missing// /}" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing Debian packages:$missing" >&2
	echo "deps.sh: not root, so not installing them. Run:" >&2
	echo "sudo apt-get update && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y$missing"
	exit 1
fi

echo "deps.sh: installing:$missing" >&2
[ "$UPDATED" = 1 ] || apt-get update -q
# shellcheck disable=SC2086 # $missing is a word list of package names
DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
