#!/usr/bin/env bash
# The test suite starts its own throwaway PostgreSQL cluster on loopback; it needs the
# server binaries from Debian's postgresql package. Installs them when missing (as root).
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi
if [ -n "${SUCCESSLINK_TEST_POSTGRES_URL:-}" ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "PostgreSQL server binaries are missing: run 'sudo apt-get install postgresql'" >&2
  echo "or set SUCCESSLINK_TEST_POSTGRES_URL to a server the tests may create databases on." >&2
  exit 1
fi
echo "Installing PostgreSQL from Debian for the backend tests..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql > /dev/null
