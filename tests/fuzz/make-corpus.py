#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz corpus (called by make-corpus.sh).

usage: make-corpus.py WORK CORPUS DSSE_SIGN

WORK holds the keys (root1, root2, man1, man2 .key/.pub) and the
repositories repo1 and repo2 that make-corpus.sh made with haishin-publish.
Every file written is named seed-*; near-valid variants change one thing of
a real input, and envelopes of variants are signed for real (DSSE_SIGN, the
integration tests' independent signer), so the parser behind the signature
check is reached too.
"""
import base64
import copy
import glob
import io
import json
import os
import subprocess
import sys
import tarfile

WORK, CORPUS, SIGN = sys.argv[1:4]
TYPE_ROOT = "application/vnd.haishin.root+json"
TYPE_MANIFEST = "application/vnd.haishin.manifest+json"


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(CORPUS, target, "seed-" + name), "wb") as f:
        f.write(data)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def payload_of(envelope_path):
    env = json.loads(read(envelope_path))
    return base64.b64decode(env["payload"])


def dump(obj):
    return json.dumps(obj, indent=1, sort_keys=True)


def sign(ptype, payload, keys):
    path = os.path.join(WORK, "payload.tmp")
    with open(path, "wb") as f:
        f.write(payload if isinstance(payload, bytes) else payload.encode())
    return subprocess.run(
        [sys.executable, SIGN, ptype, path] +
        [os.path.join(WORK, k + ".key") for k in keys],
        check=True, capture_output=True).stdout


def edited(obj, path, value, delete=False):
    """A copy of obj with the member at path (a list of keys) replaced."""
    obj = copy.deepcopy(obj)
    node = obj
    for k in path[:-1]:
        node = node[k]
    if delete:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return obj


def manifests():
    m1 = payload_of(os.path.join(WORK, "repo1", "manifest.json"))
    m2 = payload_of(os.path.join(WORK, "repo2", "manifest.json"))
    put("envelope", "manifest-payload.json", m1)
    put("envelope", "manifest-payload-empty.json", m2)
    put("envelope", "manifest.json",
        read(os.path.join(WORK, "repo1", "manifest.json")))
    put("envelope", "manifest-2sig.json",
        read(os.path.join(WORK, "repo2", "manifest.json")))
    m = json.loads(m1)
    c = ["components", "cardreader"]
    p = c + ["package"]
    variants = {
        "serial-negative": edited(m, ["serial"], -1),
        "serial-huge": edited(m, ["serial"], 2**63),
        "serial-string": edited(m, ["serial"], "7"),
        "expires-feb31": edited(m, ["expires"], "2026-02-31T00:00:00Z"),
        "expires-offset": edited(m, ["expires"], "2026-01-01T00:00:00+09:00"),
        "expires-year0": edited(m, ["expires"], "0000-01-01T00:00:00Z"),
        "type-root": edited(m, ["_type"], "root"),
        "no-components": edited(m, ["components"], None, delete=True),
        "minimum-above": edited(m, c + ["minimum"], "9.0.0"),
        "version-prerelease": edited(m, c + ["version"], "2.1.0-rc.1.x-y"),
        "version-leading-zeros": edited(m, c + ["version"], "002.01.0"),
        "version-staging": edited(m, c + ["version"], "2.1.0.staging"),
        "version-empty-part": edited(m, c + ["version"], "2..1"),
        "restart-reboot": edited(m, c + ["restart"], "reboot"),
        "url-dotdot": edited(m, p + ["url"], "packages/../../etc/passwd"),
        "url-absolute": edited(m, p + ["url"], "https://evil.example/x"),
        "url-nul": edited(m, p + ["url"], "packages/a\u0000b"),
        "size-zero": edited(m, p + ["size"], 0),
        "size-over": edited(m, p + ["size"], 2**32 * 4 + 1),
        "sha256-upper": edited(m, p + ["sha256"], "A" * 64),
        "sha256-short": edited(m, p + ["sha256"], "a" * 63),
        "name-bad": edited(m, ["components", "Card..reader\n"],
                           m["components"]["cardreader"]),
        "name-long": edited(m, ["components", "c" * 65],
                            m["components"]["cardreader"]),
        "extra-fields": edited(m, ["future"], {"x": [1, 2.5, None, True]}),
    }
    for name, v in variants.items():
        put("envelope", "manifest-payload-" + name + ".json", dump(v))
    for name in ("minimum-above", "url-dotdot", "extra-fields"):
        put("envelope", "manifest-signed-" + name + ".json",
            sign(TYPE_MANIFEST, dump(variants[name]), ["man1"]))
    # Duplicate keys, as text: json.dumps cannot write them.
    put("envelope", "manifest-payload-dupkey.json",
        m1.replace(b'"serial"', b'"serial": 1, "serial"', 1))
    put("envelope", "manifest-payload-truncated.json", m1[:len(m1) // 2])


def envelopes():
    env = json.loads(read(os.path.join(WORK, "repo1", "manifest.json")))
    sig = env["signatures"][0]
    variants = {
        "no-signatures": edited(env, ["signatures"], []),
        "33-signatures": edited(env, ["signatures"], [sig] * 33),
        "sig-not-object": edited(env, ["signatures"], ["x"]),
        "sig-bad-base64": edited(env, ["signatures", 0, "sig"], "!!!!"),
        "sig-short": edited(env, ["signatures", 0, "sig"], "AAAA"),
        "keyid-short": edited(env, ["signatures", 0, "keyid"], "abcd"),
        "payload-unpadded": edited(env, ["payload"],
                                   env["payload"].rstrip("=") + "A"),
        "payload-empty": edited(env, ["payload"], ""),
        "payload-bad-char": edited(env, ["payload"],
                                   "*" + env["payload"][1:]),
        "type-other": edited(env, ["payloadType"], "text/plain"),
        "type-root": edited(env, ["payloadType"], TYPE_ROOT),
        "no-payload": edited(env, ["payload"], None, delete=True),
    }
    for name, v in variants.items():
        put("envelope", "env-" + name + ".json", dump(v))
    put("envelope", "env-array.json", "[]")
    put("envelope", "env-empty.json", "")
    put("envelope", "env-nested.json", "[" * 64 + "]" * 64)


def roots():
    r1 = payload_of(os.path.join(WORK, "repo1", "root.json"))
    r2 = payload_of(os.path.join(WORK, "repo2", "root.json"))
    put("root", "root1.json", r1)
    put("root", "root2-threshold2.json", r2)
    put("envelope", "root.json", read(os.path.join(WORK, "repo1", "root.json")))
    put("envelope", "root-2sig.json",
        read(os.path.join(WORK, "repo2", "root.json")))
    put("envelope", "root-payload.json", r1)
    r = json.loads(r2)
    ids = r["roles"]["root"]["keyids"]
    k0 = ids[0]
    other = [k for k in r["keys"] if k != k0][0]
    variants = {
        "threshold-0": edited(r, ["roles", "root", "threshold"], 0),
        "threshold-over": edited(r, ["roles", "root", "threshold"], 3),
        "threshold-negative": edited(r, ["roles", "manifest", "threshold"],
                                     -1),
        "keyid-twice": edited(r, ["roles", "root", "keyids"], [k0, k0]),
        "keyid-unknown": edited(r, ["roles", "root", "keyids"], ["ab" * 32]),
        "keyids-empty": edited(r, ["roles", "root", "keyids"], []),
        "keyids-33": edited(r, ["roles", "root", "keyids"], [k0] * 33),
        "keyid-not-string": edited(r, ["roles", "root", "keyids"], [1]),
        "keyid-mismatch": edited(r, ["keys", k0], r["keys"][other]),
        "keytype-rsa": edited(r, ["keys", k0, "keytype"], "rsa"),
        "public-bad-base64": edited(r, ["keys", k0, "public"], "####"),
        "public-31-bytes": edited(r, ["keys", k0, "public"],
                                  base64.b64encode(b"\x01" * 31).decode()),
        "public-long": edited(r, ["keys", k0, "public"], "A" * 100),
        "no-manifest-role": edited(r, ["roles", "manifest"], None,
                                   delete=True),
        "version-0": edited(r, ["version"], 0),
        "expires-bad": edited(r, ["expires"], "2031-13-01T00:00:00Z"),
        "type-manifest": edited(r, ["_type"], "manifest"),
        "keys-array": edited(r, ["keys"], []),
        "extra-role": edited(r, ["roles", "timestamp"], r["roles"]["root"]),
    }
    for name, v in variants.items():
        put("root", "root-" + name + ".json", dump(v))
    # Signed for real, so trust_root_load() gets past the signatures.
    for name in ("threshold-over", "keyid-twice", "extra-role"):
        put("envelope", "root-signed-" + name + ".json",
            sign(TYPE_ROOT, dump(variants[name]), ["root1", "root2"]))
    one = edited(r, ["roles", "root", "threshold"], 2)
    put("envelope", "root-signed-one-of-two.json",
        sign(TYPE_ROOT, dump(one), ["root1"]))
    put("root", "root-dupkey.json",
        r1.replace(b'"version"', b'"version": 2, "version"', 1))
    put("root", "root-truncated.json", r1[:len(r1) * 2 // 3])


CONF_FULL = """\ufeff[server]
url = https://updates.example.jp/repo   # base URL, gets a final /
mirrors = http://m1.example/r/, https://m2.example:8443/r  http://[::1]:80/r
proxy = socks5h://proxy.example:1080
ca_file = /etc/ssl/certs/ca.pem
[trust]
root = /etc/haishin/root.json
[paths]
state = /var/lib/haishin
cache = /var/cache/haishin
install = /opt/haishin
socket = /run/haishin/haishind.sock
[transfer]
max_rate = 1048576
stall_timeout = 3600
connect_timeout = 1
retries = 0
min_rate = 1
backoff_initial = 0
backoff_max = 86400
[schedule]
enabled = off
boot_delay_max = 0
interval = 60
quiet_hours = 22:00 - 6:30
[control]
group = haishin
admin_group = _admin-2
[server]
; a section may be reopened
"""


def configs():
    put("config", "full.conf", CONF_FULL)
    put("config", "crlf.conf", CONF_FULL.replace("\n", "\r\n"))
    put("config", "no-final-newline.conf",
        "[server]\nurl = http://127.0.0.1:8080/repo/")
    put("config", "semicolon-in-url.conf",
        "[server]\nurl = http://h/a;b # comment\n")
    put("config", "unset.conf",
        "[server]\nurl =\nmirrors =\nproxy =\nca_file =\n"
        "[schedule]\nquiet_hours =\n")
    errors = {
        "set-twice": "[server]\nurl = http://a/\nurl = http://b/\n",
        "unknown-section": "[servers]\nurl = http://a/\n",
        "unknown-key": "[server]\nuri = http://a/\n",
        "outside-section": "url = http://a/\n",
        "no-equals": "[server]\nurl http://a/\n",
        "no-key": "[server]\n= http://a/\n",
        "no-bracket": "[server\n",
        "empty-section": "[]\n",
        "url-scheme": "[server]\nurl = ftp://a/\n",
        "url-no-host": "[server]\nurl = https:///x\n",
        "url-query": "[server]\nurl = https://a/?x=1\n",
        "url-control": "[server]\nurl = https://a/\x01b\n",
        "url-long": "[server]\nurl = https://a/" + "x" * 1100 + "\n",
        "mirrors-9": "[server]\nmirrors = " +
                     " ".join("http://m%d/" % i for i in range(9)) + "\n",
        "proxy-scheme": "[server]\nproxy = gopher://p/\n",
        "path-relative": "[paths]\nstate = var/lib\n",
        "path-long": "[paths]\nsocket = /" + "s" * 120 + "\n",
        "number-range": "[transfer]\nstall_timeout = 0\n",
        "number-overflow": "[transfer]\nmax_rate = 99999999999999999999\n",
        "number-sign": "[transfer]\nretries = -1\n",
        "number-hex": "[transfer]\nretries = 0x10\n",
        "bool": "[schedule]\nenabled = maybe\n",
        "quiet-equal": "[schedule]\nquiet_hours = 08:00-08:00\n",
        "quiet-range": "[schedule]\nquiet_hours = 24:00-25:61\n",
        "quiet-short": "[schedule]\nquiet_hours = 8:0-9\n",
        "group-bad": "[control]\ngroup = Admin\n",
        "group-long": "[control]\ngroup = " + "g" * 33 + "\n",
        "nul": "[server]\nurl = http://a/\x00\n",
        "line-long": "# " + "x" * 4100 + "\n",
    }
    for name, text in errors.items():
        put("config", "error-" + name + ".conf", text)


# Entries: (name, type, data or link target, mode).  Types are tarfile's.
def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w", format=fmt) as tf:
        for name, kind, data, mode in entries:
            ti = tarfile.TarInfo(name)
            ti.type = kind
            ti.mode = mode
            ti.mtime = 1700000000
            if kind == tarfile.REGTYPE:
                ti.size = len(data)
                tf.addfile(ti, io.BytesIO(data))
            else:
                if kind in (tarfile.SYMTYPE, tarfile.LNKTYPE):
                    ti.linkname = data
                if kind in (tarfile.CHRTYPE, tarfile.BLKTYPE):
                    ti.devmajor, ti.devminor = 1, 3
                tf.addfile(ti)
    return trim(out.getvalue())


def trim(data):
    """Drops tarfile's padding to a 10 KiB record: the data, then the two
    zero blocks that end an archive."""
    end = len(data)
    while end >= 512 and data[end - 512:end] == bytes(512):
        end -= 512
    return data[:end] + bytes(1024)


def zst(data):
    return subprocess.run(["zstd", "-q", "-19", "-c"], input=data,
                          check=True, capture_output=True).stdout


F, D, L, H = tarfile.REGTYPE, tarfile.DIRTYPE, tarfile.SYMTYPE, \
    tarfile.LNKTYPE


def archives():
    pkgs = sorted(glob.glob(os.path.join(WORK, "repo1", "packages", "*",
                                         "*.tar.zst")))
    for i, p in enumerate(pkgs):
        put("unpack", "package%d.tar.zst" % (i + 1), read(p))
    real = read(pkgs[0])
    put("unpack", "package-truncated.tar.zst", real[:len(real) // 2])
    put("unpack", "package-raw.tar",
        subprocess.run(["zstd", "-q", "-d", "-c"], input=real, check=True,
                       capture_output=True).stdout)
    ok = [("bin", D, None, 0o755), ("bin/app", F, b"#!/bin/sh\n", 0o755),
          ("etc/app.conf", F, b"x = 1\n", 0o644),
          ("bin/conf", L, "../etc/app.conf", 0o777),
          ("./share/", D, None, 0o700), ("share/empty", F, b"", 0o600)]
    put("unpack", "valid-pax.tar", tar_bytes(ok))
    put("unpack", "valid-ustar.tar", tar_bytes(ok, tarfile.USTAR_FORMAT))
    put("unpack", "valid-gnu.tar", tar_bytes(ok, tarfile.GNU_FORMAT))
    put("unpack", "valid-pax.tar.zst", zst(tar_bytes(ok)))
    deep = "/".join(["d"] * 70) + "/f"
    hostile = {
        "dotdot": [("../evil", F, b"x", 0o644)],
        "dotdot-inner": [("a/../../evil", F, b"x", 0o644)],
        "absolute": [("/tmp/hs-fuzz-evil", F, b"x", 0o644)],
        "dot-inner": [("a/./b", F, b"x", 0o644)],
        "empty-component": [("a//b", F, b"x", 0o644)],
        "link-out": [("l", L, "../..", 0o777)],
        "link-absolute": [("l", L, "/etc", 0o777)],
        "link-empty": [("l", L, "", 0o777)],
        "link-then-write": [("l", L, "sub", 0o777), ("sub", D, None, 0o755),
                            ("l/file", F, b"x", 0o644)],
        "link-dot-escape": [("s", L, ".", 0o777),
                            ("t", L, "s/../../x", 0o777)],
        "link-over-dir": [("d", D, None, 0o755), ("d", L, ".", 0o777)],
        "hardlink": [("f", F, b"x", 0o644), ("h", H, "f", 0o644)],
        "chardev": [("null", tarfile.CHRTYPE, None, 0o666)],
        "blockdev": [("sda", tarfile.BLKTYPE, None, 0o666)],
        "fifo": [("fifo", tarfile.FIFOTYPE, None, 0o644)],
        "duplicate": [("f", F, b"one", 0o644), ("f", F, b"two", 0o644)],
        "dir-then-file": [("x", D, None, 0o755), ("x", F, b"y", 0o644)],
        "setuid": [("su", F, b"x", 0o4777), ("dir", D, None, 0o7777)],
        "deep": [(deep, F, b"x", 0o644)],
        "long-name": [("n" * 300, F, b"x", 0o644)],
        "control-name": [("a\x1b[31m\nb", F, b"x", 0o644)],
    }
    for name, entries in hostile.items():
        put("unpack", "hostile-" + name + ".tar", tar_bytes(entries))
    put("unpack", "hostile-dotdot.tar.zst",
        zst(tar_bytes(hostile["dotdot"])))
    put("unpack", "hostile-link-then-write.tar.zst",
        zst(tar_bytes(hostile["link-then-write"])))
    # A decompression bomb: 20 MiB of zeros in a few hundred bytes.
    bomb = tar_bytes([("zeros", F, bytes(20 * 1024 * 1024), 0o644)])
    put("unpack", "bomb.tar.zst", zst(bomb))
    # A header that promises more data than follows.
    short = bytearray(tar_bytes([("f", F, b"x" * 600, 0o644)],
                                tarfile.USTAR_FORMAT))
    put("unpack", "short-data.tar", bytes(short[:512 + 100]))
    bad = bytearray(tar_bytes(ok, tarfile.USTAR_FORMAT))
    bad[148:156] = b"0000000\x00"  # checksum
    put("unpack", "bad-checksum.tar", bytes(bad))
    put("unpack", "end-only.tar", bytes(1024))
    put("unpack", "empty", b"")
    sparse(os.path.join(WORK, "sparse"))


def sparse(work):
    """GNU tar's sparse formats: old GNU and PAX 1.0."""
    os.makedirs(work, exist_ok=True)
    path = os.path.join(work, "holes")
    with open(path, "wb") as f:
        f.truncate(512 * 1024)
        f.seek(4096)
        f.write(b"data in the middle")
    for fmt, name in (("gnu", "gnu"), ("pax", "pax")):
        subprocess.run(["tar", "-C", work, "--sparse", "--format=" + fmt,
                        "--owner=0", "--group=0", "--mtime=@1700000000", "-b1",
                        "-cf", os.path.join(CORPUS, "unpack",
                                            "seed-sparse-" + name + ".tar"),
                        "holes"], check=True)


manifests()
envelopes()
roots()
configs()
archives()
