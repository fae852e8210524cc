#!/usr/bin/env python3
"""Signs an arbitrary payload into a DSSE envelope with the openssl CLI.

An independent signer for the integration tests: it shares no code with
haishin, so the tests can make metadata that haishin-publish never would
(expired, malformed, missing fields, hostile package entries).

usage: dsse_sign.py TYPE PAYLOAD_FILE KEY_PEM [KEY_PEM...] > envelope.json
"""
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile


def raw_public(key_pem):
    der = subprocess.run(
        ["openssl", "pkey", "-in", key_pem, "-pubout", "-outform", "DER"],
        check=True, capture_output=True).stdout
    return der[-32:]


def sign(key_pem, message):
    with tempfile.NamedTemporaryFile(delete=False) as f:
        f.write(message)
        path = f.name
    try:
        return subprocess.run(
            ["openssl", "pkeyutl", "-sign", "-rawin", "-inkey", key_pem,
             "-in", path], check=True, capture_output=True).stdout
    finally:
        os.unlink(path)


def main():
    ptype, payload_file, keys = sys.argv[1], sys.argv[2], sys.argv[3:]
    payload = open(payload_file, "rb").read()
    pae = b"DSSEv1 %d %s %d %s" % (len(ptype), ptype.encode(), len(payload),
                                   payload)
    sigs = [{"keyid": hashlib.sha256(raw_public(k)).hexdigest(),
             "sig": base64.b64encode(sign(k, pae)).decode()} for k in keys]
    json.dump({"payloadType": ptype,
               "payload": base64.b64encode(payload).decode(),
               "signatures": sigs}, sys.stdout, indent=1)


main()
