# boot/: UEFI entry, command line, memory reservation.
