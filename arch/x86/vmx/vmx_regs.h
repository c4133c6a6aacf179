/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Guest general-purpose registers around VM-entry (VMX switches none of
 * them but RSP, which lives in the VMCS), laid out for vmx_run.S in the
 * architectural order.  Offsets are shared with the assembly and checked
 * against the C struct in vmx_vcpu.c.
 */
#ifndef MINIKVM_VMX_REGS_H
#define MINIKVM_VMX_REGS_H

#define VMX_GPR_RAX	0x00
#define VMX_GPR_RCX	0x08
#define VMX_GPR_RDX	0x10
#define VMX_GPR_RBX	0x18
#define VMX_GPR_RSP	0x20	/* unused: the guest's RSP is in the VMCS */
#define VMX_GPR_RBP	0x28
#define VMX_GPR_RSI	0x30
#define VMX_GPR_RDI	0x38
#define VMX_GPR_R8	0x40
#define VMX_GPR_R9	0x48
#define VMX_GPR_R10	0x50
#define VMX_GPR_R11	0x58
#define VMX_GPR_R12	0x60
#define VMX_GPR_R13	0x68
#define VMX_GPR_R14	0x70
#define VMX_GPR_R15	0x78
#define VMX_GPR_SIZE	0x80

#ifndef __ASSEMBLY__
#include <linux/types.h>

struct vmx_gprs {
	u64 rax, rcx, rdx, rbx, rsp_unused, rbp, rsi, rdi;
	u64 r8, r9, r10, r11, r12, r13, r14, r15;
};

/**
 * __vmx_vcpu_run() - enter the guest until the next VM exit
 * @gprs: guest registers, loaded before VM-entry and stored after VM exit
 * @resume: VMRESUME (the VMCS was launched on this CPU) rather than VMLAUNCH
 *
 * Context: interrupts off, preemption off, the vCPU's VMCS current on this
 * CPU with every field but HOST_RSP written (HOST_RIP is vmx_vmexit).
 * Return: 0 after a VM exit (including a failed VM entry that exits, bit
 * 31 of the exit reason); 1 when VMLAUNCH/VMRESUME failed (VMfail, or a
 * fault), the VM-instruction error field then says why.
 */
int __vmx_vcpu_run(struct vmx_gprs *gprs, bool resume);

/* Where VM exits land (HOST_RIP); inside __vmx_vcpu_run. */
extern const char vmx_vmexit[];

/**
 * vmx_do_nmi_irqoff() - run the host's NMI handler for an NMI that caused a
 * VM exit, on the current stack, as if the NMI had arrived here
 *
 * Context: interrupts off, right after the VM exit; NMIs stay blocked
 * until the handler's IRET.
 */
void vmx_do_nmi_irqoff(void);

/**
 * vmx_do_interrupt_irqoff() - run the host's handler of an external
 * interrupt that VM exit acknowledged
 * @entry: the handler's IDT entry point
 *
 * Context: interrupts off, right after the VM exit.
 */
void vmx_do_interrupt_irqoff(unsigned long entry);
#endif

#endif /* MINIKVM_VMX_REGS_H */
