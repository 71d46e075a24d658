// SPDX-License-Identifier: MIT
/*
 * String I/O on intercepted ports (vm/pio.c): INS and OUTS, with and
 * without REP, forwards and backwards, longer than one exit's batch, with
 * a count of zero, and single-stepped -- the registers and memory must end
 * as a CPU leaves them; and a memory operand the guest does not map
 * raises the #PF a CPU would, before the port is touched.  A test VM's ports read as all ones and drop
 * writes, so what INS stores is 0xff and what OUTS reads is only counted.
 */
#include "arch/cr.h"
#include "arch/trapnr.h"
#include "lib/ktest.h"
#include "lib/string.h"
#include "vm/test_vm.h"

#define PORT 0x3f8
#define BUF 1200
#define UNMAPPED 0x7f0000000000ULL	/* canonical, no guest page maps it */

static struct test_vm tvm;

/* How many bytes of b[from, to) are v. */
static u64 count_bytes(const u8 *b, unsigned int from, unsigned int to, u8 v)
{
	u64 n = 0;

	for (; from < to; from++)
		n += b[from] == v;
	return n;
}

static void guest_sio(struct guest_shared *sh)
{
	u8 buf[BUF];
	u8 *p = buf + 16;
	struct guest_sio op;

	/* 1. REP INSB of 300 (more than one exit's batch). */
	memset(buf, 0, sizeof(buf));
	op = (struct guest_sio){ GUEST_SIO_REP_INSB, PORT, (u64)(uintptr_t)p, 300, 0 };
	guest_string_io(&op);
	sh->arg[0] = op.ptr - (u64)(uintptr_t)p;
	sh->arg[1] = op.count;
	sh->arg[2] = count_bytes(buf, 16, 316, 0xff) + 1000 * count_bytes(buf, 0, 16, 0) +
		     1000000 * (buf[316] == 0);
	/* 2. REP INSW backwards, 3 words ending at p + 4. */
	memset(buf, 0, sizeof(buf));
	op = (struct guest_sio){ GUEST_SIO_REP_INSW, PORT, (u64)(uintptr_t)(p + 4), 3, 1 };
	guest_string_io(&op);
	sh->arg[3] = (u64)(uintptr_t)p - op.ptr;	/* 2: rDI went below p */
	sh->arg[4] = count_bytes(buf, 16, 22, 0xff) + 1000 * (buf[22] == 0 && buf[15] == 0);
	/* 3. REP INSD with RCX = 0: nothing at all. */
	memset(buf, 0, sizeof(buf));
	op = (struct guest_sio){ GUEST_SIO_REP_INSD, PORT, (u64)(uintptr_t)p, 0, 0 };
	guest_string_io(&op);
	sh->arg[5] = (op.ptr == (u64)(uintptr_t)p) + 10 * (op.count == 0) +
		     100 * (count_bytes(buf, 0, BUF, 0) == BUF);
	/* 4. REP OUTSB of 1000 and REP OUTSD of 7. */
	op = (struct guest_sio){ GUEST_SIO_REP_OUTSB, PORT, (u64)(uintptr_t)buf, 1000, 0 };
	guest_string_io(&op);
	sh->arg[6] = op.ptr - (u64)(uintptr_t)buf + 100000 * op.count;
	op = (struct guest_sio){ GUEST_SIO_REP_OUTSD, PORT, (u64)(uintptr_t)buf, 7, 0 };
	guest_string_io(&op);
	sh->arg[7] = op.ptr - (u64)(uintptr_t)buf + 100000 * op.count;
	/* 5. INSB and OUTSW without REP: RCX is not a count. */
	op = (struct guest_sio){ GUEST_SIO_INSB, PORT, (u64)(uintptr_t)p, 12345, 0 };
	guest_string_io(&op);
	sh->arg[8] = (op.ptr - (u64)(uintptr_t)p) + 10 * (op.count == 12345) +
		     100 * (p[0] == 0xff);
	op = (struct guest_sio){ GUEST_SIO_OUTSW, PORT, (u64)(uintptr_t)p, 54321, 1 };
	guest_string_io(&op);
	sh->arg[9] = ((u64)(uintptr_t)p - op.ptr) + 10 * (op.count == 54321);
	/* 6. REP INSB of 5 single-stepped: a #DB after every iteration. */
	memset(buf, 0, sizeof(buf));
	sh->db_expected = 1;
	sh->db_hold_rip = (u64)(uintptr_t)guest_step_rep_insb_insn;
	sh->db_count = 0;
	sh->arg[10] = guest_step_rep_insb(p, 5, PORT);
	sh->arg[11] = sh->db_count;
	sh->arg[12] = sh->db_rip;
	sh->arg[13] = count_bytes(buf, 16, 21, 0xff) + 10 * (buf[21] == 0);
	sh->db_expected = 0;
	sh->db_hold_rip = 0;
	/* 7. REP INSB into memory the guest does not map: #PF (a write, not
	 * present) at the first element, nothing done, the port untouched. */
	op = (struct guest_sio){ GUEST_SIO_REP_INSB, PORT, UNMAPPED, 10, 0 };
	sh->fault_resume = (u64)(uintptr_t)guest_string_io_fault;
	guest_string_io(&op);
	sh->arg[14] = sh->fault_vector | sh->fault_error << 8 |
		      ((op.ptr == UNMAPPED) + 10 * (op.count == 10)) << 16;
	sh->arg[15] = sh->fault_cr2;
	/* 8. OUTSW from there: #PF for a read. */
	op = (struct guest_sio){ GUEST_SIO_OUTSW, PORT, UNMAPPED + 6, 1, 0 };
	sh->fault_resume = (u64)(uintptr_t)guest_string_io_fault;
	guest_string_io(&op);
	sh->arg[14] |= (sh->fault_vector | sh->fault_error << 8) << 32 |
		       (u64)(sh->fault_cr2 == UNMAPPED + 6) << 48;
}

KTEST(string_io_on_intercepted_ports_leaves_registers_and_memory_as_a_cpu)
{
	u64 *a, elems;

	if (!virt)
		KT_SKIP(t, "no hardware virtualization");
	KT_ASSERT_EQ(t, test_vm_create(&tvm, "string_io", guest_sio), 0);
	KT_EXPECT_EQ(t, test_vm_run(&tvm), VEV_DONE);
	a = tvm.shared->arg;
	KT_EXPECT_EQ(t, a[0], 300);			/* rDI moved 300 */
	KT_EXPECT_EQ(t, a[1], 0);			/* rCX ran down */
	KT_EXPECT_EQ(t, a[2], 300 + 16000 + 1000000);	/* 300 bytes, not one more */
	KT_EXPECT_EQ(t, a[3], 2);			/* backwards: p + 4 - 6 */
	KT_EXPECT_EQ(t, a[4], 6 + 1000);
	KT_EXPECT_EQ(t, a[5], 111);
	KT_EXPECT_EQ(t, a[6], 1000);
	KT_EXPECT_EQ(t, a[7], 28);
	KT_EXPECT_EQ(t, a[8], 111);
	KT_EXPECT_EQ(t, a[9], 12);
	KT_EXPECT_EQ(t, a[10], 0);
	KT_EXPECT_EQ(t, a[11], 5);
	KT_EXPECT_EQ(t, a[12], (u64)(uintptr_t)guest_step_rep_insb_end);
	KT_EXPECT_EQ(t, a[13], 15);
	/* REP INSB: #PF, not present and a supervisor write, rDI and rCX as
	 * they were (11); OUTSW: #PF for a read (error code 0) at its CR2. */
	KT_EXPECT_EQ(t, a[14], PF_VECTOR | PF_ERR_W << 8 | 11ULL << 16 |
		      (u64)PF_VECTOR << 32 | 1ULL << 48);
	KT_EXPECT_EQ(t, a[15], UNMAPPED);
	elems = 300 + 3 + 1000 + 7 + 1 + 1 + 5;	/* the faults moved nothing */
	KT_EXPECT_EQ(t, tvm.vcpu.stats.string_io_elems, elems);
	test_vm_destroy(&tvm);
}
