#!/usr/bin/env bash
# Installs the Debian packages the tests use (idempotent; make test runs it).
#   kcat: a real librdkafka client for Kafka-protocol interop tests.
set -euo pipefail
need=()
command -v kcat >/dev/null 2>&1 || need+=(kcat)
if ((${#need[@]})); then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  echo "installing test dependencies: ${need[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
