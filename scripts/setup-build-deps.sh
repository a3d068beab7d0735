#!/usr/bin/env bash
# Installs what building rtdw needs beyond Go (idempotent; make build runs it):
#   g++: cgo links the embedded DuckDB (duckdb-go's static library is C++).
#   npm: `make assets` fetches the dashboard's chart libraries (web/package-lock.json).
set -euo pipefail
need=()
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v npm >/dev/null 2>&1 || need+=(npm)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing build dependencies: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
