package format

import (
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/row"
)

// maxwell-json: Maxwell's change records,
//
//	{"database":"gmall","table":"order_info","type":"update","ts":1651217960,
//	 "xid":42,"commit":true,"data":{...},"old":{"order_status":"1001"},
//	 "primary_key_columns":["id"]}
//
// type insert and bootstrap-insert -> +I(data); update -> -U(data with
// old's fields laid over it: old holds the previous values of the
// changed columns only) then +U(data); delete -> -D(data);
// bootstrap-start, bootstrap-complete and DDL records (table-create, ...)
// carry no row. ts is in seconds.

type maxwellDecoder struct {
	cdcMeta
	p   fastjson.Parser
	vd  *valueDecoder
	old []row.Value
}

var maxwellNoRow = map[string]bool{
	"bootstrap-start": true, "bootstrap-complete": true,
	"table-create": true, "table-alter": true, "table-drop": true,
	"database-create": true, "database-alter": true, "database-drop": true,
}

func newMaxwellDecoder(f *Format, want metaWant) *maxwellDecoder {
	return &maxwellDecoder{cdcMeta: newCDCMeta(MaxwellJSON, want), vd: newValueDecoder(f, false)}
}

func (d *maxwellDecoder) Decode(value []byte, b *Batch) error {
	b.Meta.format = MaxwellJSON
	b.reset()
	if len(value) == 0 {
		return nil // a tombstone, skipped as Flink does
	}
	return done(d.decode(value, b), b, d.vd)
}

func (d *maxwellDecoder) decode(value []byte, b *Batch) error {
	o, err := d.env.parse(&d.p, value)
	if err != nil {
		return err
	}
	e, err := d.readFlat(o, &b.Meta, &maxwellSpec)
	if err != nil {
		return err
	}
	t, err := d.env.kind(e.typ, "type")
	if err != nil {
		return err
	}
	var kind row.RowKind
	switch string(t) {
	case "insert", "bootstrap-insert":
		kind = row.Insert
	case "update":
		kind = row.UpdateAfter
	case "delete":
		kind = row.Delete
	default:
		if maxwellNoRow[string(t)] {
			return nil
		}
		return d.env.errorf("type", "unknown type %s (want insert, update, delete, bootstrap-insert, bootstrap-start, bootstrap-complete or a DDL type)", quote(t))
	}
	if err := d.env.object(e.data, "data"); err != nil {
		return err
	}
	if kind != row.UpdateAfter {
		return d.vd.change(b, kind, e.data, nil, "data", -1)
	}
	if old := e.old; old != nil && old.Type() != fastjson.TypeNull && old.Type() != fastjson.TypeObject {
		return d.env.errorf("old", "want a JSON object, got %s", old.Type())
	}
	return d.vd.update(b, e.old, e.data, &d.old, nil, "old", "data", -1)
}
