# shellcheck shell=bash
# nginx-lib.sh - serve a directory with a real nginx on a free loopback port.
# Sourced by scripts/demo.sh and the integration tests.
#
#   nginx_start DIR ROOT [CERT KEY]
#                          starts nginx (config, logs, pid under DIR) serving
#                          ROOT, over HTTPS with HTTP/2 when a certificate is
#                          given; sets NGINX_PORT and NGINX_URL
#   nginx_stop DIR         stops it
#
# DIR/access.log has one line per request: the request line, the status, the
# body bytes, the connection and its request count, then the If-None-Match
# and If-Modified-Since the request carried ("-" when none).
#
# When started as root, nginx's workers run as an unprivileged user, so ROOT
# and its parents must be readable by others: nginx_start makes them so.

nginx_bin() {
	command -v nginx || echo /usr/sbin/nginx
}

nginx_write_conf() {
	local dir=$1 root=$2 port=$3 cert=${4:-} key=${5:-} listen tls=""
	listen="127.0.0.1:$port"
	if [ -n "$cert" ]; then
		listen="$listen ssl http2"
		tls="ssl_certificate $cert; ssl_certificate_key $key;"
	fi
	cat >"$dir/nginx.conf" <<CONF
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 256; }
http {
	log_format haishin '\$request \$status \$body_bytes_sent \$connection \$connection_requests "\$http_if_none_match" "\$http_if_modified_since"';
	access_log $dir/access.log haishin;
	client_body_temp_path $dir/tmp/body;
	proxy_temp_path $dir/tmp/proxy;
	fastcgi_temp_path $dir/tmp/fastcgi;
	uwsgi_temp_path $dir/tmp/uwsgi;
	scgi_temp_path $dir/tmp/scgi;
	types { application/json json; application/zstd zst; }
	default_type application/octet-stream;
	sendfile on;
	tcp_nopush on;
	server {
		listen $listen;
		$tls
		root $root;
		location / { }
	}
}
CONF
}

nginx_start() {
	local dir=$1 root=$2 cert=${3:-} key=${4:-} port try scheme=http
	mkdir -p "$dir/tmp"
	chmod o+rx "$dir" "$root"
	find "$root" -type d -exec chmod o+rx {} + 2>/dev/null || true
	find "$root" -type f -exec chmod o+r {} + 2>/dev/null || true
	for try in $(seq 1 30); do
		port=$((20000 + RANDOM % 40000))
		nginx_write_conf "$dir" "$root" "$port" "$cert" "$key"
		if "$(nginx_bin)" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" 2>>"$dir/start.log"; then
			NGINX_PORT=$port
			[ -n "$cert" ] && scheme=https
			NGINX_URL="$scheme://127.0.0.1:$port/"
			export NGINX_PORT NGINX_URL
			# Wait until it answers.
			for _ in $(seq 1 50); do
				if curl -s -k -o /dev/null "$NGINX_URL" 2>/dev/null; then
					return 0
				fi
				sleep 0.1
			done
			return 0
		fi
	done
	echo "nginx would not start; see $dir/start.log" >&2
	return 1
}

nginx_stop() {
	local dir=$1 pid
	[ -f "$dir/nginx.pid" ] || return 0
	pid=$(cat "$dir/nginx.pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 1 50); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -9 "$pid" 2>/dev/null || true
}
