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
	env         envelope
	p           fastjson.Parser
	vd          *valueDecoder
	want        metaWant
	db, table   interned
	pks         internedList
	old         []row.Value
	ddlOrMarker map[string]bool
}

var maxwellNoRow = map[string]bool{
	"bootstrap-start": true, "bootstrap-complete": true,
	"table-create": true, "table-alter": true, "table-drop": true,
	"database-create": true, "database-alter": true, "database-drop": true,
}

func newMaxwellDecoder(f *Format, want metaWant) *maxwellDecoder {
	return &maxwellDecoder{env: envelope{format: MaxwellJSON}, vd: newValueDecoder(f, false), want: want, ddlOrMarker: maxwellNoRow}
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
	var typ, data, old, ts, db, table, pks *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "type":
			typ = v
		case "data":
			data = v
		case "old":
			old = v
		case "ts":
			ts = v
		case "database":
			db = v
		case "table":
			table = v
		case "primary_key_columns":
			pks = v
		}
	})
	m := &b.Meta
	if m.Database, err = d.env.str(db, "database", &d.db); err != nil {
		return err
	}
	if m.Table, err = d.env.str(table, "table", &d.table); err != nil {
		return err
	}
	if m.IngestionTime, err = d.env.millis(ts, "ts", 1000); err != nil {
		return err
	}
	if d.want&wantPrimaryKeys != 0 {
		if m.PrimaryKeys, err = d.env.list(pks, "primary_key_columns", &d.pks); err != nil {
			return err
		}
	}
	t, err := d.env.kind(typ, "type")
	if err != nil {
		return err
	}
	switch string(t) {
	case "insert", "bootstrap-insert":
		if err := d.env.object(data, "data"); err != nil {
			return err
		}
		return d.vd.change(b, row.Insert, data, nil, "data", -1)
	case "update":
		if err := d.env.object(data, "data"); err != nil {
			return err
		}
		if old != nil && old.Type() != fastjson.TypeNull && old.Type() != fastjson.TypeObject {
			return d.env.errorf("old", "want a JSON object, got %s", old.Type())
		}
		return d.vd.update(b, old, data, true, &d.old, nil, "old", "data", -1)
	case "delete":
		if err := d.env.object(data, "data"); err != nil {
			return err
		}
		return d.vd.change(b, row.Delete, data, nil, "data", -1)
	}
	if d.ddlOrMarker[string(t)] {
		return nil
	}
	return d.env.errorf("type", "unknown type %s (want insert, update, delete, bootstrap-insert, bootstrap-start, bootstrap-complete or a DDL type)", quote(t))
}
