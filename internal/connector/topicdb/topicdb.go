// Package topicdb decodes topic_db records in any supported format into
// change records: Maxwell (canonical), Debezium / Flink CDC, or Canal,
// selected by name or detected per record.
package topicdb

import (
	"fmt"
	"unicode/utf8"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/canal"
	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/connector/debezium"
	"github.com/rtdw/rtdw/internal/connector/maxwell"
	"github.com/rtdw/rtdw/internal/jsonw"
)

// Formats.
const (
	Auto     = "auto"
	Maxwell  = "maxwell"
	Debezium = "debezium"
	Canal    = "canal"
)

// Formats lists the accepted format names (for config validation and help).
var Formats = []string{Auto, Maxwell, Debezium, Canal}

// Decoder decodes topic_db records of one format (or detects it).
//
// Whatever the format, text is valid UTF-8 after decoding: each byte of
// invalid UTF-8 in a value, a key or the database or table name is
// replaced by U+FFFD (as jsonw.AppendString writes strings, so every job
// fed by topic_db sees the same text), and the change is marked Repaired.
type Decoder struct {
	format string
	p      fastjson.Parser
	types  debezium.Types
	reuse  bool            // Reuse: buf and cs are the results' storage
	buf    []byte          // the rows' JSON of the last Maxwell record
	cs     []change.Change // its change
}

// SetTypes declares column types for the formats that do not carry them
// (Debezium without the schema envelope; see package debezium).
func (d *Decoder) SetTypes(t debezium.Types) { d.types = t }

// Reuse makes the decoder return changes that are valid only until its
// next call, so that decoding a Maxwell record allocates no row buffers
// (for a caller that is done with each change before it decodes the
// next).
func (d *Decoder) Reuse() { d.reuse = true }

// NewDecoder returns a decoder for format (one of Formats).
func NewDecoder(format string) (*Decoder, error) {
	for _, f := range Formats {
		if f == format {
			return &Decoder{format: format}, nil
		}
	}
	return nil, fmt.Errorf("topic_db format %q: want one of %v", format, Formats)
}

// Decode returns the row changes in b. A valid record that is no row change
// (DDL, heartbeat) returns an error wrapping a *change.NotChange, which
// matches change.ErrNotChange and says why (change.SkipReason).
func (d *Decoder) Decode(b []byte) ([]change.Change, error) {
	v, err := d.p.ParseBytes(b)
	if err != nil {
		return nil, fmt.Errorf("topic_db: %w", err)
	}
	return d.DecodeValue(v)
}

// DecodeValue decodes an already-parsed record (a Record.JSON() the
// chain shares, so the record is parsed once).
func (d *Decoder) DecodeValue(v *fastjson.Value) ([]change.Change, error) {
	cs, err := d.decode(v)
	for i := range cs {
		repair(&cs[i])
	}
	return cs, err
}

func (d *Decoder) decode(v *fastjson.Value) ([]change.Change, error) {
	format := d.format
	if format == Auto {
		format = Detect(v)
	}
	switch format {
	case Maxwell:
		if d.reuse {
			var c change.Change
			var err error
			c, d.buf, err = maxwell.DecodeValueInto(v, d.buf[:0])
			if err != nil {
				return nil, err
			}
			d.cs = append(d.cs[:0], c)
			return d.cs, nil
		}
		c, err := maxwell.DecodeValue(v)
		if err != nil {
			return nil, err
		}
		return []change.Change{c}, nil
	case Debezium:
		c, err := debezium.DecodeValue(v, d.types)
		if err != nil {
			return nil, err
		}
		return []change.Change{c}, nil
	case Canal:
		return canal.DecodeValue(v)
	}
	return nil, fmt.Errorf("topic_db: record is not Maxwell, Debezium or Canal JSON")
}

// repair replaces invalid UTF-8 in c by U+FFFD (see Decoder).
func repair(c *change.Change) {
	fix := func(b []byte) []byte {
		if utf8.Valid(b) {
			return b
		}
		c.Repaired = true
		return jsonw.ValidUTF8(b)
	}
	c.Data, c.Old = fix(c.Data), fix(c.Old)
	if !utf8.ValidString(c.Database) {
		c.Database, c.Repaired = string(jsonw.ValidUTF8([]byte(c.Database))), true
	}
	if !utf8.ValidString(c.Table) {
		c.Table, c.Repaired = string(jsonw.ValidUTF8([]byte(c.Table))), true
	}
}

// Detect names the format of a parsed record ("" if none fits).
func Detect(v *fastjson.Value) string {
	if v.Type() != fastjson.TypeObject {
		return ""
	}
	if p := v.Get("payload"); p != nil && p.Get("op") != nil {
		return Debezium
	}
	if v.Get("op") != nil && (v.Get("source") != nil || v.Get("after") != nil || v.Get("before") != nil) {
		return Debezium
	}
	// Maxwell's types are lower case, Canal's upper case: a record typed
	// as Maxwell's is Maxwell's whatever its other fields (a "data" array
	// then dead-letters it rather than reading it as Canal's, whose
	// decoder would not know the type).
	if t := v.Get("type"); t != nil && t.Type() == fastjson.TypeString && maxwell.Types[string(t.GetStringBytes())] &&
		v.Get("isDdl") == nil && v.Get("pkNames") == nil {
		return Maxwell
	}
	if d := v.Get("data"); (d != nil && d.Type() == fastjson.TypeArray) || v.Get("isDdl") != nil || v.Get("pkNames") != nil {
		return Canal
	}
	if v.Get("database") != nil && v.Get("table") != nil && v.Get("type") != nil {
		return Maxwell
	}
	return ""
}

// Headers rtdw's own topic_db producers (the mock shop's log sink, the
// binlog reader) put on every record they write, so that jobs can route
// and time a record without parsing it:
//
//   - HeaderTable: the change's table, exactly as the record's JSON
//     carries it (a record holding several changes has it only when they
//     all have the same table);
//   - HeaderTS: the change's event time in epoch ms as decimal text: the
//     ts (seconds) the decoder reads from the JSON, times 1000 (for a
//     record of several changes, the first one's: what ods.EventTime
//     parses), written only when that ts is > 0.
//
// Records from other producers (a user's Maxwell) carry neither and are
// parsed as before. A consumer that derives records from topic_db must
// not pass these headers on (see ods.StripHeaders).
const (
	HeaderTable = "rtdw.table"
	HeaderTS    = "rtdw.ts"
)
