#!/bin/sh
# Installs what building and testing uiommufd needs (Debian packages).
set -eu
need=""
command -v meson >/dev/null 2>&1 || need="$need meson"
command -v ninja >/dev/null 2>&1 || need="$need ninja-build"
command -v cc >/dev/null 2>&1 || need="$need gcc"
command -v clang >/dev/null 2>&1 || need="$need clang"
command -v python3 >/dev/null 2>&1 || need="$need python3"
command -v pkg-config >/dev/null 2>&1 || need="$need pkgconf"
[ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
[ -f /usr/include/linux/types.h ] || need="$need linux-libc-dev"
[ -f /usr/include/Zydis/Zydis.h ] || need="$need libzydis-dev"
command -v tree >/dev/null 2>&1 || need="$need tree"
if [ -n "$need" ]; then
	if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
	$SUDO apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $need >/dev/null
fi
