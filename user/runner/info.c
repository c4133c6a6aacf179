// SPDX-License-Identifier: GPL-2.0-only
/*
 * info.c - minikvm-run --info: API version, vCPU mmap size, capabilities,
 * then one VM with a 64 KiB slot and one vCPU whose reset registers are
 * printed decoded.  Errors end the program through TEST_ASSERT (exit 1);
 * a missing device exits 4 like a skipped test.
 */
#include <stdio.h>
#include <unistd.h>

#include "minikvm/kvm_util.h"
#include "minikvm/processor.h"
#include "runner.h"

#define INFO_SLOT_SIZE	(64 * 1024)	/* the memory slot --info creates */

/* Prints the host CPU's vendor string and the virtualisation it offers. */
static void print_host(void)
{
	struct cpuid_regs r;
	char vendor[13] = "";

	host_cpuid(0, 0, &r);
	snprintf(vendor, sizeof(vendor), "%.4s%.4s%.4s", (char *)&r.ebx,
		 (char *)&r.edx, (char *)&r.ecx);
	printf("host CPU:        %s%s%s, MAXPHYADDR %u\n", vendor,
	       host_cpu_has(X86_FEATURE_VMX) ? ", VMX" : "",
	       host_cpu_has(X86_FEATURE_SVM) ? ", SVM" : "", host_maxphyaddr());
}

/* Prints KVM_CHECK_EXTENSION of the common capabilities on @fd. */
static void print_caps(int fd)
{
	const long *cap;

	printf("capabilities (KVM_CHECK_EXTENSION on the system fd):\n");
	for (cap = kvm_common_caps; *cap >= 0; cap++) {
		int v = __kvm_check_cap_fd(fd, *cap);

		if (v < 0)
			printf("  %-36s (%3ld) error %s\n", kvm_cap_name(*cap),
			       *cap, errno_name(errno));
		else
			printf("  %-36s (%3ld) %d\n", kvm_cap_name(*cap), *cap, v);
	}
}

int run_info(const struct run_opts *opts)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	int fd, v;

	(void)opts;
	fd = open_kvm_dev();
	printf("device:          %s (%s)\n", kvm_dev_path(),
	       kvm_dev_is_minikvm() ? "minikvm" : "KVM");
	print_host();
	printf("API version:     %d\n", (int)kvm_ioctl(fd, KVM_GET_API_VERSION, 0));
	v = kvm_ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	printf("vCPU mmap size:  %d bytes (%d pages)\n", v,
	       v / (int)PAGE_SIZE_4K);
	print_caps(fd);
	close(fd);

	vm = vm_create();
	vm_userspace_mem_region_add(vm, 0, 0, 0, INFO_SLOT_SIZE);
	vcpu = vm_vcpu_add(vm, 0);
	printf("VM: fd %d, slot 0 = %d KiB at gpa 0, vCPU 0 fd %d\n", vm->fd,
	       INFO_SLOT_SIZE / 1024, vcpu->fd);

	vcpu_regs_get(vcpu, &regs);
	printf("vCPU 0 registers after reset (KVM_GET_REGS):\n");
	x86_regs_dump(stdout, &regs, "  ");
	vcpu_sregs_get(vcpu, &sregs);
	printf("vCPU 0 special registers after reset (KVM_GET_SREGS):\n");
	x86_sregs_dump(stdout, &sregs, "  ");

	kvm_vm_free(vm);
	return 0;
}
