# SPDX-License-Identifier: GPL-2.0-only
#
# minikvm top-level Makefile.
#
#   make              module + userspace library, runner and selftests
#   make module       minikvm.ko only (kbuild: make -C $(KDIR) M=$(CURDIR)), or
#                     MODDIR/minikvm.ko with MODDIR=DIR (see below)
#   make user         build/user/libminikvm.a, build/bin/minikvm-run, -stat, -bench
#   make selftests    build/selftests/* (static) and build/unit/* (cmocka)
#   make check        every test: unit tests, then both test machines
#   make demo         the main job: boot the SVM test machine, show minikvm
#   make diffrun      differential run on the SVM test machine: every selftest's
#                     exits on minikvm and on KVM, compared (scripts/diffrun.sh;
#                     DIFFRUN_MACHINE=vmx for Bochs)
#   make bench        benchmarks, minikvm against KVM in one boot of the SVM
#                     test machine (scripts/bench.sh; BENCH_MACHINE=vmx for
#                     Bochs)
#   make install      minikvm.ko into /lib/modules/KVER/updates (depmod), the
#                     tools into $(PREFIX)/bin, the demo guests into
#                     $(PREFIX)/share/minikvm; DESTDIR= stages it all (no
#                     depmod then); make uninstall takes it back out
#   make install-udev   the udev rule giving group minikvm /dev/minikvm
#                     (0660), and the group; make install-autoload loads the
#                     module at boot (modules-load.d).  Neither is part of
#                     install.
#   make clean
#
# KDIR: the running kernel's build directory when it exists, else the newest
# Debian headers under /usr/src (the test machines' kernel).  Override with
# make KDIR=/usr/src/linux-headers-VERSION.
#
# MODDIR: where kbuild puts the objects and minikvm.ko; by default the source
# tree itself (./minikvm.ko, what the scripts load).  Another directory gets
# a tree of symbolic links to the module's sources, and kbuild builds there,
# so that modules for several kernels live side by side without clobbering
# each other (scripts/check.sh builds the second kernel's as
# build/kmod/VERSION/minikvm.ko):
#   make module KDIR=/usr/src/linux-headers-VERSION MODDIR=build/kmod/VERSION

KVER_RUNNING := $(shell uname -r)
ifneq ($(wildcard /lib/modules/$(KVER_RUNNING)/build/Makefile),)
KDIR ?= /lib/modules/$(KVER_RUNNING)/build
else
KDIR ?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
endif

O := $(CURDIR)/build
MODDIR ?= $(CURDIR)
MODDIR_ABS := $(abspath $(MODDIR))
# The module's sources, linked into MODDIR when it is not the source tree.
MOD_SRCS = Kbuild dkms.conf $(shell cd $(CURDIR) && find kmod arch include -type f \
	\( -name '*.[chS]' -o -name '*.lds' \) 2>/dev/null)

.PHONY: all module user selftests unit check demo diffrun bench fuzz clean \
	install uninstall install-udev install-autoload

all: module user selftests

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "minikvm: no kernel headers found (install linux-headers-amd64, or pass KDIR=...)" >&2; exit 1; }
ifeq ($(MODDIR_ABS),$(CURDIR))
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
else
	@for f in $(MOD_SRCS); do \
		mkdir -p "$(MODDIR_ABS)/$$(dirname $$f)" && \
		ln -sfn "$(CURDIR)/$$f" "$(MODDIR_ABS)/$$f" || exit 1; \
	done
	@find -L "$(MODDIR_ABS)" -type l -delete	# sources removed since
	$(MAKE) -C $(KDIR) M=$(MODDIR_ABS) modules
endif

user:
	$(MAKE) -C user O=$(O)

selftests: user
	$(MAKE) -C selftests O=$(O)

unit: selftests
	$(MAKE) -C selftests O=$(O) run-unit

check:
	scripts/check.sh

demo:
	scripts/demo.sh

DIFFRUN_MACHINE ?= svm
diffrun:
	scripts/diffrun.sh --machine $(DIFFRUN_MACHINE)

BENCH_MACHINE ?= svm
bench:
	scripts/bench.sh --machine $(BENCH_MACHINE)

# FUZZ_SECONDS: the test machine's clock; empty: fuzz.sh's default for it.
FUZZ_MACHINE ?= svm
FUZZ_SECONDS ?=
fuzz:
	scripts/fuzz.sh --machine $(FUZZ_MACHINE) $(if $(FUZZ_SECONDS),--seconds $(FUZZ_SECONDS))

# Installation.  KVER is the release of the kernel KDIR builds for (from its
# utsrelease.h: Debian's headers have a different include/config/
# kernel.release), given to kbuild's modules_install as KERNELRELEASE.
# kbuild signs at modules_install when CONFIG_MODULE_SIG_ALL is set, with
# the key the kernel was built with: distribution headers do not have it,
# so then no signing (for Secure Boot see README.md, "Secure Boot").
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"$$/\1/p' \
	       $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
DESTDIR ?=
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/minikvm
INSTALL_MOD_PATH ?= $(DESTDIR)
INSTALL_MOD_DIR ?= updates
UDEV_RULES_DIR ?= /etc/udev/rules.d
MODULES_LOAD_DIR ?= /etc/modules-load.d
TOOLS := minikvm-run minikvm-stat minikvm-bench
DEMOS := demo.bin demo64.elf loop64.elf
MODFILE := $(INSTALL_MOD_PATH)/lib/modules/$(KVER)/$(INSTALL_MOD_DIR)/minikvm.ko

install: module user
	@test -n "$(KVER)" || { echo "minikvm: no kernel release in $(KDIR)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) KERNELRELEASE=$(KVER) \
		$(if $(wildcard $(KDIR)/certs/signing_key.pem),,CONFIG_MODULE_SIG_ALL=) \
		INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) modules_install
	test -n "$(DESTDIR)" || depmod -a $(KVER)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)
	install -m 0755 $(addprefix $(O)/bin/,$(TOOLS)) $(DESTDIR)$(BINDIR)
	install -m 0644 $(addprefix $(O)/runner/,$(DEMOS)) $(DESTDIR)$(DATADIR)

uninstall:
	rm -f $(MODFILE) $(MODFILE).xz $(MODFILE).zst $(MODFILE).gz
	test -n "$(DESTDIR)" || test -z "$(KVER)" || depmod -a $(KVER)
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(TOOLS))
	rm -f $(addprefix $(DESTDIR)$(DATADIR)/,$(DEMOS))
	-rmdir $(DESTDIR)$(DATADIR) 2>/dev/null
	rm -f $(DESTDIR)$(UDEV_RULES_DIR)/60-minikvm.rules \
		$(DESTDIR)$(MODULES_LOAD_DIR)/minikvm.conf

# The group only on the real system (not staged); udev re-reads its rules
# and applies them to a /dev/minikvm that already exists.
install-udev:
	install -D -m 0644 packaging/60-minikvm.rules \
		$(DESTDIR)$(UDEV_RULES_DIR)/60-minikvm.rules
	test -n "$(DESTDIR)" || getent group minikvm >/dev/null || \
		groupadd --system minikvm
	test -n "$(DESTDIR)" || ! command -v udevadm >/dev/null || \
		{ udevadm control --reload && \
		  udevadm trigger --subsystem-match=misc --sysname-match=minikvm; } || true

install-autoload:
	install -D -m 0644 packaging/minikvm-modules-load.conf \
		$(DESTDIR)$(MODULES_LOAD_DIR)/minikvm.conf

clean:
	-test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(O)
