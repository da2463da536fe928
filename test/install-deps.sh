#!/usr/bin/env bash
# Install what building and testing modelarts_fdw needs, from Debian 12's
# packages.  Does nothing when everything is already there; otherwise needs
# root (or sudo).
#
#   test/install-deps.sh          everything: the extension's build, the tests
#                                 (the emulator), the benchmarks
#   test/install-deps.sh build    only what `make && make install` of the
#                                 extension needs, and PostgreSQL 15 to run it
set -euo pipefail

# the extension: PostgreSQL's server headers, libcurl, cJSON, OpenSSL; the
# system's CA certificates, which https endpoints are verified against by
# default (a minimal Debian has none: test/t/140_tls.t needs them)
build=(build-essential pkg-config postgresql-15 postgresql-server-dev-15
       postgresql-common libcurl4-openssl-dev libcjson-dev libssl-dev
       ca-certificates)
# the tests and benchmarks: the emulator (libmicrohttpd), TAP (IPC::Run), wrk,
# a real driver (psycopg 3, TAP 330),
# git (make dist, checked by a TAP test)
tests=(libmicrohttpd-dev openssl curl perl libipc-run-perl wrk git python3-psycopg)

case "${1:-all}" in
  build) pkgs=("${build[@]}") ;;
  all)   pkgs=("${build[@]}" "${tests[@]}") ;;
  *)     echo "usage: $0 [build|all]" >&2; exit 2 ;;
esac

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# keep the package's own cluster from being created: we make throwaway ones
if [ ! -e /etc/postgresql-common/createcluster.d/no-main.conf ]; then
  $SUDO mkdir -p /etc/postgresql-common/createcluster.d
  echo "create_main_cluster = false" | $SUDO tee /etc/postgresql-common/createcluster.d/no-main.conf >/dev/null
fi
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
