# SPDX-License-Identifier: GPL-2.0-only
#
# minikvm top-level Makefile.
#
#   make              module + userspace library, runner and selftests
#   make module       minikvm.ko only (kbuild: make -C $(KDIR) M=$(CURDIR))
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

KVER_RUNNING := $(shell uname -r)
ifneq ($(wildcard /lib/modules/$(KVER_RUNNING)/build/Makefile),)
KDIR ?= /lib/modules/$(KVER_RUNNING)/build
else
KDIR ?= $(shell ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1)
endif

O := $(CURDIR)/build

.PHONY: all module user selftests unit check demo diffrun bench fuzz clean

all: module user selftests

module:
	@test -n "$(KDIR)" -a -d "$(KDIR)" || \
		{ echo "minikvm: no kernel headers found (install linux-headers-amd64, or pass KDIR=...)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

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

FUZZ_MACHINE ?= svm
FUZZ_SECONDS ?= 300
fuzz:
	scripts/fuzz.sh --machine $(FUZZ_MACHINE) --seconds $(FUZZ_SECONDS)

clean:
	-test -z "$(KDIR)" || $(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(O)
