#!/usr/bin/env python3
"""ctlpeer.py - control-socket peers that misbehave on purpose, for
ctlfair.sh (standard library only).  Each prints one JSON line per report.

    ctlpeer.py hold SOCK N [--line LINE] [--hold SECONDS]
        Opens N connections one after the other; with --line each sends LINE
        and then never reads.  Once the daemon has had time to answer,
        reports {"held": K, "refused": [ERROR, ...]}: a refused connection
        got an end line with "ok": false (read with MSG_PEEK, so a held one
        is never read).  With --hold it keeps the connections that long,
        then reports {"closed": C, "open": O, "bytes": [...]}: how many of
        the held ones the daemon had closed, and what each had received.

    ctlpeer.py oversize SOCK BYTES
        Sends one line of BYTES bytes (newline included), reads the reply
        line, then reads until the daemon closes; reports
        {"reply": OBJECT, "end": "eof" | "reset" | ERROR}.

    ctlpeer.py slowread SOCK LINE DELAY
        Sends LINE and reads the reply one line per DELAY seconds; reports
        {"lines": N, "last": OBJECT, "end": ...}.
"""

import argparse
import json
import select
import socket
import sys
import time


def report(obj):
    print(json.dumps(obj), flush=True)


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    return s


def refusal(s):
    """The error text of an end line with "ok": false, peeked; or None."""
    try:
        data = s.recv(65536, socket.MSG_PEEK | socket.MSG_DONTWAIT)
    except BlockingIOError:
        return None
    except OSError as e:
        return "connection error: %s" % e
    if not data:
        return "closed without a word"
    line = data.split(b"\n", 1)[0]
    try:
        j = json.loads(line)
    except ValueError:
        return None  # the start of a long reply
    if j.get("type") == "end" and j.get("ok") is False:
        return "%s: %s" % (j.get("code"), j.get("error"))
    return None


def quiet(socks, seconds):
    """Waits until no socket has become readable for `seconds`."""
    seen = set()
    while True:
        r, _, _ = select.select([s for s in socks if s not in seen], [], [],
                                seconds)
        if not r:
            return
        seen.update(r)


def drain(s, timeout):
    """Reads until EOF; returns (bytes, how it ended)."""
    n = 0
    s.settimeout(timeout)
    while True:
        try:
            b = s.recv(65536)
        except socket.timeout:
            return n, "open"
        except ConnectionResetError:
            return n, "reset"
        if not b:
            return n, "eof"
        n += len(b)


def cmd_hold(a):
    socks = []
    for _ in range(a.n):
        s = connect(a.sock)
        if a.line is not None:
            s.sendall(a.line.encode() + b"\n")
        socks.append(s)
    quiet(socks, 0.7)
    held, refused = [], []
    for s in socks:
        why = refusal(s)
        if why is None:
            held.append(s)
        else:
            refused.append(why)
    report({"held": len(held), "refused": refused})
    if a.hold is None:
        return
    time.sleep(a.hold)
    ends = [drain(s, 2.0) for s in held]
    report({"closed": sum(1 for _, how in ends if how != "open"),
            "open": sum(1 for _, how in ends if how == "open"),
            "bytes": [n for n, _ in ends], "how": [how for _, how in ends]})


def cmd_oversize(a):
    head = b'{"cmd": "status", "pad": "'
    tail = b'"}\n'
    line = head + b"x" * (a.bytes - len(head) - len(tail)) + tail
    s = connect(a.sock)
    end = None
    try:
        s.sendall(line)
    except OSError as e:
        end = "send: %s" % e
    f = s.makefile("rb")
    first = b""
    try:
        first = f.readline()
        rest = f.read()
        end = end or ("eof" if not rest else "eof after %d more bytes"
                      % len(rest))
    except ConnectionResetError:
        end = "reset"
    try:
        reply = json.loads(first)
    except ValueError:
        reply = first.decode(errors="replace")
    report({"reply": reply, "end": end})


def cmd_slowread(a):
    s = connect(a.sock)
    s.sendall(a.line.encode() + b"\n")
    f = s.makefile("rb")
    n, last, end = 0, None, "eof"
    try:
        while True:
            line = f.readline()
            if not line:
                break
            n += 1
            last = json.loads(line)
            time.sleep(a.delay)
    except ConnectionResetError:
        end = "reset"
    report({"lines": n, "last": last, "end": end})


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    h = sub.add_parser("hold")
    h.add_argument("sock")
    h.add_argument("n", type=int)
    h.add_argument("--line")
    h.add_argument("--hold", type=float)
    o = sub.add_parser("oversize")
    o.add_argument("sock")
    o.add_argument("bytes", type=int)
    r = sub.add_parser("slowread")
    r.add_argument("sock")
    r.add_argument("line")
    r.add_argument("delay", type=float)
    a = p.parse_args()
    {"hold": cmd_hold, "oversize": cmd_oversize,
     "slowread": cmd_slowread}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
