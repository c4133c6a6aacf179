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
MOD_SRCS = Kbuild $(shell cd $(CURDIR) && find kmod arch include -type f \
	\( -name '*.[chS]' -o -name '*.lds' \) 2>/dev/null)

.PHONY: all module user selftests unit check demo diffrun bench clean

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

clean:
	-test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(O)
