// SPDX-License-Identifier: GPL-2.0-only
/*
 * mp_test - MP states (KVM_GET/SET_MP_STATE) and INIT/SIPI through the
 * in-kernel local APIC, KVM 6.1's model (x86.c kvm_arch_vcpu_ioctl_get/
 * set_mpstate, lapic.c kvm_apic_accept_events; Intel SDM Vol. 3A, "MP
 * Initialization Protocol Algorithm for MP Systems"):
 *
 *	no_irqchip	KVM_CAP_MP_STATE is 1; without an irqchip GET says
 *			RUNNABLE, SET takes RUNNABLE only, EINVAL otherwise
 *	states		with one: the BSP starts RUNNABLE, an AP UNINITIALIZED;
 *			SET/GET round trips; SIPI_RECEIVED is INIT_RECEIVED
 *			with a SIPI pending (GET acts on it: RUNNABLE at
 *			0000:0000); unknown and s390 states: EINVAL
 *	init_sipi	the BSP writes the xAPIC ICR: a SIPI alone and an INIT
 *			level de-assert leave the AP UNINITIALIZED, INIT makes
 *			it INIT_RECEIVED, SIPI RUNNABLE at CS = vector << 8,
 *			base vector << 12, RIP 0, where a real-mode stub OUTs
 *	init_sipi_threads  INIT-SIPI-SIPI with the AP asleep in KVM_RUN: it
 *			returns EAGAIN after the INIT (as KVM), then runs the
 *			stub
 *	init_running	INIT to an AP running guest code (another thread) takes
 *			it out of the guest into wait-for-SIPI; the SIPIs
 *			start it at the stub
 *	uninit_signal	KVM_RUN of an UNINITIALIZED AP sleeps; a signal ends it
 *			with EINTR / KVM_EXIT_INTR, the AP still UNINITIALIZED
 *	halted		a vCPU in HLT (IF=0) after a signal reports HALTED;
 *			SET_MP_STATE(RUNNABLE) lets it run on past the HLT
 *	boot_cpu_id	KVM_SET_BOOT_CPU_ID (KVM_CAP_SET_BOOT_CPU_ID 1): EBUSY
 *			once a vCPU exists; the chosen id gets
 *			IA32_APIC_BASE.BSP, RUNNABLE (vCPU 0 UNINITIALIZED)
 *			and LINT0 ExtINT with an irqchip, all RUNNABLE
 *			without; the id is a u32 without a range check
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "minikvm/apic.h"
#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/processor.h"
#include "minikvm/x86_cpuid.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_vm.h"

#define SIPI_VECTOR	0x09		/* the stub at 0x9000, below the image */
#define STUB_PORT	0x99
#define STUB_DATA	0x42

/* xAPIC ICR to physical APIC ID 1. */
static void send_ap(uint32_t icr)
{
	apic_write(APIC_ICR2, 1U << 24);
	apic_write(APIC_ICR, icr);
}

static uint32_t mp_get(struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp = { .mp_state = 0xdead };

	vcpu_ioctl(vcpu, KVM_GET_MP_STATE, &mp);
	return mp.mp_state;
}

static int mp_set(struct kvm_vcpu *vcpu, uint32_t state)
{
	struct kvm_mp_state mp = { .mp_state = state };

	return __vcpu_ioctl(vcpu, KVM_SET_MP_STATE, &mp);
}

/* --- no_irqchip --- */

static void no_irqchip(void)
{
	static const uint32_t apic_only[] = {
		KVM_MP_STATE_UNINITIALIZED, KVM_MP_STATE_INIT_RECEIVED,
		KVM_MP_STATE_HALTED, KVM_MP_STATE_SIPI_RECEIVED,
	};
	struct kvm_vm *vm = vm_create();
	struct kvm_vcpu *bsp = vm_vcpu_add(vm, 0);
	struct kvm_vcpu *ap = vm_vcpu_add(vm, 1);
	unsigned int i;

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_MP_STATE), 1);
	TEST_ASSERT_EQ(mp_get(bsp), KVM_MP_STATE_RUNNABLE);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_RUNNABLE);
	TEST_ASSERT_EQ(mp_set(ap, KVM_MP_STATE_RUNNABLE), 0);
	for (i = 0; i < ARRAY_SIZE(apic_only); i++)
		TEST_ASSERT_ERRNO(mp_set(ap, apic_only[i]), EINVAL,
				  "KVM_SET_MP_STATE without irqchip");
	TEST_ASSERT_ERRNO(mp_set(ap, 100), EINVAL, "unknown MP state");
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_RUNNABLE);
	kvm_vm_free(vm);
}

static void guest_halt(void);

/* --- states --- */

static struct kvm_vm *create_irqchip_vm(struct kvm_vcpu **bsp,
					struct kvm_vcpu **ap, void *code)
{
	struct kvm_vm *vm = vm_create();

	vm_userspace_mem_region_add(vm, 0, 0, 0, GUEST_MEM_SIZE);
	kvm_vm_elf_load(vm, "/proc/self/exe");
	vm_init_long_mode(vm);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	*bsp = vm_vcpu_add_long_mode(vm, 0, code);
	if (ap)
		*ap = vm_vcpu_add(vm, 1);
	virt_pg_map_flags(vm, APIC_GPA, APIC_GPA, PTE_RW);
	return vm;
}

static void states(void)
{
	static const uint32_t round_trip[] = {
		KVM_MP_STATE_RUNNABLE, KVM_MP_STATE_UNINITIALIZED,
		KVM_MP_STATE_INIT_RECEIVED, KVM_MP_STATE_HALTED,
		KVM_MP_STATE_RUNNABLE,
	};
	struct kvm_vcpu *bsp, *ap;
	struct kvm_vm *vm = create_irqchip_vm(&bsp, &ap, guest_halt);
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	unsigned int i;

	TEST_ASSERT_EQ(mp_get(bsp), KVM_MP_STATE_RUNNABLE);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_UNINITIALIZED);
	for (i = 0; i < ARRAY_SIZE(round_trip); i++) {
		TEST_ASSERT_EQ(mp_set(ap, round_trip[i]), 0);
		TEST_ASSERT_EQ(mp_get(ap), round_trip[i]);
	}
	TEST_ASSERT_ERRNO(mp_set(ap, KVM_MP_STATE_STOPPED), EINVAL,
			  "s390's STOPPED");
	TEST_ASSERT_ERRNO(mp_set(ap, 100), EINVAL, "unknown MP state");
	TEST_ASSERT_ERRNO(mp_set(ap, ~0U), EINVAL, "unknown MP state");
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_RUNNABLE);

	/* SIPI_RECEIVED: no SIPI came yet, so vector 0. */
	TEST_ASSERT_EQ(mp_set(ap, KVM_MP_STATE_SIPI_RECEIVED), 0);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_RUNNABLE);
	vcpu_sregs_get(ap, &sregs);
	vcpu_regs_get(ap, &regs);
	TEST_ASSERT_EQ(sregs.cs.selector, 0);
	TEST_ASSERT_EQ(sregs.cs.base, 0);
	TEST_ASSERT_EQ(regs.rip, 0);
	kvm_vm_free(vm);
}

/* --- init_sipi --- */

static void guest_bsp(void)
{
	apic_write(APIC_SVR, 0x1ff);
	send_ap(ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);	/* not in WFS */
	send_ap(ICR_INIT | ICR_LEVEL);				/* de-assert */
	GUEST_SYNC(1);
	send_ap(ICR_INIT | ICR_ASSERT);
	GUEST_SYNC(2);
	send_ap(ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);
	send_ap(ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);
	GUEST_DONE();
}

/* Real mode at SIPI_VECTOR << 12: mov al, STUB_DATA; out STUB_PORT, al; hlt */
static void put_stub(struct kvm_vm *vm)
{
	static const uint8_t stub[] = {
		0xb0, STUB_DATA, 0xe6, STUB_PORT, 0xf4,
	};

	memcpy(addr_gpa2hva(vm, SIPI_VECTOR << 12), stub, sizeof(stub));
}

/* The AP is at the stub's OUT: where the SIPI said. */
static void check_ap_at_stub(struct kvm_vcpu *ap)
{
	struct kvm_run *run = ap->run;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	TEST_ASSERT_EQ(run->exit_reason, KVM_EXIT_IO);
	TEST_ASSERT_EQ(run->io.direction, KVM_EXIT_IO_OUT);
	TEST_ASSERT_EQ(run->io.port, STUB_PORT);
	TEST_ASSERT_EQ(run->io.size, 1);
	TEST_ASSERT_EQ(*((uint8_t *)run + run->io.data_offset), STUB_DATA);
	vcpu_sregs_get(ap, &sregs);
	vcpu_regs_get(ap, &regs);
	TEST_ASSERT_EQ(sregs.cs.selector, SIPI_VECTOR << 8);
	TEST_ASSERT_EQ(sregs.cs.base, SIPI_VECTOR << 12);
	TEST_ASSERT_EQ(sregs.cr0 & 1, 0);	/* real mode */
	/* RIP 0 at the SIPI; at the OUT (2) or past it (4). */
	TEST_ASSERT(regs.rip == 2 || regs.rip == 4, "AP RIP 0x%llx",
		    (unsigned long long)regs.rip);
}

static void init_sipi(void)
{
	struct kvm_vcpu *bsp, *ap;
	struct kvm_vm *vm = create_irqchip_vm(&bsp, &ap, guest_bsp);

	put_stub(vm);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_UNINITIALIZED);
	vcpu_run_expect_sync(bsp, 1);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_UNINITIALIZED);
	vcpu_run_expect_sync(bsp, 2);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_INIT_RECEIVED);
	vcpu_run_expect_done(bsp);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_RUNNABLE);
	vcpu_run(ap);
	check_ap_at_stub(ap);
	kvm_vm_free(vm);
}

/* --- init_sipi_threads --- */

/* Only INIT-SIPI-SIPI: the AP is woken once (one EAGAIN, on either). */
static void guest_bsp_plain(void)
{
	apic_write(APIC_SVR, 0x1ff);
	send_ap(ICR_INIT | ICR_ASSERT);
	send_ap(ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);
	send_ap(ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);
	GUEST_DONE();
}

static void *bsp_thread(void *arg)
{
	struct kvm_vcpu *bsp = arg;
	struct timespec ts = { .tv_nsec = 50 * 1000 * 1000 };

	/* Let the AP fall asleep in KVM_RUN first (not needed for success). */
	nanosleep(&ts, NULL);
	vcpu_run_expect_done(bsp);
	return NULL;
}

static void init_sipi_threads(void)
{
	struct kvm_vcpu *bsp, *ap;
	struct kvm_vm *vm = create_irqchip_vm(&bsp, &ap, guest_bsp_plain);
	int r, eagain = 0;
	pthread_t t;

	put_stub(vm);
	TEST_ASSERT(!pthread_create(&t, NULL, bsp_thread, bsp),
		    "pthread_create");
	for (;;) {
		r = __vcpu_run(ap);
		if (!r)
			break;
		TEST_ASSERT_ERRNO(r, EAGAIN, "KVM_RUN of the AP");
		TEST_ASSERT(++eagain <= 3, "KVM_RUN: EAGAIN %d times", eagain);
	}
	TEST_ASSERT(eagain >= 1, "KVM_RUN of an UNINITIALIZED AP: no EAGAIN");
	check_ap_at_stub(ap);
	TEST_ASSERT(!pthread_join(t, NULL), "pthread_join");
	kvm_vm_free(vm);
}

/* --- init_running --- */

static volatile uint64_t ap_spinning;

static void guest_ap_spin(void)
{
	for (;;) {
		ap_spinning = 1;
		asm volatile("pause" : : : "memory");
	}
}

static void guest_bsp_running(void)
{
	apic_write(APIC_SVR, 0x1ff);
	while (!ap_spinning)
		asm volatile("pause" : : : "memory");
	send_ap(ICR_INIT | ICR_ASSERT);
	send_ap(ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);
	send_ap(ICR_STARTUP | ICR_ASSERT | SIPI_VECTOR);
	GUEST_DONE();
}

static void *bsp_running_thread(void *arg)
{
	vcpu_run_expect_done(arg);
	return NULL;
}

static void init_running(void)
{
	struct kvm_vcpu *bsp, *ap;
	struct kvm_vm *vm = create_irqchip_vm(&bsp, NULL, guest_bsp_running);
	pthread_t t;

	ap = vm_vcpu_add_long_mode(vm, 1, guest_ap_spin);
	put_stub(vm);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_UNINITIALIZED);
	TEST_ASSERT_EQ(mp_set(ap, KVM_MP_STATE_RUNNABLE), 0);
	TEST_ASSERT(!pthread_create(&t, NULL, bsp_running_thread, bsp),
		    "pthread_create");
	vcpu_run(ap);
	check_ap_at_stub(ap);
	TEST_ASSERT(!pthread_join(t, NULL), "pthread_join");
	kvm_vm_free(vm);
}

/* --- boot_cpu_id --- */

static void guest_is_bsp(void)
{
	GUEST_ASSERT(rdmsr(MSR_IA32_APICBASE) & APIC_BASE_BSP);
	GUEST_DONE();
}

static bool has_bsp_flag(struct kvm_vcpu *vcpu)
{
	return vcpu_get_msr(vcpu, MSR_IA32_APICBASE) & APIC_BASE_BSP;
}

static uint32_t lvt0(struct kvm_vcpu *vcpu)
{
	struct kvm_lapic_state st;

	vcpu_ioctl(vcpu, KVM_GET_LAPIC, &st);
	return *(uint32_t *)(st.regs + APIC_LVT0);
}

static void boot_cpu_id(void)
{
	struct kvm_vcpu *v0, *v1;
	struct kvm_vm *vm;

	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_SET_BOOT_CPU_ID), 1);

	/* With an irqchip: vCPU 1 is the BSP and runs, vCPU 0 waits. */
	vm = vm_create();
	vm_userspace_mem_region_add(vm, 0, 0, 0, GUEST_MEM_SIZE);
	kvm_vm_elf_load(vm, "/proc/self/exe");
	vm_init_long_mode(vm);
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	TEST_ASSERT_EQ(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 0), 0);
	TEST_ASSERT_EQ(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 1), 0);
	v0 = vm_vcpu_add(vm, 0);
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 0), EBUSY,
			  "KVM_SET_BOOT_CPU_ID after a vCPU");
	v1 = vm_vcpu_add_long_mode(vm, 1, guest_is_bsp);
	TEST_ASSERT(!has_bsp_flag(v0), "vCPU 0 has IA32_APIC_BASE.BSP");
	TEST_ASSERT(has_bsp_flag(v1), "vCPU 1 lacks IA32_APIC_BASE.BSP");
	TEST_ASSERT_EQ(mp_get(v0), KVM_MP_STATE_UNINITIALIZED);
	TEST_ASSERT_EQ(mp_get(v1), KVM_MP_STATE_RUNNABLE);
	/* The ExtINT LINT0 of KVM's LINT0_REENABLED quirk: the BSP's. */
	TEST_ASSERT_EQ(lvt0(v0), LVT_MASKED);
	TEST_ASSERT_EQ(lvt0(v1), 0x700);
	vcpu_run_expect_done(v1);
	kvm_vm_free(vm);

	/* Without one: every vCPU RUNNABLE, the flag as chosen. */
	vm = vm_create();
	TEST_ASSERT_EQ(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 1), 0);
	v0 = vm_vcpu_add(vm, 0);
	v1 = vm_vcpu_add(vm, 1);
	TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 1), EBUSY,
			  "KVM_SET_BOOT_CPU_ID after vCPUs");
	TEST_ASSERT(!has_bsp_flag(v0), "vCPU 0 has IA32_APIC_BASE.BSP");
	TEST_ASSERT(has_bsp_flag(v1), "vCPU 1 lacks IA32_APIC_BASE.BSP");
	TEST_ASSERT_EQ(mp_get(v0), KVM_MP_STATE_RUNNABLE);
	TEST_ASSERT_EQ(mp_get(v1), KVM_MP_STATE_RUNNABLE);
	kvm_vm_free(vm);

	/*
	 * The id is a u32, unchecked: bits above 31 are dropped (KVM 6.1;
	 * 6.12 refuses such an id with EINVAL)...
	 */
	vm = vm_create();
	if (kvm_dev_is_kvm_6_12()) {
		TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 0x100000001UL),
				  EINVAL, "KVM_SET_BOOT_CPU_ID above 32 bits");
	} else {
		TEST_ASSERT_EQ(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 0x100000001UL), 0);
		v0 = vm_vcpu_add(vm, 0);
		v1 = vm_vcpu_add(vm, 1);
		TEST_ASSERT(!has_bsp_flag(v0), "vCPU 0 has IA32_APIC_BASE.BSP");
		TEST_ASSERT(has_bsp_flag(v1), "vCPU 1 lacks IA32_APIC_BASE.BSP");
	}
	kvm_vm_free(vm);

	/*
	 * ...and an id no vCPU has leaves the VM without a BSP (KVM 6.12
	 * refuses an id beyond KVM_CAP_MAX_VCPU_ID: EINVAL).
	 */
	vm = vm_create();
	vm_ioctl(vm, KVM_CREATE_IRQCHIP, 0);
	if (kvm_dev_is_kvm_6_12()) {
		TEST_ASSERT_ERRNO(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 0xffffffffUL),
				  EINVAL, "KVM_SET_BOOT_CPU_ID 0xffffffff");
		kvm_vm_free(vm);
		return;
	}
	TEST_ASSERT_EQ(__vm_ioctl(vm, KVM_SET_BOOT_CPU_ID, 0xffffffffUL), 0);
	v0 = vm_vcpu_add(vm, 0);
	TEST_ASSERT(!has_bsp_flag(v0), "vCPU 0 has IA32_APIC_BASE.BSP");
	TEST_ASSERT_EQ(mp_get(v0), KVM_MP_STATE_UNINITIALIZED);
	kvm_vm_free(vm);
}

/* --- halted --- */

static void guest_halt(void)
{
	asm volatile("cli; hlt" : : : "memory");
	GUEST_DONE();
}

static void uninit_signal(void)
{
	struct kvm_vcpu *bsp, *ap;
	struct kvm_vm *vm = create_irqchip_vm(&bsp, &ap, guest_halt);
	struct signal_later sl;

	signal_later_start(&sl);
	TEST_ASSERT_ERRNO(__vcpu_run(ap), EINTR, "KVM_RUN, UNINITIALIZED");
	TEST_ASSERT_EQ(ap->run->exit_reason, KVM_EXIT_INTR);
	signal_later_join(&sl);
	TEST_ASSERT_EQ(mp_get(ap), KVM_MP_STATE_UNINITIALIZED);
	kvm_vm_free(vm);
}

static void halted(void)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = create_irqchip_vm(&vcpu, NULL, guest_halt);
	struct signal_later sl;

	signal_later_start(&sl);
	TEST_ASSERT_ERRNO(__vcpu_run(vcpu), EINTR, "KVM_RUN in HLT, signal");
	TEST_ASSERT_EQ(vcpu->run->exit_reason, KVM_EXIT_INTR);
	signal_later_join(&sl);
	TEST_ASSERT_EQ(mp_get(vcpu), KVM_MP_STATE_HALTED);
	TEST_ASSERT_EQ(mp_set(vcpu, KVM_MP_STATE_RUNNABLE), 0);
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
}

static const struct kvm_test tests[] = {
	KVM_TEST(no_irqchip),
	KVM_TEST(states),
	KVM_TEST(init_sipi),
	KVM_TEST(init_sipi_threads),
	KVM_TEST(init_running),
	KVM_TEST(uninit_signal),
	KVM_TEST(halted),
	KVM_TEST(boot_cpu_id),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
