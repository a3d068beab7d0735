#!/usr/bin/env bash
# Installs the Debian packages the tests use (idempotent; make test runs it),
# with those of scripts/setup-build-deps.sh, so that a fresh machine runs
# apt-get update once:
#   g++: cgo links the embedded DuckDB.
#   kcat: a real librdkafka client for Kafka-protocol interop tests.
#   mariadb-server: a real MariaDB (binlog on) for the mock shop's mysql output
#     and the binlog reader; scripts/mariadb-test.sh starts a private instance.
#   postgresql: a real PostgreSQL for the OLAP sink tests; internal/testenv
#     (postgres.go) runs initdb + postgres on a free port in a temp dir.
#   redis-server: a real Redis for the dimension store (internal/testenv/redis.go
#     starts a private instance: own port and dir, no persistence).
#   chromium + fonts-wqy-microhei: the dashboard's headless browser test
#     (internal/testenv/chromium.go) and readable Chinese labels in its screenshot.
#   npm: `make assets` (also installed by scripts/setup-build-deps.sh for make build).
set -euo pipefail
need=()
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v kcat >/dev/null 2>&1 || need+=(kcat)
{ command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; } || need+=(mariadb-server)
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || need+=(postgresql)
{ command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ]; } || need+=(redis-server)
{ command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; } || need+=(chromium)
[ -e /usr/share/fonts/truetype/wqy/wqy-microhei.ttc ] || need+=(fonts-wqy-microhei)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing test dependencies: ${need[*]}" >&2
  $sudo apt-get update -qq
  # Do not start the system service: tests start their own instance.
  DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
