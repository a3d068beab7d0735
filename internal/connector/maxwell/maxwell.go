// Package maxwell decodes Maxwell's JSON (topic_db's canonical format):
// {"database","table","type","ts"(s),"xid","commit","data",{"old"}}.
package maxwell

import (
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/jsonw"
)

// Decode decodes one Maxwell record.
func Decode(b []byte) ([]change.Change, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(b)
	if err != nil {
		return nil, fmt.Errorf("maxwell: %w", err)
	}
	c, err := DecodeValue(v)
	if err != nil {
		return nil, err
	}
	return []change.Change{c}, nil
}

// Types lists Maxwell's record types: row changes, bootstrap markers and
// DDL.
var Types = map[string]bool{
	change.Insert: true, change.Update: true, change.Delete: true,
	change.BootstrapStart: true, change.BootstrapInsert: true, change.BootstrapComplete: true,
	"table-create": true, "table-alter": true, "table-drop": true,
	"database-create": true, "database-alter": true, "database-drop": true,
}

// IsDDL reports Maxwell's DDL record types.
func IsDDL(typ string) bool {
	switch typ {
	case "table-create", "table-alter", "table-drop", "database-create", "database-alter", "database-drop":
		return true
	}
	return false
}

// DecodeValue decodes a parsed Maxwell record.
func DecodeValue(v *fastjson.Value) (change.Change, error) {
	c, _, err := DecodeValueInto(v, nil)
	return c, err
}

// DecodeValueInto is DecodeValue that writes the row's JSON (data, old)
// into buf and returns it grown: a decoder that reuses buf allocates
// nothing per record for it, and the change is valid until buf is reused.
func DecodeValueInto(v *fastjson.Value, buf []byte) (change.Change, []byte, error) {
	c, err := decodeValue(v, &buf)
	return c, buf, err
}

func decodeValue(v *fastjson.Value, buf *[]byte) (change.Change, error) {
	var c change.Change
	if v.Type() != fastjson.TypeObject {
		return c, fmt.Errorf("maxwell: record is %s, want object", v.Type())
	}
	str := func(k string) (string, error) {
		f := v.Get(k)
		if f == nil || f.Type() != fastjson.TypeString {
			return "", fmt.Errorf("maxwell: %q missing or not a string", k)
		}
		return string(f.GetStringBytes()), nil
	}
	var err error
	if c.Type, err = str("type"); err != nil {
		return c, err
	}
	if IsDDL(c.Type) {
		// database-* records have no table; DDL records carry no row.
		return c, fmt.Errorf("maxwell: %w", change.Skip("ddl", "%s", c.Type))
	}
	if c.Database, err = str("database"); err != nil {
		return c, err
	}
	if c.Table, err = str("table"); err != nil {
		return c, err
	}
	ts := v.Get("ts")
	if ts == nil || ts.Type() != fastjson.TypeNumber {
		return c, fmt.Errorf("maxwell: \"ts\" missing or not a number")
	}
	if c.TS, err = ts.Int64(); err != nil {
		return c, fmt.Errorf("maxwell: ts: %w", err)
	}
	if x := v.Get("xid"); x != nil && x.Type() == fastjson.TypeNumber {
		c.Xid, _ = x.Int64()
	}
	c.Commit = v.GetBool("commit")
	switch d := v.Get("data"); {
	case d != nil && d.Type() == fastjson.TypeObject:
		c.Data = appendTo(buf, d)
	case (d == nil || d.Type() == fastjson.TypeNull) && (c.Type == change.BootstrapStart || c.Type == change.BootstrapComplete):
		c.Data = []byte("{}")
	case d != nil && d.Type() == fastjson.TypeArray:
		return c, fmt.Errorf("maxwell: \"data\" is an array, want one row as an object (an array of rows is Canal's shape, whose types are upper case)")
	default:
		return c, fmt.Errorf("maxwell: \"data\" missing or not an object")
	}
	if o := v.Get("old"); o != nil && o.Type() != fastjson.TypeNull {
		if o.Type() != fastjson.TypeObject {
			return c, fmt.Errorf("maxwell: \"old\" is %s, want object", o.Type())
		}
		c.Old = appendTo(buf, o)
	}
	if err := c.Validate(); err != nil {
		return c, fmt.Errorf("maxwell: %w", err)
	}
	return c, nil
}

// appendTo appends v's JSON to *buf and returns it as a slice of its own
// (capped: what is appended later cannot write into it).
func appendTo(buf *[]byte, v *fastjson.Value) []byte {
	n := len(*buf)
	*buf = jsonw.AppendValue(*buf, v)
	return (*buf)[n:len(*buf):len(*buf)]
}
