package ods

import (
	"sync"

	"github.com/rtdw/rtdw/internal/connector/debezium"
	"github.com/rtdw/rtdw/internal/mock"
)

var (
	typesOnce    sync.Once
	typesByTable map[string]map[string]debezium.Column
)

// ColumnTypes is the business database's column types a topic_db format
// without types needs (Debezium without the schema envelope: its DECIMAL,
// DATETIME and DATE columns), from gmall's DDL (SPEC §1, the file `rtdw
// mock init` loads). The config database's tables, and tables gmall does
// not have, are unknown (nil).
func ColumnTypes(db, table string) map[string]debezium.Column {
	if IsConfig(db) {
		return nil
	}
	typesOnce.Do(func() {
		typesByTable = map[string]map[string]debezium.Column{}
		for _, t := range mock.Tables() {
			cols := map[string]debezium.Column{}
			for _, c := range t.Cols {
				switch c.Kind {
				case mock.KindDecimal:
					cols[c.Name] = debezium.Column{Kind: debezium.Decimal, Scale: c.Scale}
				case mock.KindDatetime:
					cols[c.Name] = debezium.Column{Kind: debezium.Datetime}
				case mock.KindDate:
					cols[c.Name] = debezium.Column{Kind: debezium.Date}
				}
			}
			typesByTable[t.Name] = cols
		}
	})
	return typesByTable[table]
}
