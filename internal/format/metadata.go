package format

import (
	"strings"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/row"
)

// Metadata is what a CDC record says about its change besides the row,
// read through Flink's metadata keys with Get (a table's `c TYPE METADATA
// FROM 'value.source.timestamp'` columns). Every field is NULL when the
// record does not carry it; the fields marked "on request" are filled only
// when the key was passed to NewDecoder, since they allocate.
type Metadata struct {
	format string
	// Database: maxwell-json and canal-json 'database', debezium-json
	// 'source.database' (source.db). STRING.
	Database row.Value
	// Schema: debezium-json 'source.schema' (source.schema). STRING.
	Schema row.Value
	// Table: 'table', debezium-json 'source.table'. STRING.
	Table row.Value
	// IngestionTime: 'ingestion-timestamp', TIMESTAMP_LTZ(3): Maxwell's ts
	// (seconds) * 1000, Debezium's ts_ms, Canal's ts.
	IngestionTime row.Value
	// SourceTime: debezium-json 'source.timestamp' (source.ts_ms) and
	// canal-json 'event-timestamp' (es), TIMESTAMP_LTZ(3).
	SourceTime row.Value
	// PrimaryKeys: maxwell-json 'primary-key-columns'
	// (primary_key_columns) and canal-json 'pk-names' (pkNames),
	// ARRAY<STRING>; on request.
	PrimaryKeys row.Value
	// SQLTypes: canal-json 'sql-type' (sqlType), MAP<STRING, INT>; on request.
	SQLTypes row.Value
	// SchemaJSON: debezium-json 'schema', the schema envelope as JSON text
	// (STRING); on request.
	SchemaJSON row.Value
	// SourceProperties: debezium-json 'source.properties', the source
	// block as MAP<STRING, STRING> (values as text); on request.
	SourceProperties row.Value
}

func (m *Metadata) reset() { *m = Metadata{format: m.format} }

// metaWant flags the metadata that is filled only on request.
type metaWant uint8

const (
	wantPrimaryKeys metaWant = 1 << iota
	wantSQLTypes
	wantSchemaJSON
	wantSourceProperties
	// wantNames and wantTimes mark the cheap fields (always filled) as
	// read by the table: only then does a malformed one fail the record.
	// Unread, it is NULL, as Flink never converts the envelope fields a
	// table does not read.
	wantNames
	wantTimes
)

// MetadataKey is a readable metadata key of a format, with Flink's type.
type MetadataKey struct {
	Key  string
	Type row.Type
	want metaWant
	get  func(*Metadata) row.Value
}

var (
	ltz3       = row.TimestampLTZOf(3)
	stringList = row.ArrayOf(row.StringType)
)

var readable = map[string][]MetadataKey{
	MaxwellJSON: {
		{Key: "database", Type: row.StringType, want: wantNames, get: func(m *Metadata) row.Value { return m.Database }},
		{Key: "table", Type: row.StringType, want: wantNames, get: func(m *Metadata) row.Value { return m.Table }},
		{Key: "primary-key-columns", Type: stringList, want: wantPrimaryKeys, get: func(m *Metadata) row.Value { return m.PrimaryKeys }},
		{Key: "ingestion-timestamp", Type: ltz3, want: wantTimes, get: func(m *Metadata) row.Value { return m.IngestionTime }},
	},
	DebeziumJSON: {
		{Key: "schema", Type: row.StringType, want: wantSchemaJSON, get: func(m *Metadata) row.Value { return m.SchemaJSON }},
		{Key: "ingestion-timestamp", Type: ltz3, want: wantTimes, get: func(m *Metadata) row.Value { return m.IngestionTime }},
		{Key: "source.timestamp", Type: ltz3, want: wantTimes, get: func(m *Metadata) row.Value { return m.SourceTime }},
		{Key: "source.database", Type: row.StringType, want: wantNames, get: func(m *Metadata) row.Value { return m.Database }},
		{Key: "source.schema", Type: row.StringType, want: wantNames, get: func(m *Metadata) row.Value { return m.Schema }},
		{Key: "source.table", Type: row.StringType, want: wantNames, get: func(m *Metadata) row.Value { return m.Table }},
		{Key: "source.properties", Type: row.MapOf(row.StringType, row.StringType), want: wantSourceProperties, get: func(m *Metadata) row.Value { return m.SourceProperties }},
	},
	CanalJSON: {
		{Key: "database", Type: row.StringType, want: wantNames, get: func(m *Metadata) row.Value { return m.Database }},
		{Key: "table", Type: row.StringType, want: wantNames, get: func(m *Metadata) row.Value { return m.Table }},
		{Key: "sql-type", Type: row.MapOf(row.StringType, row.IntType), want: wantSQLTypes, get: func(m *Metadata) row.Value { return m.SQLTypes }},
		{Key: "pk-names", Type: stringList, want: wantPrimaryKeys, get: func(m *Metadata) row.Value { return m.PrimaryKeys }},
		{Key: "ingestion-timestamp", Type: ltz3, want: wantTimes, get: func(m *Metadata) row.Value { return m.IngestionTime }},
		{Key: "event-timestamp", Type: ltz3, want: wantTimes, get: func(m *Metadata) row.Value { return m.SourceTime }},
	},
}

// ReadableMetadata lists the metadata keys a table with this format may
// read, in Flink's order, with Flink's types (all nullable).
func (f *Format) ReadableMetadata() []MetadataKey { return readable[f.name] }

func (f *Format) metadataKey(key string) (MetadataKey, bool) {
	for _, mk := range readable[f.name] {
		if mk.Key == key {
			return mk, true
		}
	}
	return MetadataKey{}, false
}

func (f *Format) metadataNames() string {
	var names []string
	for _, mk := range readable[f.name] {
		names = append(names, mk.Key)
	}
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// Get returns the value of a metadata key of the record's format (NULL
// when the record lacks it); false for a key the format does not have.
func (m *Metadata) Get(key string) (row.Value, bool) {
	for _, mk := range readable[m.format] {
		if mk.Key == key {
			return mk.get(m), true
		}
	}
	return row.Value{}, false
}

// interned keeps the last string made from bytes, so that a stream of
// records of one table does not allocate its database and table names.
type interned struct{ s string }

func (c *interned) get(b []byte) string {
	if string(b) != c.s {
		c.s = string(b)
	}
	return c.s
}

// internedList keeps the last ARRAY<STRING> made from a JSON array of
// strings (an element that is no string is NULL).
type internedList struct{ v row.Value }

func (c *internedList) get(items []*fastjson.Value) row.Value {
	if old := c.v.Elems(); c.v.Kind() == row.KindArray && len(old) == len(items) {
		same := true
		for i, it := range items {
			if it.Type() != fastjson.TypeString || old[i].IsNull() || old[i].Str() != string(it.GetStringBytes()) {
				same = false
				break
			}
		}
		if same {
			return c.v
		}
	}
	vals := make([]row.Value, len(items))
	for i, it := range items {
		if it.Type() == fastjson.TypeString {
			vals[i] = row.String(string(it.GetStringBytes()))
		}
	}
	c.v = row.Array(vals)
	return c.v
}
