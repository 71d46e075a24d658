# arch/: x86 machinery both vendors share.
