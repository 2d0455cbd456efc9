#!/usr/bin/env bash
# Install the Debian packages that provide the given commands, if any is missing.
# Usage: scripts/system-deps.sh COMMAND=PACKAGE ...   (e.g. redis-server=redis-server)
# A COMMAND that starts with "/" is a file the package installs (for packages that install
# no command, such as nginx modules and Lua libraries):
#   /usr/share/nginx/modules/ngx_http_lua_module.so=libnginx-mod-http-lua
# Idempotent and quiet when everything is present, so every `make` target can call it.
set -euo pipefail

missing=()
for pair in "$@"; do
  command_name=${pair%%=*}
  package=${pair#*=}
  if [[ $command_name == /* ]]; then
    [ -e "$command_name" ] || missing+=("$package")
  elif ! command -v "$command_name" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$command_name" ]; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "missing packages: ${missing[*]}; install them as root: apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${as_root[@]}" apt-get update -qq
"${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
