# lib/: printk and formatting, strings, the ktest harness.
lib-common := lib/vsprintf.o lib/string.o lib/ktest.o lib/ratelimit.o lib/prevlog.o lib/gdbstub.o
hv-y += $(lib-common) lib/printk.o lib/panic.o lib/kallsyms.o lib/kbench.o
host-y += $(lib-common)
