#!/usr/bin/env bash
# http2.sh - over HTTPS, nginx offers HTTP/2 and haishind uses it, with the
# CA file from its configuration; the requests of a run share one connection.
source "$(dirname "$0")/lib.sh"

world_repo
openssl req -x509 -newkey ed25519 -keyout "$W/tls.key" -out "$W/tls.crt" -days 2 \
	-nodes -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
chmod 644 "$W/tls.key"
mkdir -p "$W/src/a" "$W/src/b" "$W/nginx"
echo a >"$W/src/a/file"
echo b >"$W/src/b/file"
"$PUBLISH" add "$W/repo" alpha 1.0 "$W/src/a" >/dev/null
"$PUBLISH" add "$W/repo" beta 1.0 "$W/src/b" >/dev/null
"$PUBLISH" sign "$W/repo" --key "$W/man" >/dev/null
nginx_start "$W/nginx" "$W/repo" "$W/tls.crt" "$W/tls.key"
CLIENT_EXTRA="[server]
ca_file = $W/tls.crt" client_config "$NGINX_URL"
once
expect_state COMPLETED 0 "alpha 1.0 installed"
expect_eq "$(grep -c 'HTTP/2.0 200' "$W/nginx/access.log")" 4 \
	"root.json, manifest.json and two packages over HTTP/2"
# (the first line is nginx_start's readiness probe)
expect_eq "$(grep -v '^GET / ' "$W/nginx/access.log" | cut -d' ' -f6 | sort -u | wc -l)" 1 \
	"all four requests on one connection"

finish
