#!/usr/bin/env python3
"""A hostile gdb: malformed packets, raw, to hv.efi's gdb stub.

Run by tools/debug-serial.sh --client (GDB_SERIAL_PORT, GDB_IMAGE_BASE in
the environment) while hv.efi waits in its stub (gdb=ttyS1 gdbwait).  Each
case prints "ok NAME" or "not ok NAME: what came"; the last one detaches,
and the boot must then go on to its verdict (the scenario checks that).

--interrupt (a bluepill boot): before detaching, continue, wait until the
serial log (GDB_SERIAL_LOG) says the firmware runs as a guest, and stop
hv.efi with Ctrl-C: a T02 stop reply, with rip in hv.efi.
"""
import os
import re
import socket
import sys
import time

PORT = int(os.environ["GDB_SERIAL_PORT"])
BASE = int(os.environ["GDB_IMAGE_BASE"], 16)
TIMEOUT = 20.0


def checksum(data: bytes) -> bytes:
    return b"%02x" % (sum(data) & 0xFF)


class Line:
    def __init__(self):
        self.sock = socket.create_connection(("127.0.0.1", PORT), timeout=TIMEOUT)
        self.buf = b""

    def byte(self) -> bytes:
        if not self.buf:
            self.buf = self.sock.recv(65536)
            if not self.buf:
                raise EOFError("the stub closed the line")
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def send(self, raw: bytes):
        self.sock.sendall(raw)

    def packet(self, data: bytes, sum_override: bytes = None):
        self.send(b"$" + data + b"#" + (sum_override or checksum(data)))

    def ack(self) -> bytes:
        return self.byte()

    def reply(self) -> bytes:
        """The next packet the stub sends, acked."""
        while self.byte() != b"$":
            pass
        data = b""
        while (c := self.byte()) != b"#":
            data += c
        got = self.byte() + self.byte()
        if got != checksum(data):
            self.send(b"-")
            raise ValueError(f"bad checksum on {data!r}")
        self.send(b"+")
        return data


failures = 0


def check(name: str, ok: bool, seen):
    global failures
    if ok:
        print(f"ok {name}")
    else:
        failures += 1
        print(f"not ok {name}: {seen!r}")
    sys.stdout.flush()


def ask(line: Line, data: bytes):
    """Sends a good packet: (its ack, the reply)."""
    line.packet(data)
    a = line.ack()
    return a, line.reply()


def interrupt(line: Line):
    """Continue, then Ctrl-C once the firmware runs as hv.efi's guest."""
    log = os.environ["GDB_SERIAL_LOG"]
    line.packet(b"c")
    check("continue-acked", line.ack() == b"+", "no ack")
    deadline = time.time() + 120
    while time.time() < deadline:
        with open(log, "rb") as f:
            if b"now runs the firmware as a guest" in f.read():
                break
        time.sleep(0.2)
    time.sleep(1)
    line.send(b"\x03")
    r = line.reply()
    check("ctrl-c-stops-with-sigint", r.startswith(b"T02"), r)
    a, r = ask(line, b"g")
    rip = int.from_bytes(bytes.fromhex(r[16 * 16:17 * 16].decode()), "little") if len(r) >= 272 else 0
    check("ctrl-c-stop-is-in-hv.efi", BASE <= rip < BASE + (16 << 20), hex(rip))


def main() -> int:
    line = Line()

    line.packet(b"?", b"00")
    a = line.ack()
    check("bad-checksum-nacked", a == b"-", a)

    a, r = ask(line, b"m" * 5000)
    check("overlong-acked-and-refused", a == b"+" and r == b"E01", (a, r))

    a, r = ask(line, b"jfoo")
    check("unknown-command-empty-reply", a == b"+" and r == b"", (a, r))

    unmapped = 0x0000700000000000  # canonical, far above any RAM
    a, r = ask(line, b"m%x,8" % unmapped)
    check("read-unmapped-E", r.startswith(b"E"), r)
    a, r = ask(line, b"m8000000000000000,8")
    check("read-noncanonical-E", r.startswith(b"E"), r)
    a, r = ask(line, b"mffffffffffffffff,10")
    check("read-wrapping-E", r.startswith(b"E"), r)
    a, r = ask(line, b"M%x,1:00" % unmapped)
    check("write-unmapped-E", r.startswith(b"E"), r)
    a, r = ask(line, b"Z0,%x,1" % unmapped)
    check("breakpoint-unmapped-E", r.startswith(b"E"), r)
    a, r = ask(line, b"mzz,4")
    check("malformed-read-E", r.startswith(b"E"), r)
    a, r = ask(line, b"G1234")
    check("short-G-E", r.startswith(b"E"), r)
    a, r = ask(line, b"P99=00")
    check("unknown-register-E", r.startswith(b"E"), r)

    # Noise between packets, and a packet cut by a new '$'.
    line.send(b"\x00\xff+-+$m0")
    a, r = ask(line, b"?")
    check("noise-skipped-stop-reply", a == b"+" and r.startswith(b"T05"), (a, r))

    a, r = ask(line, b"m%x,2" % BASE)
    check("read-image-header", r == b"4d5a", r)  # "MZ"
    a, r = ask(line, b"g")
    check("registers-still-readable", len(r) == 2 * (17 * 8 + 7 * 4), len(r))

    if "--interrupt" in sys.argv[1:]:
        interrupt(line)
    a, r = ask(line, b"D")
    check("detach-ok", r == b"OK", r)
    print(f"hostile: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
