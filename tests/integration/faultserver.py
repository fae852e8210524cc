#!/usr/bin/env python3
"""faultserver.py - a fault-injecting HTTP/1.1 file server for the integration
tests (standard library only).

    faultserver.py --root DIR --port-file FILE [--tls-cert CERT --tls-key KEY]

Binds 127.0.0.1 on a free port, writes the port number to FILE once listening
and serves the files under DIR: GET and HEAD, a strong ETag and Last-Modified,
single byte ranges (bytes=N-, bytes=N-M, bytes=-N) with If-Range, 416 past the
end.  Bodies go out in 64 KiB chunks so that faults can cut them anywhere.
A request line with an absolute URL (as sent to an HTTP proxy) is served by
its path and counted as proxied.  SIGTERM or SIGINT stops it cleanly.

Control endpoints (never subject to faults, not counted in the stats):

  POST /_control/plan    {"path": "/p", "faults": [F, ...]}  replaces the plan
                         of /p; each later request (GET or HEAD) for /p
                         consumes the next fault.  Path "*" serves every path
                         that has no plan of its own (a plan, even an emptied
                         or empty one, exempts a path from "*").
  POST /_control/random  {"seed", "p", "min", "max", "how": rst|fin|mix}
                         every GET that sends a body and has no planned fault
                         drops, with probability p, after a random number of
                         body bytes in [min, max).  {"p": 0} turns it off.
  POST /_control/etag    {"path", "etag", ["last_modified"]} persistent
                         validator override (etag null removes it).
  GET  /_control/stats   {"requests", "total_body_bytes", "by_path", "log",
                         "proxied"}
  POST /_control/reset   clears plans, random mode, overrides and stats.

Faults (each may also carry "times": K to be consumed by K requests):

  {"drop_after": N, "how": "fin"|"rst"}   N body bytes, then close
  {"stall_after": N, "seconds": S}         N body bytes, S seconds of silence,
                                           then close
  {"status": CODE, "retry_after": "2"}     CODE with a small body
  {"corrupt": [START, END]}                file bytes [START, END) XOR 0xFF
  {"ignore_range": true}                   200 with the full body
  {"trickle": BYTES_PER_SEC}               paced body
  {"endless": true}                        200, no length, endless body
  {"extra": N}                             N bytes past Content-Length, close
  {"short": N}                             N bytes short of it, close (FIN)
  {"no_length": true}                      200, no length, full body, close
  {"redirect_loop": true}                  302 to the same URL
  {"as_size": N}                           the file as if it had N bytes (a
                                           wrong file): its first N bytes, or
                                           all of it and "Z"s up to N; the
                                           Content-Length, a 206's
                                           Content-Range and a 416's total
                                           all say N; the validators stay
  {"range_total": T}                       a 206 whose Content-Range total
                                           says T (the body is the real one)
  {"chunked": true}                        Transfer-Encoding: chunked, no
                                           length; the last chunk marks the
                                           end (combines with as_size)
"""

import argparse
import email.utils
import json
import mimetypes
import os
import random
import signal
import socket
import socketserver
import ssl
import struct
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

try:
    import fcntl
    import termios

    _TIOCOUTQ = termios.TIOCOUTQ
except (ImportError, AttributeError):  # pragma: no cover - not Linux
    fcntl = None
    _TIOCOUTQ = None

CHUNK = 64 * 1024
XOR_FF = bytes(255 - i for i in range(256))
STOP = threading.Event()
FAULT_KEYS = ("drop_after", "stall_after", "status", "corrupt", "ignore_range",
              "trickle", "endless", "extra", "short", "no_length",
              "redirect_loop", "as_size", "range_total", "chunked")
FILLER = b"Z" * CHUNK


class ClientGone(Exception):
    """The peer went away while we were writing."""


class State:
    """Plans, random mode, validator overrides and statistics (one lock)."""

    def __init__(self):
        self.lock = threading.Lock()
        self._clear()

    def reset(self):
        with self.lock:
            self._clear()

    def _clear(self):
        self.plans = {}
        self.random = None
        self.rng = None
        self.overrides = {}
        self.requests = 0
        self.total_body_bytes = 0
        self.proxied = 0
        self.by_path = {}
        self.log = []

    def set_plan(self, path, faults):
        with self.lock:
            self.plans[path] = [dict(f) for f in faults]

    def next_fault(self, path):
        with self.lock:
            plan = self.plans.get(path)
            if plan is None:
                plan = self.plans.get("*")
            if not plan:
                return None
            fault = plan[0]
            times = fault.get("times", 1)
            if isinstance(times, int) and times > 1:
                fault["times"] = times - 1
                fault = dict(fault, times=1)
            else:
                plan.pop(0)
            out = dict(fault)
            out.pop("times", None)
            return out

    def set_random(self, cfg):
        with self.lock:
            p = float(cfg.get("p", 0))
            if p <= 0:
                self.random = None
                self.rng = None
                return
            lo = int(cfg.get("min", 1))
            hi = int(cfg.get("max", lo + 1))
            how = cfg.get("how", "mix")
            if how not in ("rst", "fin", "mix"):
                raise ValueError("how must be rst, fin or mix")
            self.random = {"p": p, "min": max(0, lo), "max": max(hi, lo + 1),
                           "how": how}
            self.rng = random.Random(cfg.get("seed", 0))

    def random_drop(self, length):
        """Returns a drop fault for a body of LENGTH bytes, or None."""
        with self.lock:
            cfg = self.random
            if cfg is None:
                return None
            rng = self.rng
            hit = rng.random() < cfg["p"]
            n = rng.randrange(cfg["min"], cfg["max"])
            how = cfg["how"]
            if how == "mix":
                how = rng.choice(("rst", "fin"))
            if not hit or n >= length:
                return None
            return {"drop_after": n, "how": how, "random": True}

    def set_override(self, path, etag, last_modified):
        with self.lock:
            if etag is None and last_modified is None:
                self.overrides.pop(path, None)
            else:
                self.overrides[path] = (etag, last_modified)

    def override(self, path):
        with self.lock:
            return self.overrides.get(path, (None, None))

    def begin(self, path, method, rng, if_range, proxied):
        entry = {"path": path, "method": method, "range": rng,
                 "if_range": if_range, "status": None, "body_bytes": 0,
                 "fault": None, "proxied": proxied}
        with self.lock:
            self.requests += 1
            if proxied:
                self.proxied += 1
            p = self.by_path.setdefault(path, {"requests": 0, "body_bytes": 0})
            p["requests"] += 1
            self.log.append(entry)
        return entry

    def note(self, entry, **kw):
        with self.lock:
            entry.update(kw)

    def add_bytes(self, entry, n):
        with self.lock:
            entry["body_bytes"] += n
            self.total_body_bytes += n
            self.by_path[entry["path"]]["body_bytes"] += n

    def stats(self):
        with self.lock:
            return json.dumps({
                "requests": self.requests,
                "total_body_bytes": self.total_body_bytes,
                "by_path": self.by_path,
                "log": self.log,
                "proxied": self.proxied,
            })


STATE = State()


def parse_range(value, size):
    """Returns (start, end) (end exclusive) for one satisfiable range,
    "416" when unsatisfiable, or None when the header is to be ignored."""
    if not value:
        return None
    unit, _, spec = value.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    if not dash:
        return None
    first, last = first.strip(), last.strip()
    try:
        if first == "":
            if not last.isdigit():
                return None
            n = int(last)
            if n == 0:
                return "416"
            return (max(0, size - n), size) if size else "416"
        if not first.isdigit() or (last and not last.isdigit()):
            return None
        start = int(first)
        end = int(last) + 1 if last else size
        if last and end <= start:
            return None
    except ValueError:
        return None
    if start >= size:
        return "416"
    return start, min(end, size)


def if_range_matches(value, etag, mtime, last_modified):
    value = value.strip()
    if value.startswith('"') or value.startswith("W/"):
        return not value.startswith("W/") and value == etag
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return False
    if when is None:
        return False
    if last_modified is not None:
        return value == last_modified
    return int(when.timestamp()) == int(mtime)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "faultserver/1"
    timeout = 60

    # -- plumbing -------------------------------------------------------

    def version_string(self):
        return self.server_version

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()

    def log_request(self, code="-", size="-"):
        pass

    def log_message(self, fmt, *args):
        msg = fmt % args
        if msg.startswith("Request timed out"):
            return
        sys.stderr.write("faultserver: %s\n" % msg)

    def write(self, data):
        try:
            self.wfile.write(data)
        except (OSError, ValueError) as e:
            raise ClientGone() from e

    def end_headers(self):
        try:
            super().end_headers()
        except (OSError, ValueError) as e:
            raise ClientGone() from e

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def simple(self, code, body=b"", ctype="text/plain", headers=(), head=False):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if not head:
            self.write(body)

    def wait_sent(self, limit=2.0):
        """Waits until the peer has acknowledged everything we wrote."""
        if fcntl is None:
            return
        deadline = time.monotonic() + limit
        buf = bytearray(struct.calcsize("i"))
        while time.monotonic() < deadline:
            try:
                fcntl.ioctl(self.request.fileno(), _TIOCOUTQ, buf)
            except OSError:
                return
            if struct.unpack("i", buf)[0] == 0:
                return
            time.sleep(0.005)

    def close_with(self, how):
        """Ends the connection now: "fin" (orderly) or "rst" (reset)."""
        self.close_connection = True
        sock = self.request
        if how == "rst":
            self.wait_sent()
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                struct.pack("ii", 1, 0))
                os.close(sock.detach())
            except OSError:
                pass
        else:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:
                pass

    def handle_one_request(self):
        try:
            super().handle_one_request()
        except ClientGone:
            self.close_connection = True

    # -- request routing ------------------------------------------------

    def target(self):
        """Returns (path, proxied, location) of the request target: a
        request line with an absolute URL is what a proxy client sends."""
        raw = self.path
        proxied = raw[:8].lower().startswith(("http://", "https://"))
        raw_path = urllib.parse.urlsplit(raw).path or "/"
        return urllib.parse.unquote(raw_path), proxied, raw

    def do_GET(self):
        self.dispatch(head=False)

    def do_HEAD(self):
        self.dispatch(head=True)

    def do_POST(self):
        path, _, _ = self.target()
        if path.startswith("/_control/"):
            self.control(path)
            return
        self.read_body()
        self.simple(405, b"method not allowed\n", headers=[("Allow", "GET, HEAD")])

    def dispatch(self, head):
        path, proxied, location = self.target()
        if path.startswith("/_control/"):
            self.control(path)
            return
        entry = STATE.begin(path, self.command, self.headers.get("Range"),
                            self.headers.get("If-Range"), proxied)
        try:
            self.serve(path, location, head, entry)
        finally:
            if entry["status"] is None:
                STATE.note(entry, status=0)

    # -- control ----------------------------------------------------------

    def control(self, path):
        try:
            if self.command == "GET" and path == "/_control/stats":
                body = STATE.stats().encode()
                self.simple(200, body, "application/json")
                return
            if self.command != "POST":
                self.simple(405, b"POST only\n")
                return
            raw = self.read_body()
            req = json.loads(raw) if raw.strip() else {}
            if not isinstance(req, dict):
                raise ValueError("body must be a JSON object")
            if path == "/_control/plan":
                faults = req.get("faults", [])
                p = req.get("path")
                if not isinstance(p, str) or not isinstance(faults, list):
                    raise ValueError("need path (string) and faults (list)")
                for f in faults:
                    if not isinstance(f, dict) or not any(k in f for k in FAULT_KEYS):
                        raise ValueError("unknown fault: %r" % (f,))
                if p != "*" and not p.startswith("/"):
                    p = "/" + p
                STATE.set_plan(p, faults)
            elif path == "/_control/random":
                STATE.set_random(req)
            elif path == "/_control/etag":
                p = req.get("path")
                if not isinstance(p, str):
                    raise ValueError("need path")
                if not p.startswith("/"):
                    p = "/" + p
                etag = req.get("etag")
                if etag is not None and not (etag.startswith('"') or etag.startswith("W/")):
                    etag = '"%s"' % etag
                STATE.set_override(p, etag, req.get("last_modified"))
            elif path == "/_control/reset":
                STATE.reset()
            else:
                self.simple(404, b"no such control endpoint\n")
                return
            self.simple(200, b'{"ok": true}\n', "application/json")
        except (ValueError, TypeError) as e:
            msg = json.dumps({"ok": False, "error": str(e)}).encode() + b"\n"
            self.simple(400, msg, "application/json")

    # -- files --------------------------------------------------------------

    def resolve(self, path):
        """Returns the file system path for PATH, or None if it escapes."""
        if "\0" in path or ".." in path.split("/"):
            return None
        root = self.server.root
        fs = os.path.normpath(os.path.join(root, path.lstrip("/")))
        if fs != root and not fs.startswith(root + os.sep):
            return None
        return fs

    def serve(self, path, location, head, entry):
        fs = self.resolve(path)
        if fs is None:
            STATE.note(entry, status=400)
            self.simple(400, b"bad path\n", head=head)
            return
        fault = STATE.next_fault(path)
        if fault is not None:
            STATE.note(entry, fault=fault)

        if fault and "status" in fault:
            code = int(fault["status"])
            headers = []
            if fault.get("retry_after") is not None:
                headers.append(("Retry-After", str(fault["retry_after"])))
            STATE.note(entry, status=code)
            body = b"" if code in (204, 304) or code < 200 else (
                ("%d injected\n" % code).encode())
            self.simple(code, body, headers=headers, head=head)
            return
        if fault and fault.get("redirect_loop"):
            STATE.note(entry, status=302)
            self.simple(302, b"redirect\n", headers=[("Location", location)], head=head)
            return
        if fault and fault.get("endless"):
            self.endless(fs, head, entry)
            return

        try:
            fh = open(fs, "rb")
        except OSError:
            fh = None
        if fh is None or not os.path.isfile(fs):
            if fh:
                fh.close()
            STATE.note(entry, status=404)
            self.simple(404, b"not found\n", head=head)
            return
        with fh:
            self.serve_file(path, fh, head, entry, fault)

    def serve_file(self, path, fh, head, entry, fault):
        st = os.fstat(fh.fileno())
        size = st.st_size
        etag = '"%x-%x"' % (size, st.st_mtime_ns)
        fault = fault or {}
        real_size = size
        if "as_size" in fault:
            size = int(fault["as_size"])
        last_modified = email.utils.formatdate(int(st.st_mtime), usegmt=True)
        o_etag, o_lm = STATE.override(path)
        if o_etag is not None:
            etag = o_etag
        if o_lm is not None:
            last_modified = o_lm

        start, end, status = 0, size, 200
        rng = self.headers.get("Range")
        if_range = self.headers.get("If-Range")
        if rng and not (fault.get("ignore_range") or fault.get("no_length")):
            use = True
            if if_range is not None:
                use = if_range_matches(if_range, etag, st.st_mtime,
                                       o_lm)
            r = parse_range(rng, size) if use else None
            if r == "416":
                STATE.note(entry, status=416)
                self.simple(416, b"range not satisfiable\n", head=head, headers=[
                    ("Content-Range", "bytes */%d" % size),
                    ("ETag", etag), ("Last-Modified", last_modified)])
                return
            if r is not None:
                start, end, status = r[0], r[1], 206
        length = end - start

        ctype = mimetypes.guess_type(path)[0] or "application/octet-stream"
        if path.endswith(".zst"):
            ctype = "application/zstd"
        no_length = bool(fault.get("no_length"))
        chunked = bool(fault.get("chunked"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        if chunked:
            self.send_header("Transfer-Encoding", "chunked")
        elif not no_length:
            self.send_header("Content-Length", str(length))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", last_modified)
        if status == 206:
            total = int(fault.get("range_total", size))
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, end - 1, total))
        closing = no_length or any(k in fault for k in ("drop_after", "extra", "short",
                                                        "stall_after"))
        if closing:
            self.send_header("Connection", "close")
        STATE.note(entry, status=status)

        if head:
            self.end_headers()
            if closing:
                self.close_connection = True
            return

        if not fault and length > 0:
            drop = STATE.random_drop(length)
            if drop:
                fault = drop
                STATE.note(entry, fault=drop)
                self.send_header("Connection", "close")
        self.end_headers()

        corrupt = fault.get("corrupt")
        if corrupt is not None:
            corrupt = (int(corrupt[0]), int(corrupt[1]))
        rate = fault.get("trickle")
        rate = float(rate) if rate else None
        self.real_size = real_size
        self.chunked = chunked

        if "drop_after" in fault:
            self.stream(fh, start, end, entry, limit=int(fault["drop_after"]),
                        corrupt=corrupt, rate=rate)
            self.close_with(fault.get("how", "fin"))
            return
        if "stall_after" in fault:
            self.stream(fh, start, end, entry, limit=int(fault["stall_after"]),
                        corrupt=corrupt, rate=rate)
            STOP.wait(float(fault.get("seconds", 10)))
            self.close_with("fin")
            return
        if "short" in fault:
            self.stream(fh, start, end, entry, limit=max(0, length - int(fault["short"])),
                        corrupt=corrupt, rate=rate)
            self.close_with("fin")
            return
        self.stream(fh, start, end, entry, corrupt=corrupt, rate=rate)
        if chunked:
            self.write(b"0\r\n\r\n")
        if "extra" in fault:
            n = int(fault["extra"])
            while n > 0:
                k = min(n, CHUNK)
                self.write(b"X" * k)
                STATE.add_bytes(entry, k)
                n -= k
            self.close_with("fin")
            return
        if no_length:
            self.close_with("fin")

    def stream(self, fh, start, end, entry, limit=None, corrupt=None, rate=None):
        """Sends file bytes [start, end), at most LIMIT of them."""
        todo = end - start if limit is None else max(0, min(limit, end - start))
        chunk = CHUNK
        if rate:
            chunk = max(1, min(CHUNK, int(rate // 20)))
        fh.seek(start)
        pos, sent = start, 0
        t0 = time.monotonic()
        real = getattr(self, "real_size", None)
        while sent < todo:
            want = min(chunk, todo - sent)
            if real is not None and pos >= real:
                data = FILLER[:want]  # past the real file (as_size)
            else:
                data = fh.read(want)
            if not data:
                break
            if corrupt and pos < corrupt[1] and pos + len(data) > corrupt[0]:
                a = max(corrupt[0], pos) - pos
                b = min(corrupt[1], pos + len(data)) - pos
                data = data[:a] + data[a:b].translate(XOR_FF) + data[b:]
            if rate:
                delay = t0 + (sent + len(data)) / rate - time.monotonic()
                if delay > 0 and STOP.wait(delay):
                    raise ClientGone()
            if getattr(self, "chunked", False):
                self.write(b"%x\r\n" % len(data) + data + b"\r\n")
            else:
                self.write(data)
            STATE.add_bytes(entry, len(data))
            sent += len(data)
            pos += len(data)
        return sent

    def endless(self, fs, head, entry):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        STATE.note(entry, status=200)
        self.end_headers()
        self.close_connection = True
        if head:
            return
        data = b""
        try:
            with open(fs, "rb") as fh:
                data = fh.read(CHUNK)
        except OSError:
            pass
        if not data:
            data = bytes(range(256)) * (CHUNK // 256)
        while not STOP.is_set():
            self.write(data)
            STATE.add_bytes(entry, len(data))


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, root, tls):
        self.root = os.path.normpath(os.path.abspath(root))
        super().__init__(("127.0.0.1", 0), Handler)
        if tls:
            self.socket = tls.wrap_socket(self.socket, server_side=True,
                                          do_handshake_on_connect=False)

    def server_bind(self):
        # No reverse lookup (HTTPServer.server_bind calls getfqdn).
        socketserver.TCPServer.server_bind(self)
        self.server_name = "127.0.0.1"
        self.server_port = self.server_address[1]

    def handle_error(self, request, client_address):
        e = sys.exc_info()[1]
        if isinstance(e, (ClientGone, ConnectionError, TimeoutError, ssl.SSLError,
                          BrokenPipeError, OSError)):
            return
        import traceback
        sys.stderr.write("faultserver: error serving %s:\n" % (client_address,))
        traceback.print_exc(file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description="fault-injecting HTTP file server")
    ap.add_argument("--root", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if not os.path.isdir(args.root):
        ap.error("no such directory: %s" % args.root)

    tls = None
    if args.tls_cert:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(args.tls_cert, args.tls_key)
        tls.set_alpn_protocols(["http/1.1"])

    server = Server(args.root, tls)

    def stop(signum, frame):
        STOP.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                              daemon=True)
    thread.start()
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(tmp, args.port_file)

    while not STOP.wait(1.0):
        pass
    server.shutdown()
    server.server_close()
    try:
        os.unlink(args.port_file)
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
