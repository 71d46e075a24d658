# mm/: the page allocator and the vendor-neutral TDP MMU.
# hv-y: objects linked into hv.efi.  host-y: objects also built into the host
# test binaries (with the fake arch under tests/host/).
hv-y += mm/page_alloc.o
host-y += mm/page_alloc.o
