// Package testenv starts the real servers integration tests need, once per
// test binary: today a private MariaDB with binlog on (MariaDB). Tests never
// skip for a missing server: they fail and say how to install it
// (scripts/setup-test-deps.sh, which `make test` runs).
package testenv
