#!/usr/bin/env python3
"""crashkill.py - the crash harness's two helpers (tests/integration/crash.sh).

  crashkill.py tree NAME SEQ DIR [MARKS good|bad]
      writes version SEQ of component NAME into DIR: trees that differ
      from one version to the next (files added, removed and changed, a
      symlink moved, a mode flipped), deterministic in (NAME, SEQ).  With
      MARKS, app's version carries a health check (.haishin/health) that
      takes a moment, appends "start" and then "ok" (good) or "fail" (bad:
      it exits 1 and the install is switched back) to the file MARKS.

  crashkill.py run --mode once|daemon --target PHASE [options]
      runs one attempt - haishind --once, or the resident haishind asked
      through 'haishinctl --json download-now' - and SIGKILLs haishind at
      the moment PHASE names (TARGETS below), watching its progress lines,
      the runs of app's health check (--health, its marks file) and
      polling the install root and the cache.  With --target none nothing
      is killed.  Prints one line:
          killed PHASE     haishind was killed; PHASE is what the disk and
                           the database showed after the kill
          ended RC LINE    the attempt ended by itself (exit code, last line)
          timeout LINE     the attempt neither ended nor reached PHASE
"""

import argparse
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

POLL_S = 0.0004


HEALTH = """#!/bin/sh
# A health check written by crashkill.py tree.
echo start >>'%(marks)s'
sleep 0.2
echo %(end)s >>'%(marks)s'
%(exit)s
"""


def health(out, marks, bad):
    """app's .haishin/health: logs its runs to marks, fails when bad."""
    d = os.path.join(out, ".haishin")
    os.makedirs(d)
    path = os.path.join(d, "health")
    with open(path, "w") as f:
        f.write(HEALTH % {
            "marks": marks, "end": "fail" if bad else "ok",
            "exit": "echo not ready; exit 1" if bad else "exit 0"})
    os.chmod(path, 0o755)


def tree(name, seq, out, marks=None, bad=False):
    """Version seq of component name, written into out."""
    rnd = random.Random("%s-%d" % (name, seq))
    base = random.Random(name)
    os.makedirs(out)
    with open(os.path.join(out, "VERSION"), "w") as f:
        f.write("%s %d\n" % (name, seq))
    if name == "app" and marks is not None:
        health(out, marks, bad)
    if name == "app":
        # A binary that changes a little: the delta's case.
        blob = bytearray(base.randbytes(2 << 20))
        for _ in range(8):
            at = rnd.randrange(len(blob) - 64)
            blob[at:at + 64] = rnd.randbytes(64)
        at = rnd.randrange(len(blob) - 160000)
        blob[at:at + 160000] = rnd.randbytes(160000)
        os.makedirs(os.path.join(out, "bin"))
        with open(os.path.join(out, "bin", "app"), "wb") as f:
            f.write(blob)
        os.chmod(os.path.join(out, "bin", "app"), 0o755 if seq % 2 else 0o644)
        os.symlink("app", os.path.join(out, "bin", "app-%d" % (seq % 3)))
        for i in range(20 + seq % 7):
            d = os.path.join(out, "lib", "m%d" % (i % 4))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "part%d.txt" % i), "w") as f:
                f.write("module %d of %s %d\n" % (i, name, seq) * 40)
    elif name == "data":
        # Many small files, a fraction of them new in each version, and a
        # megabyte that is new every time: full packages, long extraction.
        for i in range(360):
            if rnd.random() < 0.1:
                continue  # removed in this version
            gen = seq if rnd.random() < 0.3 else 0
            r = random.Random("%s-%d-%d" % (name, i, gen))
            d = os.path.join(out, "d%02d" % (i % 24))
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "f%03d.bin" % i), "wb") as f:
                f.write(r.randbytes(r.randrange(512, 6000)))
        with open(os.path.join(out, "blob.bin"), "wb") as f:
            f.write(rnd.randbytes(1 << 20))
    else:
        # Text: compresses well, many files, a tree that moves.
        for i in range(240):
            d = os.path.join(out, "doc", "s%d" % ((i + seq) % 12))
            os.makedirs(d, exist_ok=True)
            lines = ["%s %d line %d of page %d" % (name, seq if i % 5 == 0
                     else 0, j, i) for j in range(rnd.randrange(20, 80))]
            with open(os.path.join(d, "p%03d.txt" % i), "w") as f:
                f.write("\n".join(lines) + "\n")


def db_rows(state, sql, args=()):
    """The rows of a query on the state database, read-only; [] when there
    is no database yet; raises sqlite3.Error."""
    path = os.path.join(state, "haishin.db")
    if not os.path.exists(path):
        return []
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True, timeout=5)
    try:
        return con.execute(sql, args).fetchall()
    finally:
        con.close()


def db_versions(state):
    """{component: version} as the database records."""
    try:
        return dict(db_rows(state, "SELECT name, version FROM installed"))
    except sqlite3.Error as ex:
        return {"?": str(ex)}


class Disk:
    """What the install root and the cache show, read without locks."""

    def __init__(self, install, cache, components):
        self.install = install
        self.cache = cache
        self.components = components

    def currents(self):
        out = {}
        for c in self.components:
            try:
                out[c] = os.readlink(os.path.join(self.install, c, "current"))
            except OSError:
                out[c] = None
        return out

    def staging(self):
        for c in self.components:
            try:
                with os.scandir(os.path.join(self.install, c)) as it:
                    if any(e.name.endswith(".staging") for e in it):
                        return True
            except OSError:
                pass
        return False

    def cache_names(self):
        try:
            return os.listdir(self.cache)
        except OSError:
            return []


def has(names, pred):
    return any(pred(n) for n in names)


def tar_new(n):
    return n.endswith(".tar.new")


def base_tmp(n):
    return n.endswith(".base.tar.tmp") or ".base.sha256.tmp." in n


class Watch:
    """The progress lines of the attempt, read by a thread."""

    def __init__(self, stream, log):
        self.last = ""
        self.state = ""
        self.text = ""
        self.lines = 0
        self.log = log
        self.thread = threading.Thread(target=self.read, args=(stream,),
                                       daemon=True)
        self.thread.start()

    def read(self, stream):
        for raw in stream:
            line = raw.decode("utf-8", "replace").rstrip("\n")
            self.log.write(line + "\n")
            self.log.flush()
            state, text = line.split(" ", 1)[0], line
            if line.startswith("{"):
                try:
                    j = json.loads(line)
                except ValueError:
                    continue
                if j.get("source") == "haishinctl":
                    continue  # its own line: the daemon went away
                state = j.get("state", "")
                text = "%s %s" % (state, j.get("text", j.get("reason", "")))
                if j.get("done"):
                    text += " %d of %d bytes" % (j["done"], j.get("total", 0))
            self.state, self.text = state, text
            self.last = text
            self.lines += 1


class Marks:
    """The runs of one app version's health check this attempt made: the
    lines its .haishin/health appended to its marks file (crash.sh's
    --health) since the attempt started."""

    def __init__(self, path, version, tries):
        self.path = path
        self.version = version
        self.tries = tries
        self.skip = self.size()

    def size(self):
        try:
            return os.path.getsize(self.path) if self.path else 0
        except OSError:
            return 0

    def lines(self):
        if not self.path:
            return []
        try:
            with open(self.path) as f:
                f.seek(self.skip)
                return f.read().split()
        except OSError:
            return []

    def running(self):
        """A run of the check has started and not ended."""
        ls = self.lines()
        return bool(ls) and ls[-1] == "start"

    def exhausted(self):
        """Every try failed: the switch back is under way or done."""
        return self.lines().count("fail") >= self.tries


# The moments a kill aims at: name -> (trigger, delay range in seconds).
# A trigger looks at (elapsed, watch, disk snapshot, memory) and says when
# the moment has come; the kill follows after a random delay in the range.
def t_random(el, w, snap, mem):
    return el >= mem.setdefault("at", mem["rnd"].uniform(0, 5.0))


def t_check(el, w, snap, mem):
    return w.state == "CHECKING"


def t_download(el, w, snap, mem):
    return w.state == "DOWNLOADING" and " of " in w.text


def t_delta(el, w, snap, mem):
    return has(snap["cache"], tar_new) and "rebuilding" in w.text


def t_extract(el, w, snap, mem):
    return snap["staging"]


def t_placed(el, w, snap, mem):
    return mem["staged"] and not snap["staging"]


def t_switch(el, w, snap, mem):
    return snap["currents"] != mem["currents0"]


def t_base(el, w, snap, mem):
    return has(snap["cache"], base_tmp)


def t_health(el, w, snap, mem):
    return w.state == "INSTALLING" and "health check" in w.text


def t_rollback(el, w, snap, mem):
    return mem["marks"].exhausted()


TARGETS = {
    "random": (t_random, (0, 0)),
    "check": (t_check, (0, 0.01)),
    "download": (t_download, (0, 1.0)),
    "delta": (t_delta, (0, 0.004)),
    "extract": (t_extract, (0, 0.05)),
    "placed": (t_placed, (0, 0)),
    "switch": (t_switch, (0, 0)),
    "base": (t_base, (0, 0.004)),
    "health": (t_health, (0, 0.25)),
    "rollback": (t_rollback, (0, 0.004)),
}


def installing(w):
    """(component, version) of an INSTALLING line, or (None, None)."""
    words = w.text.split()
    if w.state != "INSTALLING" or len(words) < 3:
        return None, None
    return words[1], words[2]


def db_failed(state, name):
    """The version of name the database records as failed, or ""."""
    try:
        rows = db_rows(state, "SELECT failed_version FROM component_state "
                       "WHERE name = ?", (name,))
    except sqlite3.Error:
        return ""
    return rows[0][0] if rows else ""


def evidence(disk, state, w, mem):
    """The phase a kill hit, from what it left: the disk, the database and
    the last progress line haishind printed."""
    cur = disk.currents()
    db = db_versions(state)
    names = disk.cache_names()
    marks = mem["marks"]
    if marks.running():
        return "health"  # a run of app's health check under way
    if marks.exhausted() and db_failed(state, "app") != marks.version:
        return "rollback"  # switching back, the failure not recorded
    for c, v in cur.items():
        if v is not None and db.get(c) != v:
            return "switched"  # current switched, the install not recorded
        if v is None and c in db:
            return "switched"  # never: a recorded version without current
    if disk.staging():
        return "extract"
    if has(names, base_tmp):
        return "base"
    comp, ver = installing(w)
    if comp is not None:
        if db.get(comp) == ver:
            return "recorded"  # after the record: prune, base, forget
        if mem["staged"] and os.path.isdir(os.path.join(disk.install, comp,
                                                        ver)):
            return "placed"  # the new version in place, not yet current
        return "install"
    if w.state == "VERIFYING":
        return "delta" if "rebuilding" in w.text else "verify"
    if w.state == "DOWNLOADING":
        return "download"
    if w.state == "CHECKING":
        return "check"
    return "start" if w.lines == 0 else "other"


def wait_socket(path, proc, deadline):
    while time.monotonic() < deadline and proc.poll() is None:
        s = socket.socket(socket.AF_UNIX)
        try:
            s.connect(path)
            return True
        except OSError:
            time.sleep(0.02)
        finally:
            s.close()
    return False


def stop(proc, sig, wait_s):
    """Sends sig to a process this script started, then waits for it."""
    if proc.poll() is None:
        proc.send_signal(sig)
    try:
        return proc.wait(wait_s)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait()


def run(a):
    rnd = random.Random(a.seed)
    disk = Disk(a.install, a.cache, a.components.split(","))
    log = open(a.log, "a")
    log.write("=== %s target=%s seed=%s\n" % (a.mode, a.target, a.seed))
    log.flush()
    mem = {"rnd": rnd, "currents0": disk.currents(), "staged": False,
           "marks": Marks(a.health, a.health_version, a.health_tries)}
    ctl = None
    if a.mode == "once":
        proc = subprocess.Popen([a.haishind, "-c", a.conf, "--once"],
                                stdout=subprocess.PIPE, stderr=log)
        watched = proc
    else:
        proc = subprocess.Popen([a.haishind, "-c", a.conf],
                                stdout=log, stderr=log)
        if not wait_socket(a.socket, proc, time.monotonic() + 20):
            stop(proc, signal.SIGKILL, 5)
            print("timeout the daemon did not come up")
            return
        ctl = subprocess.Popen([a.haishinctl, "--socket", a.socket, "--json",
                                "download-now"], stdout=subprocess.PIPE,
                               stderr=log)
        watched = ctl
    w = Watch(watched.stdout, log)
    trigger, (lo, hi) = TARGETS.get(a.target, (None, (0, 0)))
    start = time.monotonic()
    fire_at = None
    result = None
    while result is None:
        now = time.monotonic()
        if watched.poll() is not None:
            break
        if now - start > a.timeout:
            result = "timeout %s" % w.last
            break
        if trigger is not None and fire_at is None:
            snap = {"cache": disk.cache_names(), "staging": disk.staging(),
                    "currents": disk.currents()}
            if trigger(now - start, w, snap, mem):
                fire_at = now + rnd.uniform(lo, hi)
            mem["staged"] = mem["staged"] or snap["staging"]
        if fire_at is not None and now >= fire_at:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            result = "killed"
            break
        time.sleep(POLL_S)
    if ctl is not None:
        try:
            ctl.wait(10)
        except subprocess.TimeoutExpired:
            ctl.kill()
            ctl.wait()
    w.thread.join(10)
    if result == "killed":
        print("killed %s" % evidence(disk, a.state, w, mem))
    elif result is not None:
        if proc.poll() is None:
            stop(proc, signal.SIGKILL, 5)
        print(result)
    else:
        rc = watched.wait()
        if ctl is not None:
            stop(proc, signal.SIGTERM, 30)
        print("ended %d %s" % (rc, w.last))
    log.close()


def main():
    if len(sys.argv) in (5, 7) and sys.argv[1] == "tree":
        marks, bad = None, False
        if len(sys.argv) == 7:
            marks, bad = sys.argv[5], sys.argv[6] == "bad"
        tree(sys.argv[2], int(sys.argv[3]), sys.argv[4], marks, bad)
        return
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["run"])
    p.add_argument("--mode", choices=["once", "daemon"], required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--haishind", required=True)
    p.add_argument("--haishinctl", default="")
    p.add_argument("--conf", required=True)
    p.add_argument("--socket", default="")
    p.add_argument("--install", required=True)
    p.add_argument("--cache", required=True)
    p.add_argument("--state", required=True)
    p.add_argument("--components", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--timeout", type=float, default=120)
    p.add_argument("--health", default="",
                   help="the marks file of the app version this round "
                   "installs (crashkill.py tree MARKS)")
    p.add_argument("--health-version", default="",
                   help="the app version whose marks --health names")
    p.add_argument("--health-tries", type=int, default=1)
    run(p.parse_args())


if __name__ == "__main__":
    main()
