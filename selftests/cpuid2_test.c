// SPDX-License-Identifier: GPL-2.0-only
/*
 * cpuid2_test - KVM_GET_SUPPORTED_CPUID, KVM_SET_CPUID2 / KVM_GET_CPUID2
 * and the guest CPUID they give, with KVM 6.1's rules (arch/x86/kvm/
 * cpuid.c kvm_dev_ioctl_get_cpuid(), kvm_set_cpuid(),
 * kvm_vcpu_ioctl_get_cpuid2()):
 *
 *  - supported: nent 0 or too small is E2BIG with nent unchanged, a nent
 *    above KVM_MAX_CPUID_ENTRIES is capped, leaves 0 and 1 present with
 *    the hypervisor bit, leaf 7 flagged KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
 *  - SET/GET round trip, E2BIG (more than 256 entries; a GET buffer too
 *    small), EFAULT, EINVAL for a linear-address size
 *    other than 48/57 in 80000008H, with the table left as it was;
 *  - the guest sees the table: a changed brand string, the APIC ID field
 *    as given, zeros for absent leaves and subleaves, OSXSAVE following
 *    CR4 (clear here);
 *  - the local APIC: APIC as the host has it, x2APIC always, TSC-deadline
 *    never in the supported table (KVM_CAP_TSC_DEADLINE_TIMER is 1); the
 *    guest's leaf 1 EDX.APIC follows IA32_APIC_BASE's enable;
 *  - enforcement: without LM in the guest CPUID, a guest WRMSR of EFER
 *    with LME is #GP; without NX, EFER.NXE is #GP; SCE needs nothing
 *    (as KVM); MAXPHYADDR follows 80000008H (CR3 and MTRR checks);
 *  - after the first KVM_RUN only an identical table is accepted.
 * KVM_GET_CPUID2 never changes the nent userspace passed (KVM 6.1 updates
 * only its own copy), so the tables are compared over the entries set.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "minikvm/kvm_util.h"
#include "minikvm/msr_index.h"
#include "minikvm/processor.h"
#include "minikvm/test_list.h"
#include "minikvm/ucall.h"
#include "minikvm/x86_cpuid.h"
#include "minikvm/x86_vm.h"

#define E1_EDX_NX		(1u << 20)
#define E1_EDX_LM		(1u << 29)
#define E1_EDX_SYSCALL		(1u << 11)

static void supported_cpuid(void)
{
	struct kvm_cpuid2 *c = allocate_kvm_cpuid2(1000);
	const struct kvm_cpuid_entry2 *e;
	unsigned int n;

	c->nent = 0;
	TEST_ASSERT_EQ(__kvm_get_supported_cpuid(c), -1);
	TEST_ASSERT_EQ(errno, E2BIG);
	c->nent = 1;
	TEST_ASSERT_EQ(__kvm_get_supported_cpuid(c), -1);
	TEST_ASSERT_EQ(errno, E2BIG);
	TEST_ASSERT_EQ(c->nent, 1);		/* unchanged */
	c->nent = 1000;				/* capped at 256, not refused */
	TEST_ASSERT_EQ(__kvm_get_supported_cpuid(c), 0);
	n = c->nent;
	ksft_print_msg("supported CPUID: %u entries\n", n);
	TEST_ASSERT(n > 2 && n <= KVM_MAX_CPUID_ENTRIES, "nent %u", n);
	c->nent = n;				/* exactly enough */
	TEST_ASSERT_EQ(__kvm_get_supported_cpuid(c), 0);
	TEST_ASSERT_EQ(c->nent, n);
	TEST_ASSERT(cpuid_entry_find(c, 0, 0), "no leaf 0");
	e = cpuid_entry_find(c, 1, 0);
	TEST_ASSERT(e, "no leaf 1");
	/* minikvm announces a hypervisor; KVM 6.1 leaves that to userspace. */
	if (kvm_dev_is_minikvm())
		TEST_ASSERT(e->ecx & 1u << 31, "leaf 1 without hypervisor bit");
	e = cpuid_entry_find(c, 7, 0);
	if (e)
		TEST_ASSERT(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX,
			    "leaf 7 flags 0x%x", e->flags);
	TEST_ASSERT_EQ(ioctl(open_kvm_dev(), KVM_GET_SUPPORTED_CPUID, NULL), -1);
	TEST_ASSERT_EQ(errno, EFAULT);
	free(c);
}

/* @a holds @b's entries first, field by field (not the padding). */
static void assert_same_table(const struct kvm_cpuid2 *a,
			      const struct kvm_cpuid2 *b)
{
	unsigned int i;

	TEST_ASSERT(a->nent >= b->nent, "nent %u < %u", a->nent, b->nent);
	for (i = 0; i < b->nent; i++) {
		const struct kvm_cpuid_entry2 *x = &a->entries[i], *y = &b->entries[i];
		/*
		 * Leaf 0xD subleaves 0 and 1: EBX is the XSAVE area size for
		 * the XCR0 (and XSS) in force, which KVM rewrites in its copy
		 * of the table (minikvm computes it when the guest asks).
		 */
		bool xsave_size = x->function == 0xd && x->index <= 1;

		TEST_ASSERT(x->function == y->function && x->index == y->index &&
			    x->flags == y->flags && x->eax == y->eax &&
			    (x->ebx == y->ebx || xsave_size) && x->ecx == y->ecx &&
			    x->edx == y->edx, "entry %u (leaf 0x%x) differs",
			    i, x->function);
	}
}

static void set_get_roundtrip(void)
{
	const struct kvm_cpuid2 *sup = kvm_get_supported_cpuid();
	struct kvm_cpuid2 *big = allocate_kvm_cpuid2(KVM_MAX_CPUID_ENTRIES + 1);
	struct kvm_cpuid2 *out = allocate_kvm_cpuid2(KVM_MAX_CPUID_ENTRIES);
	struct kvm_cpuid2 *bad = kvm_cpuid2_dup(sup);
	struct kvm_cpuid_entry2 *e;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create();
	void *unmapped;

	vcpu = vm_vcpu_add(vm, 0);
	TEST_ASSERT_EQ(__vcpu_set_cpuid(vcpu, big), -1);
	TEST_ASSERT_EQ(errno, E2BIG);
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_ASSERT_EQ(__vcpu_set_cpuid(vcpu, unmapped), -1);
	TEST_ASSERT_EQ(errno, EFAULT);
	vcpu_set_cpuid(vcpu, sup);

	out->nent = sup->nent - 1;
	TEST_ASSERT_EQ(__vcpu_get_cpuid(vcpu, out), -1);
	TEST_ASSERT_EQ(errno, E2BIG);
	TEST_ASSERT_EQ(out->nent, sup->nent - 1);	/* unchanged */
	out->nent = sup->nent;				/* exactly enough */
	TEST_ASSERT_EQ(__vcpu_get_cpuid(vcpu, out), 0);
	TEST_ASSERT_EQ(out->nent, sup->nent);
	assert_same_table(out, sup);
	out->nent = KVM_MAX_CPUID_ENTRIES;
	TEST_ASSERT_EQ(__vcpu_get_cpuid(vcpu, out), 0);
	/* Not updated on KVM 6.1; 6.12 writes back the count. */
	TEST_ASSERT_EQ(out->nent, kvm_dev_is_kvm_6_12() ? sup->nent :
		       KVM_MAX_CPUID_ENTRIES);
	assert_same_table(out, sup);

	/* 80000008H EAX[15:8], the linear address size: 48 or 57 only. */
	e = cpuid_entry_find(bad, 0x80000008, 0);
	if (e) {
		e->eax = (e->eax & ~0xff00u) | 40 << 8;
		TEST_ASSERT_EQ(__vcpu_set_cpuid(vcpu, bad), -1);
		TEST_ASSERT_EQ(errno, EINVAL);
		out->nent = KVM_MAX_CPUID_ENTRIES;
		TEST_ASSERT_EQ(__vcpu_get_cpuid(vcpu, out), 0);
		assert_same_table(out, sup);		/* left as it was */
	}
	/* An empty table is allowed before KVM_RUN; nothing is copied out. */
	bad->nent = 0;
	vcpu_set_cpuid(vcpu, bad);
	memset(out->entries, 0xa5, sizeof(out->entries[0]));
	out->nent = 1;
	TEST_ASSERT_EQ(__vcpu_get_cpuid(vcpu, out), 0);
	TEST_ASSERT_EQ(out->entries[0].function, 0xa5a5a5a5);
	kvm_vm_free(vm);
	free(big);
	free(out);
	free(bad);
}

/* --- the local APIC's bits --- */

#define L1_EDX_APIC		(1u << 9)
#define L1_ECX_X2APIC		(1u << 21)
#define L1_ECX_TSC_DEADLINE	(1u << 24)
#define E1_EDX_APIC		(1u << 9)

/*
 * As KVM 6.1's kvm_set_cpu_caps(): APIC as the host has it (leaf 1 and
 * AMD's 80000001H copy), x2APIC always (emulated), TSC-deadline never
 * (KVM_CAP_TSC_DEADLINE_TIMER says it instead).
 */
static void supported_apic(void)
{
	const struct kvm_cpuid2 *c = kvm_get_supported_cpuid();
	const struct kvm_cpuid_entry2 *e = cpuid_entry_find(c, 1, 0);
	struct cpuid_regs h;

	TEST_ASSERT(e, "no leaf 1");
	host_cpuid(1, 0, &h);
	TEST_ASSERT_EQ(e->edx & L1_EDX_APIC, h.edx & L1_EDX_APIC);
	TEST_ASSERT(e->ecx & L1_ECX_X2APIC, "leaf 1 ECX 0x%x: no x2APIC", e->ecx);
	TEST_ASSERT(!(e->ecx & L1_ECX_TSC_DEADLINE),
		    "leaf 1 ECX 0x%x: TSC-deadline", e->ecx);
	TEST_ASSERT_EQ(kvm_check_cap(KVM_CAP_TSC_DEADLINE_TIMER), 1);
	e = cpuid_entry_find(c, 0x80000001, 0);
	TEST_ASSERT(e, "no leaf 0x80000001");
	host_cpuid(0x80000001, 0, &h);
	TEST_ASSERT_EQ(e->edx & E1_EDX_APIC, h.edx & E1_EDX_APIC);
}

static void guest_leaf1_edx(void)
{
	uint32_t a, b, c, d;

	for (;;) {
		guest_cpuid(1, 0, &a, &b, &c, &d);
		GUEST_SYNC(d & L1_EDX_APIC);	/* the rest differs (diffrun) */
	}
}

/*
 * The guest's leaf 1 EDX.APIC is IA32_APIC_BASE's global enable whatever
 * the table says (KVM 6.1's kvm_update_cpuid_runtime()), irqchip or not.
 */
static void apic_runtime(void)
{
	struct kvm_cpuid2 *c = kvm_cpuid2_dup(kvm_get_supported_cpuid());
	struct kvm_cpuid2 *out;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;

	cpuid_entry_find(c, 1, 0)->edx &= ~L1_EDX_APIC;
	vm = vm_create_with_one_vcpu(&vcpu, guest_leaf1_edx);
	vcpu_set_cpuid(vcpu, c);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(uc.args[1] & L1_EDX_APIC, "APIC clear, IA32_APIC_BASE 0x%llx",
		    (unsigned long long)vcpu_get_msr(vcpu, MSR_IA32_APICBASE));
	/* Globally disabled (BSP kept). */
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, APIC_DEFAULT_BASE | APIC_BASE_BSP);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(!(uc.args[1] & L1_EDX_APIC), "APIC set while disabled");
	/* KVM_GET_CPUID2 shows the bit as the guest sees it. */
	out = allocate_kvm_cpuid2(c->nent);
	TEST_ASSERT_EQ(__vcpu_get_cpuid(vcpu, out), 0);
	TEST_ASSERT(!(cpuid_entry_find(out, 1, 0)->edx & L1_EDX_APIC),
		    "KVM_GET_CPUID2: APIC set while disabled");
	free(out);
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, APIC_DEFAULT_BASE |
		     APIC_BASE_BSP | APIC_BASE_ENABLE);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT(uc.args[1] & L1_EDX_APIC, "APIC clear after enable");
	/*
	 * No irqchip: the host may still set x2APIC mode when the table
	 * offers x2APIC (as KVM), not without the global enable.
	 */
	TEST_ASSERT_EQ(__vcpu_set_msr(vcpu, MSR_IA32_APICBASE, APIC_DEFAULT_BASE |
				      APIC_BASE_X2APIC), 0);
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, APIC_DEFAULT_BASE |
		     APIC_BASE_BSP | APIC_BASE_ENABLE | APIC_BASE_X2APIC);
	vcpu_set_msr(vcpu, MSR_IA32_APICBASE, APIC_DEFAULT_BASE |
		     APIC_BASE_BSP | APIC_BASE_ENABLE);
	kvm_vm_free(vm);
	free(c);
}

/* --- what the guest sees --- */

#define MAGIC_APIC_ID	0x5a

static void guest_read_cpuid(void)
{
	uint32_t a, b, c, d;

	guest_cpuid(0x80000004, 0, &a, &b, &c, &d);
	ucall(UCALL_SYNC, 4, a, b, c, d);
	guest_cpuid(1, 0, &a, &b, &c, &d);
	ucall(UCALL_SYNC, 4, a, b, c, d);
	guest_cpuid(7, 5, &a, &b, &c, &d);	/* subleaf not in the table */
	ucall(UCALL_SYNC, 4, a, b, c, d);
	guest_cpuid(0x4fffff00, 0, &a, &b, &c, &d);	/* leaf not in the table */
	ucall(UCALL_SYNC, 4, a, b, c, d);
	GUEST_DONE();
}

static void guest_sees_table(void)
{
	struct kvm_cpuid2 *c = kvm_cpuid2_dup(kvm_get_supported_cpuid());
	struct kvm_cpuid_entry2 *e;
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct ucall uc;
	int r;

	e = cpuid_entry_find(c, 0x80000004, 0);
	TEST_REQUIRE(e);
	e->eax = 0x696e696d;		/* "mini" */
	e->ebx = 0x2d6d766b;		/* "kvm-" */
	e->ecx = 0x74736574;		/* "test" */
	e->edx = 0;
	e = cpuid_entry_find(c, 1, 0);
	e->ebx = (e->ebx & 0x00ffffff) | MAGIC_APIC_ID << 24;
	e->ecx |= 1u << 27;		/* OSXSAVE: CR4.OSXSAVE decides */

	vm = vm_create_with_one_vcpu(&vcpu, guest_read_cpuid);
	vcpu_set_cpuid(vcpu, c);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[0], 0x696e696d);
	TEST_ASSERT_EQ(uc.args[1], 0x2d6d766b);
	TEST_ASSERT_EQ(uc.args[2], 0x74736574);
	TEST_ASSERT_EQ(uc.args[3], 0);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	TEST_ASSERT_EQ(uc.args[1] >> 24, MAGIC_APIC_ID);
	/* KVM mirrors CR4 into OSXSAVE only when the host has XSAVE. */
	if (kvm_dev_is_minikvm() || host_kernel_has("xsave") > 0)
		TEST_ASSERT(!(uc.args[2] & 1u << 27), "OSXSAVE with CR4.OSXSAVE clear");
	for (r = 0; r < 2; r++) {
		TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
		TEST_ASSERT(!(uc.args[0] | uc.args[1] | uc.args[2] | uc.args[3]),
			    "absent (sub)leaf not zero");
	}
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	free(c);
}

/* --- enforcement --- */

static volatile uint64_t gp_count;

static void guest_gp_handler(struct ex_regs *regs)
{
	gp_count++;
	regs->rip += 2;		/* wrmsr */
}

/* arg 0: the EFER to write; reports the #GP count (0 or 1). */
static void guest_write_efer(uint64_t efer)
{
	uint64_t old = rdmsr(MSR_EFER);

	wrmsr(MSR_EFER, efer);
	GUEST_SYNC(gp_count);
	if (!gp_count)
		wrmsr(MSR_EFER, old);
	GUEST_DONE();
}

/* Runs guest_write_efer(@efer(old)) with @c as CPUID; returns the #GP count. */
static uint64_t try_efer(const struct kvm_cpuid2 *c, uint64_t set, uint64_t clear)
{
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_write_efer);
	struct kvm_sregs sregs;
	struct ucall uc;
	uint64_t n;

	vm_install_exception_handler(vm, GP_VECTOR, guest_gp_handler);
	vcpu_set_cpuid(vcpu, c);
	vcpu_sregs_get(vcpu, &sregs);
	vcpu_args_set(vcpu, 1, (sregs.efer | set) & ~clear);
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, &uc), UCALL_SYNC);
	n = uc.args[1];
	vcpu_run_expect_done(vcpu);
	kvm_vm_free(vm);
	return n;
}

static void enforce_efer(void)
{
	struct kvm_cpuid2 *c = kvm_cpuid2_dup(kvm_get_supported_cpuid());
	struct kvm_cpuid_entry2 *e = cpuid_entry_find(c, 0x80000001, 0);
	bool nx;

	TEST_REQUIRE(e && (e->edx & E1_EDX_LM));
	nx = e->edx & E1_EDX_NX;
	/* With the supported CPUID: the same EFER, SCE, NXE if offered. */
	TEST_ASSERT_EQ(try_efer(c, 0, 0), 0);
	TEST_ASSERT_EQ(try_efer(c, EFER_SCE, 0), 0);
	if (nx)
		TEST_ASSERT_EQ(try_efer(c, EFER_NXE, 0), 0);
	/* SCE does not depend on CPUID.80000001H:EDX.SYSCALL, as on KVM. */
	e->edx &= ~E1_EDX_SYSCALL;
	TEST_ASSERT_EQ(try_efer(c, EFER_SCE, 0), 0);
	/* Without NX: NXE is #GP. */
	e->edx &= ~E1_EDX_NX;
	TEST_ASSERT_EQ(try_efer(c, EFER_NXE, 0), 1);
	TEST_ASSERT_EQ(try_efer(c, 0, EFER_NXE), 0);
	/* Without LM: rewriting the long-mode EFER (LME set) is #GP. */
	e->edx &= ~E1_EDX_LM;
	TEST_ASSERT_EQ(try_efer(c, 0, EFER_NXE), 1);
	free(c);
}

/* MAXPHYADDR from 80000008H: CR3 (KVM_SET_SREGS) and MTRR bases. */
static void maxphyaddr(void)
{
	struct kvm_cpuid2 *c = kvm_cpuid2_dup(kvm_get_supported_cpuid());
	struct kvm_cpuid_entry2 *e = cpuid_entry_find(c, 0x80000008, 0);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm;
	struct kvm_sregs sregs;
	uint64_t cr3;

	TEST_REQUIRE(e && (e->eax & 0xff) >= 40);
	vm = vm_create_with_one_vcpu(&vcpu, guest_read_cpuid);
	vcpu_sregs_get(vcpu, &sregs);
	cr3 = sregs.cr3;
	/* No CPUID set: KVM assumes 36 bits, and so does minikvm. */
	sregs.cr3 = cr3 | 1ULL << 36;
	TEST_ASSERT_EQ(__vcpu_sregs_set(vcpu, &sregs), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	e->eax = (e->eax & ~0xffu) | 39;
	vcpu_set_cpuid(vcpu, c);
	sregs.cr3 = cr3 | 1ULL << 38;
	TEST_ASSERT_EQ(__vcpu_sregs_set(vcpu, &sregs), 0);
	sregs.cr3 = cr3 | 1ULL << 39;
	TEST_ASSERT_EQ(__vcpu_sregs_set(vcpu, &sregs), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	TEST_ASSERT_EQ(__vcpu_set_msr(vcpu, MSR_MTRRphysBase0, 1ULL << 38 | 6), 1);
	TEST_ASSERT_EQ(__vcpu_set_msr(vcpu, MSR_MTRRphysBase0, 1ULL << 39 | 6), 0);
	kvm_vm_free(vm);
	free(c);
}

/* After the first KVM_RUN: the same table again, nothing else. */
static void cpuid_after_run(void)
{
	struct kvm_cpuid2 *c = kvm_cpuid2_dup(kvm_get_supported_cpuid());
	struct kvm_cpuid2 *out = allocate_kvm_cpuid2(KVM_MAX_CPUID_ENTRIES);
	struct kvm_vcpu *vcpu;
	struct kvm_vm *vm = vm_create_with_one_vcpu(&vcpu, guest_read_cpuid);
	struct kvm_cpuid_entry2 *e;
	unsigned int nent = c->nent;

	vcpu_set_cpuid(vcpu, c);
	vcpu_set_cpuid(vcpu, c);		/* before KVM_RUN: anything */
	TEST_ASSERT_EQ(vcpu_run_ucall(vcpu, NULL), UCALL_SYNC);
	vcpu_set_cpuid(vcpu, c);		/* identical: accepted */
	e = cpuid_entry_find(c, 0x80000004, 0);
	TEST_REQUIRE(e);
	e->eax ^= 1;
	TEST_ASSERT_EQ(__vcpu_set_cpuid(vcpu, c), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	c->nent = 0;
	TEST_ASSERT_EQ(__vcpu_set_cpuid(vcpu, c), -1);
	TEST_ASSERT_EQ(errno, EINVAL);
	TEST_ASSERT_EQ(__vcpu_get_cpuid(vcpu, out), 0);
	e->eax ^= 1;
	c->nent = nent;
	assert_same_table(out, c);
	kvm_vm_free(vm);
	free(c);
	free(out);
}

static const struct kvm_test tests[] = {
	KVM_TEST(supported_cpuid),
	KVM_TEST(set_get_roundtrip),
	KVM_TEST(guest_sees_table),
	KVM_TEST(supported_apic),
	KVM_TEST(apic_runtime),
	KVM_TEST(enforce_efer),
	KVM_TEST(maxphyaddr),
	KVM_TEST(cpuid_after_run),
};

int main(int argc, char **argv)
{
	return kvm_test_main(argc, argv, tests, ARRAY_SIZE(tests), true);
}
