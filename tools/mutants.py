#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""make mutants: a mutation run of the host tests over mm/*.c.

Each mutant changes one line of one mm/ file (an operator swapped, a
condition negated, a statement deleted, a constant moved by one, ...).  It
is applied in a scratch copy of the tree (build/mutants/wN, never the
worktree's mm/), the host TDP MMU tests are built there (ASan + UBSan) and
run in stages, cheapest first, each bounded in time and output:

  1. the unit, iterator, race, TLB and encoding tests (mm-tests, all but
     the model);
  2. the randomized model, MUTANTS_MODEL_OPS operations per format (10000);
  3. the threaded tests (mm-threads, ThreadSanitizer).

A mutant is killed by the first stage that fails (a failed check, a crash,
a sanitizer report, a timeout or too much output); it survived if all
pass; it is stillborn (not counted) if it does not compile.  Mutants listed
in tools/mutants-equivalent.txt (with the reason each cannot change what
the MMU does) are not run and not counted.  The four named mutants (the
bugs the tests were written to catch) always run.

The files are the TDP MMU's: mm/spte.c and mm/tdp_*.c (MUTANTS_FILES="a.c
b.c" picks others of mm/, e.g. page_alloc.c, the buddy allocator, which has
its own tests in tests/unit/test_page_alloc.c).

Environment: MUTANTS_MAX=N runs a sample of N mutants (plus the named
ones; 0: all), MUTANTS_SEED=S picks it (default 1), MUTANTS_JOBS (default 2),
MUTANTS_ONLY="a b ..." runs only the mutants whose id or description
contains one of these, MUTANTS_LIST=1 lists the mutants and stops.
Prints one line per mutant and, last,
  mutants: N killed, M survived, E equivalent (listed in FILE), score X%
Exit status 0 when the score is at least MUTANTS_GOAL (default 90).
"""
import hashlib
import os
import random
import re
import shutil
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EQUIV = os.path.join(ROOT, "tools", "mutants-equivalent.txt")
WORK = os.path.join(ROOT, "build", "mutants")
CAP = 1 << 20

# The bugs that passed every host test before the TLB model, the race
# point and the manuals' bits: (name, file, function, line, replacement).
NAMED = [
    ("named:step-down-no-reread", "mm/tdp_iter.c", "try_step_down",
     "iter_load(it);", ""),
    ("named:install-ignores-failed-cmpxchg", "mm/tdp_fault.c", "install_target",
     "return -EAGAIN;", "return f->slot ? TDP_FAULT_FIXED : TDP_FAULT_MMIO;"),
    ("named:leaf-zap-no-flush", "mm/tdp_zap.c", "zap_entry",
     "op->flush |= spte_is_mmu_present(old);", ""),
    ("named:ept-wb-memtype-wrong", "mm/spte.c", None,
     "[MT_WB] = (u64)MT_WB << EPT_MT_SHIFT }",
     "[MT_WB] = (u64)MT_WB << (EPT_MT_SHIFT + 1) }"),
]

DECL = re.compile(r"^\s*(static\s+|const\s+|unsigned\s+|struct\s+\w+\s*\*?|enum\s+\w+|"
                  r"u8|u16|u32|u64|int|bool|void|gfn_t|pfn_t|hpa_t|size_t)\b")


class Mutant:
    def __init__(self, path, lineno, orig, new, kind, name=None):
        self.path, self.lineno, self.orig, self.new, self.kind = path, lineno, orig, new, kind
        self.name = name
        key = "%s\0%s\0%s" % (path, orig.strip(), new.strip())
        self.id = name or "%s:%s" % (os.path.basename(path), hashlib.sha1(key.encode()).hexdigest()[:10])
        self.verdict = None
        self.by = ""

    def describe(self):
        return "%s:%d [%s] %s  ->  %s" % (self.path, self.lineno, self.kind,
                                          self.orig.strip(), self.new.strip() or "(deleted)")


def code_lines(text):
    """Yields (index, line) of lines that hold code (no comment, no preprocessor)."""
    in_comment = False
    for i, line in enumerate(text.split("\n")):
        s = line.strip()
        if in_comment:
            if "*/" in s:
                in_comment = False
            continue
        if s.startswith("/*"):
            if "*/" not in s:
                in_comment = True
            continue
        if not s or s.startswith("//") or s.startswith("#") or s.startswith("*"):
            continue
        if re.fullmatch(r"[{}();,\s]*", s):
            continue
        yield i, line


def balanced(s):
    depth = 0
    for c in s:
        depth += c == "("
        depth -= c == ")"
        if depth < 0:
            return False
    return depth == 0


def strip_strings(line):
    return re.sub(r'"(\\.|[^"\\])*"', lambda m: " " * len(m.group(0)), line)


OPS = [
    (r"==", "!="), (r"!=", "=="),
    (r"(?<![<-])<(?![<=])", "<="), (r"<=", "<"),
    (r"(?<![>-])>(?![>=])", ">="), (r">=", ">"),
    (r"&&", "||"), (r"\|\|", "&&"),
    (r" \+ ", " - "), (r" - ", " + "),
    (r" & ", " | "), (r" \| ", " & "),
    (r"\|=", "&= ~"), (r"&= ~", "|="),
    (r"<<", ">>"), (r">>", "<<"),
    (r"\+\+", "--"), (r"(?<![-])--", "++"),
    (r"\(!", "("),
    (r"\btrue\b", "false"), (r"\bfalse\b", "true"),
    (r"\bMIN\(", "MAX("), (r"\bMAX\(", "MIN("),
]


def line_mutants(path, i, line):
    out = []
    masked = strip_strings(line)
    for pat, rep in OPS:
        for m in re.finditer(pat, masked):
            new = line[:m.start()] + rep + line[m.end():]
            out.append(Mutant(path, i + 1, line, new, "op %s" % rep.strip()))
    for m in re.finditer(r"(?<![\w.])(\d+)(ULL|UL|U|LL)?\b", masked):
        v = int(m.group(1))
        for nv in sorted({v + 1, v - 1} - {-1}):
            new = line[:m.start(1)] + str(nv) + line[m.end(1):]
            out.append(Mutant(path, i + 1, line, new, "const %d" % nv))
    s = line.strip()
    m = re.match(r"^(\s*)(if|while) \((.*)\)(\s*\{?)$", line)
    if m and balanced(m.group(3)):
        new = "%s%s (!(%s))%s" % (m.group(1), m.group(2), m.group(3), m.group(4))
        out.append(Mutant(path, i + 1, line, new, "negate"))
    # Deleting an invariant check changes nothing while the invariant holds,
    # and a broken one aborts the binary (the host tests cannot watch a BUG).
    if s.endswith(";") and balanced(s) and not DECL.match(line) and not s.startswith("}") \
       and not re.match(r"(BUG_ON|WARN_ON)\(", s):
        out.append(Mutant(path, i + 1, line, "", "delete"))
    return out


def mutated_files():
    """mm/'s TDP MMU files (MUTANTS_FILES: a space-separated list of others)."""
    names = os.environ.get("MUTANTS_FILES", "").split()
    if names:
        return [os.path.basename(n) for n in names]
    return [n for n in sorted(os.listdir(os.path.join(ROOT, "mm")))
            if n.endswith(".c") and (n == "spte.c" or n.startswith("tdp_"))]


def generate():
    mutants = []
    for name in mutated_files():
        path = "mm/" + name
        text = open(os.path.join(ROOT, path)).read()
        for i, line in code_lines(text):
            mutants.extend(line_mutants(path, i, line))
    seen, uniq = set(), []
    for m in mutants:
        if m.id not in seen and m.new != m.orig:
            seen.add(m.id)
            uniq.append(m)
    return uniq


def named_mutants():
    out = []
    for name, path, func, orig, new in NAMED:
        lines = open(os.path.join(ROOT, path)).read().split("\n")
        start = 0
        if func:
            start = next(i for i, l in enumerate(lines) if re.match(r"^\w.*\b%s\(" % func, l))
        i = next(i for i in range(start, len(lines)) if lines[i].strip() == orig.strip() or
                 (not func and orig in lines[i]))
        line = lines[i]
        newline = line.replace(orig.strip(), new) if new else ""
        out.append(Mutant(path, i + 1, line, newline, "named", name))
    return out


def load_equivalent():
    eq = {}
    if os.path.exists(EQUIV):
        for line in open(EQUIV):
            line = line.strip()
            if line and not line.startswith("#"):
                mid, _, rest = line.partition(" ")
                eq[mid] = rest.strip()
    return eq


def run_capped(cmd, cwd, timeout, env=None):
    """Runs cmd; returns (status, output) with output cut at CAP; status None on timeout."""
    p = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    buf, over = bytearray(), False
    def kill():
        try:
            os.killpg(p.pid, 9)
        except ProcessLookupError:
            pass
    timer = threading.Timer(timeout, kill)
    timer.start()
    try:
        while True:
            chunk = p.stdout.read(65536)
            if not chunk:
                break
            buf += chunk
            if len(buf) > CAP:
                over = True
                kill()
                break
        p.wait()
    finally:
        timed_out = not timer.is_alive() and p.returncode == -9 and not over
        timer.cancel()
    if timed_out:
        return None, bytes(buf)
    if over:
        return "cap", bytes(buf[:CAP])
    return p.returncode, bytes(buf)


class Worker:
    def __init__(self, n):
        self.dir = os.path.join(WORK, "w%d" % n)
        self.env = dict(os.environ, TDP_MODEL_OPS=os.environ.get("MUTANTS_MODEL_OPS", "3000"),
                        TDP_THREADS_ROUNDS=os.environ.get("MUTANTS_THREADS_ROUNDS", "10"))
        self.stages = []

    def setup(self):
        if os.path.exists(self.dir):
            shutil.rmtree(self.dir)
        files = subprocess.run(["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT,
                               capture_output=True, text=True, check=True).stdout.split("\n")
        for f in files:
            if not f or f.startswith("build/") or not os.path.isfile(os.path.join(ROOT, f)):
                continue
            dst = os.path.join(self.dir, f)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), dst)

    def build(self, target, timeout=600):
        st, out = run_capped(["make", "-s", target], self.dir, timeout)
        return st == 0, out

    def stage(self, binary, args, timeout):
        st, out = run_capped([os.path.join(self.dir, binary)] + args, self.dir, timeout, self.env)
        text = out.decode("utf-8", "replace")
        if st is None:
            return "timeout after %d s" % timeout
        if st == "cap":
            return "output over %d bytes" % CAP
        bad = re.search(r"^not ok \d+ (\S+)", text, re.M)
        if bad:
            return bad.group(1)
        if st != 0 or "# ktest: " not in text or "runtime error:" in text or \
           "ERROR: AddressSanitizer" in text or "WARNING: ThreadSanitizer" in text:
            return "crash or sanitizer report (status %s)" % st
        return None

    def run(self, m):
        src = os.path.join(self.dir, m.path)
        orig = open(src).read()
        lines = orig.split("\n")
        assert lines[m.lineno - 1] == m.orig, (m.id, m.lineno)
        lines[m.lineno - 1] = m.new
        with open(src, "w") as f:
            f.write("\n".join(lines))
        try:
            ok, _ = self.build("build/host-mm/mm-tests")
            if not ok:
                m.verdict = "stillborn"
                return
            for binary, args, tmo in self.stages:
                if binary.endswith("mm-threads") and not self.build(binary)[0]:
                    m.verdict, m.by = "killed", "threads build"
                    return
                why = self.stage(binary, args, tmo)
                if why:
                    m.verdict, m.by = "killed", why
                    return
            m.verdict = "survived"
        finally:
            with open(src, "w") as f:
                f.write(orig)


def main():
    eq = load_equivalent()
    named = named_mutants()
    generic = [m for m in generate() if m.id not in {n.id for n in named}]
    equivalent = [m for m in generic if m.id in eq]
    pool = [m for m in generic if m.id not in eq]
    only = os.environ.get("MUTANTS_ONLY", "").replace(",", " ").split()
    if only:
        def picked(m):
            return any(o in m.id or o in m.describe() for o in only)
        pool = [m for m in pool if picked(m)]
        named = [m for m in named if picked(m)]
    nmax = os.environ.get("MUTANTS_MAX")
    if nmax and int(nmax) > 0:
        rnd = random.Random(int(os.environ.get("MUTANTS_SEED", "1"), 0))
        pool = rnd.sample(pool, min(int(nmax), len(pool)))
    todo = named + sorted(pool, key=lambda m: (m.path, m.lineno, m.id))
    if os.environ.get("MUTANTS_LIST"):
        for m in todo:
            print(m.id, m.describe())
        print("%d mutants (%d generated, %d equivalent)" % (len(todo), len(generic), len(equivalent)))
        return 0
    jobs = int(os.environ.get("MUTANTS_JOBS", "2"))
    t0 = time.time()
    print("mutants: %d to run (%d named), %d generated over mm/*.c, %d equivalent; %d jobs" %
          (len(todo), len(named), len(generic), len(equivalent), jobs), flush=True)

    # The scratch trees, their first builds, and the list of quick tests.
    workers = [Worker(n) for n in range(jobs)]
    results = {}

    def first_build(w):
        w.setup()
        results[w] = (w.build("build/host-mm/mm-tests"), w.build("build/host-mm/mm-threads"))

    threads = [threading.Thread(target=first_build, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in workers:
        (ok, out), (ok2, out2) = results[w]
        if not ok or not ok2:
            sys.stdout.write((out + out2).decode("utf-8", "replace")[-4000:])
            print("mutants: the unmutated tree does not build")
            return 2
    names = subprocess.run([os.path.join(workers[0].dir, "build/host-mm/mm-tests"), "--list"],
                           capture_output=True, text=True).stdout.split()
    slow = [n for n in names if n.startswith("tdp_model") or n.startswith("tdp_iter_visits")]
    stages = [("build/host-mm/mm-tests", [n for n in names if n not in slow]),
              ("build/host-mm/mm-tests", slow), ("build/host-mm/mm-threads", [])]
    # Each stage's bound: four times what it takes unmutated, at least 10 s.
    for binary, args in stages:
        t1 = time.time()
        why = workers[0].stage(binary, args, 600)
        if why:
            print("mutants: the unmutated tree fails: %s" % why)
            return 2
        tmo = max(10, int(4 * (time.time() - t1)))
        for w in workers:
            w.stages.append((binary, args, tmo))
    print("mutants: baseline passes (%.0f s); stage bounds %s s" %
          (time.time() - t0, ", ".join(str(s[2]) for s in workers[0].stages)), flush=True)

    # Mutants of one file stay together, so that a worker rebuilds one object each.
    queue, lock, done = list(todo), threading.Lock(), [0]

    def loop(w):
        while True:
            with lock:
                if not queue:
                    return
                m = queue.pop(0)
            w.run(m)
            with lock:
                done[0] += 1
                print("%4d/%d %-8s %s%s" % (done[0], len(todo), m.verdict.upper(), m.describe(),
                      "  [%s] by %s" % (m.id, m.by) if m.by else "  [%s]" % m.id), flush=True)

    threads = [threading.Thread(target=loop, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    killed = [m for m in todo if m.verdict == "killed"]
    survived = [m for m in todo if m.verdict == "survived"]
    still = [m for m in todo if m.verdict == "stillborn"]
    for m in named:
        print("named mutant %s: %s%s" % (m.id, m.verdict, " by " + m.by if m.by else ""))
    if survived:
        print("survivors:")
        for m in survived:
            print("  %s %s" % (m.id, m.describe()))
    n = len(killed) + len(survived)
    score = 100.0 * len(killed) / n if n else 0.0
    print("mutants: %d stillborn (did not compile), %.0f s" % (len(still), time.time() - t0))
    print("mutants: %d killed, %d survived, %d equivalent (listed in %s), score %.1f%%" %
          (len(killed), len(survived), len(equivalent), os.path.relpath(EQUIV, ROOT), score))
    return 0 if score >= float(os.environ.get("MUTANTS_GOAL", "90")) else 1


if __name__ == "__main__":
    sys.exit(main())
