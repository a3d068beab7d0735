package format

import (
	"fmt"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/row"
)

// Helpers shared by the three CDC formats (maxwell-json, debezium-json,
// canal-json) and their encoder.

// envelope reads the fields of a CDC record's JSON envelope.
type envelope struct {
	format string
}

func (e envelope) errorf(field, format string, args ...any) *Error {
	return &Error{Format: e.format, Field: field, Reason: fmt.Sprintf(format, args...)}
}

// parse parses a record value that must be a JSON object.
func (e envelope) parse(p *fastjson.Parser, value []byte) (*fastjson.Object, error) {
	v, err := row.ParseStrict(p, value)
	if err != nil {
		return nil, &Error{Format: e.format, Reason: err.Error(), Err: err}
	}
	o, err := v.Object()
	if err != nil {
		return nil, e.errorf("", "the record is a JSON %s, not an object", v.Type())
	}
	return o, nil
}

// object returns jv as an object, or an error naming field when it is
// missing, null or of another type.
func (e envelope) object(jv *fastjson.Value, field string) error {
	switch {
	case jv == nil:
		return e.errorf(field, "missing")
	case jv.Type() == fastjson.TypeNull:
		return e.errorf(field, "is null")
	case jv.Type() != fastjson.TypeObject:
		return e.errorf(field, "want a JSON object, got %s", jv.Type())
	}
	return nil
}

// str reads a string field; NULL when missing or null.
func (e envelope) str(jv *fastjson.Value, field string, c *interned) (row.Value, error) {
	switch {
	case jv == nil || jv.Type() == fastjson.TypeNull:
		return row.Value{}, nil
	case jv.Type() != fastjson.TypeString:
		return row.Value{}, e.errorf(field, "want a JSON string, got %s", jv.Type())
	}
	return row.String(c.get(jv.GetStringBytes())), nil
}

// kind reads the record's change type (Maxwell's and Canal's "type",
// Debezium's "op"): a string.
func (e envelope) kind(jv *fastjson.Value, field string) ([]byte, error) {
	switch {
	case jv == nil:
		return nil, e.errorf(field, "missing")
	case jv.Type() != fastjson.TypeString:
		return nil, e.errorf(field, "want a JSON string, got %s", jv.Type())
	}
	return jv.GetStringBytes(), nil
}

// millis reads an epoch timestamp field (times scale, for Maxwell's
// seconds) as a TIMESTAMP_LTZ(3).
func (e envelope) millis(jv *fastjson.Value, field string, scale int64) (row.Value, error) {
	v, err := epochMillisValue(jv, scale)
	if err != nil {
		return row.Value{}, e.errorf(field, "%v", err)
	}
	return v, nil
}

// list reads an array of strings (primary key names); NULL when missing.
func (e envelope) list(jv *fastjson.Value, field string, c *internedList) (row.Value, error) {
	switch {
	case jv == nil || jv.Type() == fastjson.TypeNull:
		return row.Value{}, nil
	case jv.Type() != fastjson.TypeArray:
		return row.Value{}, e.errorf(field, "want a JSON array, got %s", jv.Type())
	}
	a, _ := jv.Array()
	return c.get(a), nil
}

// cdcMeta is what a CDC decoder keeps to fill its records' metadata: its
// envelope reader, the metadata filled only on request, and the last
// names read, so that a stream of one table's records does not allocate
// them.
type cdcMeta struct {
	env               envelope
	want              metaWant
	db, schema, table interned
	pks               internedList
}

func newCDCMeta(format string, want metaWant) cdcMeta {
	return cdcMeta{env: envelope{format: format}, want: want}
}

// unread drops err, a malformed metadata field, when the table does not
// read that metadata (want): Flink never converts such a field.
func (c *cdcMeta) unread(err error, want metaWant) error {
	if c.want&want == 0 {
		return nil
	}
	return err
}

// names fills m's Database, Schema and Table from the envelope's string
// fields (nil for one the format lacks), named in errors by the paths.
func (c *cdcMeta) names(m *Metadata, db, schema, table *fastjson.Value, dbPath, schemaPath, tablePath string) error {
	var err error
	if m.Database, err = c.env.str(db, dbPath, &c.db); err != nil {
		return err
	}
	if m.Schema, err = c.env.str(schema, schemaPath, &c.schema); err != nil {
		return err
	}
	m.Table, err = c.env.str(table, tablePath, &c.table)
	return err
}

// flatEnvelope is the top-level fields of a Maxwell record or a Canal
// message.
type flatEnvelope struct {
	typ, data, old, db, table, ts, pks *fastjson.Value
	es, isDDL, sqlType                 *fastjson.Value // Canal's (Maxwell ignores them)
}

// flatSpec is how Maxwell or Canal spells its envelope.
type flatSpec struct {
	tsScale int64  // milliseconds per unit of "ts" (Maxwell's are seconds)
	pks     string // the field of the primary key names
	es      bool   // "es" is the source time (Canal)
}

var (
	maxwellSpec = flatSpec{tsScale: 1000, pks: "primary_key_columns"}
	canalSpec   = flatSpec{tsScale: 1, pks: "pkNames", es: true}
)

// readFlat reads the fields of a Maxwell or Canal envelope and fills the
// metadata they carry: database, table, the ingestion time (ts), the
// source time (es, Canal) and, on request, the primary key names.
func (c *cdcMeta) readFlat(o *fastjson.Object, m *Metadata, spec *flatSpec) (flatEnvelope, error) {
	var e flatEnvelope
	o.Visit(func(k []byte, v *fastjson.Value) {
		switch string(k) {
		case "type":
			e.typ = v
		case "data":
			e.data = v
		case "old":
			e.old = v
		case "database":
			e.db = v
		case "table":
			e.table = v
		case "ts":
			e.ts = v
		case "es":
			e.es = v
		case "isDdl":
			e.isDDL = v
		case "sqlType":
			e.sqlType = v
		default:
			if string(k) == spec.pks {
				e.pks = v
			}
		}
	})
	err := c.names(m, e.db, nil, e.table, "database", "", "table")
	if err = c.unread(err, wantNames); err != nil {
		return e, err
	}
	m.IngestionTime, err = c.env.millis(e.ts, "ts", spec.tsScale)
	if err = c.unread(err, wantTimes); err != nil {
		return e, err
	}
	if spec.es {
		m.SourceTime, err = c.env.millis(e.es, "es", 1)
		if err = c.unread(err, wantTimes); err != nil {
			return e, err
		}
	}
	if c.want&wantPrimaryKeys != 0 {
		if m.PrimaryKeys, err = c.env.list(e.pks, spec.pks, &c.pks); err != nil {
			return e, err
		}
	}
	return e, nil
}

// done ends a Decode: on error the record has no rows, and with
// ignore-parse-errors the error is the reason it was skipped.
func done(err error, b *Batch, vd *valueDecoder) error {
	b.Nulled = vd.nulled
	vd.nulled = 0
	if err == nil {
		return nil
	}
	b.Rows = b.Rows[:0]
	if vd.ignore {
		b.Skipped = err
		return nil
	}
	return err
}

// change decodes one row image as a row of kind into b.
func (vd *valueDecoder) change(b *Batch, kind row.RowKind, v *fastjson.Value, hints []hint, path string, index int) error {
	vd.begin()
	if err := vd.image(b, kind, v, hints, path, index); err != nil {
		return err
	}
	vd.finish()
	return nil
}

// image decodes one row image as a row of kind into b, its strings
// pending until finish: the rows decoded between begin and finish share
// one allocation (each pending string points into its own row's Values,
// which adding rows to b does not move).
func (vd *valueDecoder) image(b *Batch, kind row.RowKind, v *fastjson.Value, hints []hint, path string, index int) error {
	r := b.add(kind, len(vd.cols))
	return vd.object(v, r.Values, hints, path, index)
}

// update decodes an update as -U, +U rows: after is the new row, before
// the old one. With old, scratch for a partial before image (Maxwell's
// and Canal's "old"), before holds only the changed columns and the
// others are after's. The strings of both rows share one allocation.
func (vd *valueDecoder) update(b *Batch, before, after *fastjson.Value, old *[]row.Value, hints []hint, bpath, apath string, index int) error {
	vd.begin()
	n := len(vd.cols)
	b.add(row.UpdateBefore, n)
	b.add(row.UpdateAfter, n)
	rb, ra := &b.Rows[len(b.Rows)-2], &b.Rows[len(b.Rows)-1]
	if err := vd.object(after, ra.Values, hints, apath, index); err != nil {
		return err
	}
	if old == nil {
		if err := vd.object(before, rb.Values, hints, bpath, index); err != nil {
			return err
		}
		vd.finish()
		return nil
	}
	if before == nil || before.Type() == fastjson.TypeNull {
		vd.finish()
		copy(rb.Values, ra.Values) // nothing changed, as Flink reads a missing "old"
		return nil
	}
	if cap(*old) < n {
		*old = make([]row.Value, n)
	}
	ov := (*old)[:n]
	if err := vd.object(before, ov, hints, bpath, index); err != nil {
		return err
	}
	vd.finish()
	for i := range rb.Values {
		if vd.present(i) {
			rb.Values[i] = ov[i]
		} else {
			rb.Values[i] = ra.Values[i]
		}
	}
	clear(ov) // do not pin the strings
	return nil
}

// cdcEncoder writes each row as one message of its format, as Flink
// does: +I and +U as an insert, -U and -D as a delete (a -U/+U pair is
// not combined into one update message).
type cdcEncoder struct {
	format string
	enc    *row.JSONEncoder
}

func newCDCEncoder(f *Format) *cdcEncoder {
	enc, _ := row.NewJSONEncoder(f.schema, f.json) // cannot fail
	return &cdcEncoder{format: f.name, enc: enc}
}

func (e *cdcEncoder) Append(dst []byte, r *row.Row) ([]byte, bool, error) {
	if !r.Kind.Valid() {
		return dst, false, &Error{Format: e.format, Reason: fmt.Sprintf("cannot encode a row of kind %s", r.Kind)}
	}
	insert := r.Kind.IsAccumulate()
	n := len(dst)
	var path string
	switch e.format {
	case MaxwellJSON:
		dst, path = append(dst, `{"data":`...), "data"
	case CanalJSON:
		dst, path = append(dst, `{"data":[`...), "data[0]"
	default: // debezium-json
		if insert {
			dst, path = append(dst, `{"before":null,"after":`...), "after"
		} else {
			dst, path = append(dst, `{"before":`...), "before"
		}
	}
	dst, err := e.enc.Append(dst, r)
	if err != nil {
		return dst[:n], false, encodeError(e.format, path, err)
	}
	switch e.format {
	case MaxwellJSON:
		if insert {
			dst = append(dst, `,"type":"insert"}`...)
		} else {
			dst = append(dst, `,"type":"delete"}`...)
		}
	case CanalJSON:
		if insert {
			dst = append(dst, `],"type":"INSERT"}`...)
		} else {
			dst = append(dst, `],"type":"DELETE"}`...)
		}
	default:
		if insert {
			dst = append(dst, `,"op":"c"}`...)
		} else {
			dst = append(dst, `,"after":null,"op":"d"}`...)
		}
	}
	return dst, false, nil
}
