#!/usr/bin/env bash
# Installs what haishin needs to build, test and run its demo, from Debian packages.
# Idempotent, and quiet when everything is already there.
set -euo pipefail

packages=(
	build-essential cmake pkg-config clang clang-format
	libcurl4-openssl-dev libarchive-dev libssl-dev libzstd-dev
	libjansson-dev libsqlite3-dev libcmocka-dev libsystemd-dev
	liblzma-dev libdivsufsort-dev
	nginx-light zstd curl sqlite3 locales gettext python3
	openssl bc time iproute2
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed'; then
		missing+=("$p")
	fi
done

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -qq
	$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The staff at a terminal read Japanese: the locale must exist so that the
# translated messages can be tested.
if ! locale -a 2>/dev/null | grep -qi '^ja_JP\.utf-\?8$'; then
	echo "setup: generating the ja_JP.UTF-8 locale"
	$sudo sed -i 's/^# *\(ja_JP.UTF-8 UTF-8\)/\1/' /etc/locale.gen
	grep -q '^ja_JP.UTF-8 UTF-8' /etc/locale.gen ||
		echo 'ja_JP.UTF-8 UTF-8' | $sudo tee -a /etc/locale.gen >/dev/null
	$sudo locale-gen >/dev/null
fi
