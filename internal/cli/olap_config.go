package cli

import (
	"context"

	"github.com/rtdw/rtdw/internal/olap"
	_ "github.com/rtdw/rtdw/internal/olap/backends" // every OLAP backend kind
)

// OLAPConfig is the `olap:` block of rtdw.yaml: where DWS tables live.
//
//	olap:
//	  kind: duckdb            # default; file <data dir>/olap/gmall_realtime.duckdb
//	olap:
//	  kind: postgres
//	  dsn: postgres://rtdw:secret@db:5432/warehouse?sslmode=disable
//	  query_dsn: postgres://rtdw_reader:secret@db:5432/warehouse  # the role queries run as (optional)
//	olap:
//	  kind: doris             # or starrocks
//	  addr: http://fe:8030    # Stream Load
//	  query_addr: fe:9030     # DDL and queries (MySQL protocol)
//	  user: root
//	olap:
//	  kind: clickhouse
//	  addr: http://ch:8123     # the HTTP interface
//
// On every kind, allow_external_access: true lets queries (rtdw query, the
// dashboard) reach files, extensions and settings (docs/olap.md).
type OLAPConfig = olap.Config

// openOLAP opens the configured OLAP backend; readOnly is for commands
// that only query (DuckDB then opens its file read-only).
func (g *globals) openOLAP(ctx context.Context, c Config, readOnly bool) (olap.Sink, error) {
	oc := c.OLAP
	oc.DataDir, oc.Logger, oc.ReadOnly = g.dataDir, g.logger, readOnly
	return olap.Open(ctx, oc)
}
