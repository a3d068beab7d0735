#!/usr/bin/env bash
# A throwaway MariaDB for tests: its own data dir, port and socket, binlog on
# (ROW format), so tests and the binlog reader see real changes.
#
#   scripts/mariadb-test.sh start DIR PORT [WATCH_PID [rm]]   # prints a DSN on stdout
#   scripts/mariadb-test.sh stop DIR
#
# start initialises DIR/data on first use, starts mariadbd in the background,
# waits until it answers, creates user rtdw/rtdw with every privilege
# (replication included) and prints: rtdw:rtdw@tcp(127.0.0.1:PORT)/
# With WATCH_PID, a watchdog stops the server when that process exits, so a
# test binary that dies never leaves a server behind; with rm it also deletes DIR.
# MARIADB_EXTRA_ARGS (space-separated) go last on mariadbd's command line, so
# they override the above (e.g. --skip-log-bin for a server without binlog).
# Needs Debian's mariadb-server (scripts/setup-test-deps.sh installs it).
set -euo pipefail

usage() { echo "usage: $0 start DIR PORT [WATCH_PID [rm]] | stop DIR" >&2; exit 2; }

stop() {
  local dir=$1 pid
  [ -f "$dir/mariadb.pid" ] || return 0
  pid=$(cat "$dir/mariadb.pid")
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$dir/mariadb.pid"
}

cmd=${1:-}; dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || usage
case "$cmd" in
start)
  port=${3:-}; watch=${4:-}; rmdir=${5:-}
  [ -n "$port" ] || usage
  for b in mariadbd mariadb-install-db mariadb-admin mariadb; do
    command -v "$b" >/dev/null 2>&1 || [ -x "/usr/sbin/$b" ] || {
      echo "$0: $b not found: run scripts/setup-test-deps.sh (installs mariadb-server)" >&2; exit 1; }
  done
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  user=$(id -un)
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --no-defaults --datadir="$dir/data" --user="$user" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/install.log" 2>&1 ||
      { cat "$dir/install.log" >&2; exit 1; }
  fi
  stop "$dir"
  mariadbd_bin=$(command -v mariadbd || echo /usr/sbin/mariadbd)
  # Its own tmpdir: internal temporary tables live there, not in a /tmp
  # that tests and their cleanups share.
  mkdir -p "$dir/tmp"
  # No defaults files: nothing of a system MariaDB leaks in.
  "$mariadbd_bin" --no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --user="$user" \
    --port="$port" --bind-address=127.0.0.1 --socket="$dir/mariadb.sock" \
    --pid-file="$dir/mariadb.pid" --log-error="$dir/error.log" \
    --log-bin="$dir/data/binlog" --binlog-format=ROW --binlog-row-image=FULL --server-id=1 \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
    --skip-name-resolve --innodb-buffer-pool-size=64M --innodb-log-file-size=48M \
    --innodb-flush-log-at-trx-commit=2 --sync-binlog=0 ${MARIADB_EXTRA_ARGS:-} >/dev/null 2>&1 &
  for i in $(seq 1 300); do
    mariadb-admin --no-defaults --socket="$dir/mariadb.sock" -uroot ping >/dev/null 2>&1 && break
    if [ "$i" = 300 ]; then echo "$0: mariadbd did not start; $dir/error.log:" >&2; tail -20 "$dir/error.log" >&2; exit 1; fi
    sleep 0.1
  done
  mariadb --no-defaults --socket="$dir/mariadb.sock" -uroot -e \
    "CREATE USER IF NOT EXISTS 'rtdw'@'%' IDENTIFIED BY 'rtdw'; GRANT ALL PRIVILEGES ON *.* TO 'rtdw'@'%' WITH GRANT OPTION;"
  if [ -n "$watch" ]; then
    # Detached: survives this script, ends with the watched process.
    after=""
    [ "$rmdir" = rm ] && after="; rm -rf '$dir'"
    nohup bash -c "while kill -0 $watch 2>/dev/null; do sleep 1; done; '$0' stop '$dir'$after" >/dev/null 2>&1 &
  fi
  echo "rtdw:rtdw@tcp(127.0.0.1:$port)/"
  ;;
stop) stop "$dir" ;;
*) usage ;;
esac
