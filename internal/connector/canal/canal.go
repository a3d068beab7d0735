// Package canal decodes Canal's flat JSON messages into change records
// (SPEC §1). One message carries several rows of one statement ("data" is
// an array, "old" aligned with it); INIT rows (a full snapshot) are
// bootstrap-inserts; values are strings, so columns whose
// mysqlType is numeric become JSON numbers; DATETIME strings are already in
// Maxwell's format. ts = es (binlog time, ms) / 1000, else ts / 1000.
package canal

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/jsonw"
)

// DecodeValue decodes a parsed Canal flat message.
func DecodeValue(v *fastjson.Value) ([]change.Change, error) {
	if v.Type() != fastjson.TypeObject {
		return nil, fmt.Errorf("canal: message is %s, want object", v.Type())
	}
	if v.GetBool("isDdl") {
		return nil, fmt.Errorf("canal: %w", change.Skip("ddl", "DDL %q", v.GetStringBytes("type")))
	}
	var typ string
	switch t := string(v.GetStringBytes("type")); t {
	case "INSERT":
		typ = change.Insert
	case "INIT":
		// A row of Canal's full snapshot: an insert of a row that already
		// existed, as Debezium's op r and Maxwell's bootstrap-insert.
		typ = change.BootstrapInsert
	case "UPDATE":
		typ = change.Update
	case "DELETE":
		typ = change.Delete
	default:
		if reason := noRow[t]; reason != "" {
			return nil, fmt.Errorf("canal: %w", change.Skip(reason, "type %q", t))
		}
		return nil, fmt.Errorf("canal: type %q is not a Canal type (INSERT, UPDATE, DELETE, INIT, or a DDL, transaction or heartbeat type)", t)
	}
	ms := number(v.Get("es"))
	if ms <= 0 {
		ms = number(v.Get("ts"))
	}
	numeric := map[string]bool{}
	if mt := v.GetObject("mysqlType"); mt != nil {
		mt.Visit(func(k []byte, t *fastjson.Value) { numeric[string(k)] = isNumeric(string(t.GetStringBytes())) })
	}
	rows := v.GetArray("data")
	if len(rows) == 0 {
		return nil, fmt.Errorf("canal: %s without \"data\" rows", typ)
	}
	olds := v.GetArray("old")
	out := make([]change.Change, 0, len(rows))
	for i, r := range rows {
		row := change.ObjectOf(r)
		if row == nil {
			return nil, fmt.Errorf("canal: data[%d] is not an object", i)
		}
		c := change.Change{Database: string(v.GetStringBytes("database")), Table: string(v.GetStringBytes("table")), Type: typ, TS: ms / 1000}
		c.Data = render(row, numeric)
		if typ == change.Update && i < len(olds) {
			if old := change.ObjectOf(olds[i]); old != nil {
				c.Old = render(old, numeric)
			}
		}
		if err := c.Validate(); err != nil {
			return nil, fmt.Errorf("canal: row %d: %w", i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// noRow are Canal's event types that change no row, by skip reason.
var noRow = map[string]string{
	"CREATE": "ddl", "ALTER": "ddl", "ERASE": "ddl", "QUERY": "ddl", "TRUNCATE": "ddl", "RENAME": "ddl",
	"CINDEX": "ddl", "DINDEX": "ddl", "GTID": "transaction", "XACOMMIT": "transaction", "XAROLLBACK": "transaction",
	"MHEARTBEAT": "heartbeat",
}

// number reads a JSON number or a numeric string (Canal writes both).
func number(v *fastjson.Value) int64 {
	if v == nil {
		return 0
	}
	if v.Type() == fastjson.TypeString {
		n, _ := strconv.ParseInt(string(v.GetStringBytes()), 10, 64)
		return n
	}
	n, _ := v.Int64()
	return n
}

func isNumeric(mysqlType string) bool {
	t := strings.ToLower(mysqlType)
	for _, p := range []string{"tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "numeric", "float", "double", "real"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

func render(row *fastjson.Object, numeric map[string]bool) []byte {
	return change.Object(nil, func(emit func(string, []byte)) {
		row.Visit(func(k []byte, val *fastjson.Value) {
			if numeric[string(k)] && val.Type() == fastjson.TypeString {
				s := string(val.GetStringBytes())
				if _, err := strconv.ParseFloat(s, 64); err == nil && fastjson.Validate(s) == nil {
					emit(string(k), []byte(s))
					return
				}
			}
			emit(string(k), jsonw.AppendValue(nil, val))
		})
	})
}
