package format

import (
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/row"
)

// canal-json: Canal's flat messages, several rows of one statement each:
//
//	{"data":[{"id":"7","order_status":"1002"}],"old":[{"order_status":"1001"}],
//	 "database":"gmall","table":"order_info","type":"UPDATE","isDdl":false,
//	 "es":1651217960000,"ts":1651217960500,"pkNames":["id"],
//	 "mysqlType":{...},"sqlType":{"id":-5,"order_status":12}}
//
// type INSERT -> +I per data row; INIT (a full-snapshot row) -> +I per
// row; UPDATE -> -U(data[i] with old[i]'s fields laid over it) then
// +U(data[i]) per row; DELETE -> -D per row; isDdl true, and the DDL and
// transaction types, carry no rows. Values are strings (typed by the DDL)
// or null.

type canalDecoder struct {
	cdcMeta
	f   *Format
	p   fastjson.Parser
	vd  *valueDecoder
	old []row.Value
}

// canalNoRow are Canal's event types that change no row.
var canalNoRow = map[string]bool{
	"CREATE": true, "ALTER": true, "ERASE": true, "QUERY": true, "TRUNCATE": true, "RENAME": true,
	"CINDEX": true, "DINDEX": true, "GTID": true, "XACOMMIT": true, "XAROLLBACK": true, "MHEARTBEAT": true,
}

func newCanalDecoder(f *Format, want metaWant) *canalDecoder {
	return &canalDecoder{cdcMeta: newCDCMeta(CanalJSON, want), f: f, vd: newValueDecoder(f, false)}
}

func (d *canalDecoder) Decode(value []byte, b *Batch) error {
	b.Meta.format = CanalJSON
	b.reset()
	if len(value) == 0 {
		return nil // a tombstone, skipped as Flink does
	}
	return done(d.decode(value, b), b, d.vd)
}

func (d *canalDecoder) decode(value []byte, b *Batch) error {
	o, err := d.env.parse(&d.p, value)
	if err != nil {
		return err
	}
	e, err := d.readFlat(o, &b.Meta, &canalSpec)
	if err != nil {
		return err
	}
	m := &b.Meta
	if d.want&wantSQLTypes != 0 && e.sqlType != nil && e.sqlType.Type() == fastjson.TypeObject {
		so, _ := e.sqlType.Object()
		kv := make([]row.Value, 0, 2*so.Len())
		so.Visit(func(k []byte, v *fastjson.Value) {
			var t row.Value
			if x, err := v.Int(); err == nil && x == int(int32(x)) {
				t = row.Int(int32(x))
			}
			kv = append(kv, row.String(string(k)), t)
		})
		m.SQLTypes = row.MapEntries(kv)
	}
	if e.isDDL != nil && e.isDDL.Type() == fastjson.TypeTrue {
		return nil // a DDL statement: no rows
	}
	// canal-json.database.include / table.include: other tables' messages
	// are no rows (a topic may carry a whole database).
	if d.f.dbInclude != nil && !d.f.dbInclude.MatchString(m.Database.Str()) ||
		d.f.tableInclude != nil && !d.f.tableInclude.MatchString(m.Table.Str()) {
		return nil
	}
	t, err := d.env.kind(e.typ, "type")
	if err != nil {
		return err
	}
	var kind row.RowKind
	switch string(t) {
	case "INSERT", "INIT":
		kind = row.Insert
	case "UPDATE":
		kind = row.UpdateAfter
	case "DELETE":
		kind = row.Delete
	default:
		if canalNoRow[string(t)] {
			return nil
		}
		return d.env.errorf("type", "unknown type %s (want INSERT, UPDATE, DELETE, INIT or a DDL type)", quote(t))
	}
	data, old := e.data, e.old
	if data == nil || data.Type() != fastjson.TypeArray {
		if data == nil {
			return d.env.errorf("data", "missing")
		}
		return d.env.errorf("data", "want a JSON array of rows, got %s", data.Type())
	}
	rows, _ := data.Array()
	if kind != row.UpdateAfter {
		// The rows' strings share one allocation.
		d.vd.begin()
		for i, r := range rows {
			if r.Type() != fastjson.TypeObject {
				return d.env.errorf(pathOf("data", i), "want a JSON object, got %s", r.Type())
			}
			if err := d.vd.image(b, kind, r, nil, "data", i); err != nil {
				return err
			}
		}
		d.vd.finish()
		return nil
	}
	var olds []*fastjson.Value
	if old != nil && old.Type() != fastjson.TypeNull {
		if old.Type() != fastjson.TypeArray {
			return d.env.errorf("old", "want a JSON array, got %s", old.Type())
		}
		olds, _ = old.Array()
		if len(olds) != len(rows) {
			return d.env.errorf("old", "%d entries for %d data rows", len(olds), len(rows))
		}
	}
	for i, r := range rows {
		if r.Type() != fastjson.TypeObject {
			return d.env.errorf(pathOf("data", i), "want a JSON object, got %s", r.Type())
		}
		var before *fastjson.Value
		if olds != nil {
			before = olds[i]
			if t := before.Type(); t != fastjson.TypeObject && t != fastjson.TypeNull {
				return d.env.errorf(pathOf("old", i), "want a JSON object, got %s", t)
			}
		}
		if err := d.vd.update(b, before, r, &d.old, nil, "old", "data", i); err != nil {
			return err
		}
	}
	return nil
}
