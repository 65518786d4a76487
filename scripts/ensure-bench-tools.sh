#!/usr/bin/env bash
# The HTTP benchmarks (bench cases redirect_http, webhooks_http) load the service with wrk
# and compare it with nginx `return 302`; both come from Debian. Installs them when missing
# (as root).
set -euo pipefail
missing=()
command -v wrk > /dev/null || missing+=(wrk)
command -v nginx > /dev/null || [ -x /usr/sbin/nginx ] || missing+=(nginx)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "The HTTP benchmarks need ${missing[*]}: run 'sudo apt-get install ${missing[*]}'" >&2
  exit 1
fi
echo "Installing ${missing[*]} from Debian for the HTTP benchmarks..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" > /dev/null
