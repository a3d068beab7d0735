// Package nexmark holds the Nexmark benchmark as Flink SQL files: the
// event table and views (ddl.sql over the nexmark generator, ddl_kafka.sql
// over a topic of JSON events), the queries q0.sql ... q22.sql into
// blackhole sinks, and side_input.sql, the side input of q13. They run
// unchanged with `rtdw sql -f ddl.sql -f qN.sql --drain`; `rtdw bench
// nexmark` runs them from this embedded copy.
package nexmark

import "embed"

// Files are the SQL files of this directory.
//
//go:embed *.sql
var Files embed.FS
