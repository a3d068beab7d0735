// Package backends links every OLAP backend into the program, so
// olap.Open knows all kinds: import it for its side effects.
package backends

import (
	_ "github.com/rtdw/rtdw/internal/connector/clickhouse" // kind clickhouse
	_ "github.com/rtdw/rtdw/internal/connector/duckdb"     // kind duckdb
	_ "github.com/rtdw/rtdw/internal/connector/postgres"   // kind postgres
	_ "github.com/rtdw/rtdw/internal/connector/streamload" // kinds doris, starrocks
)
