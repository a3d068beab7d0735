package format

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// An envelope field the table does not read as metadata is not checked,
// as Flink converts only the fields its row type holds: the row decodes
// (the field is NULL). Read as metadata, a malformed field fails the
// record, naming it.
func TestCDCUnreadMetadataFields(t *testing.T) {
	sh := row.MustParseSchema("id BIGINT")
	for _, c := range []struct {
		format, in, key, err string
	}{
		{MaxwellJSON, `{"type":"insert","ts":"soon","data":{"id":1}}`, "ingestion-timestamp", `field "ts": string is not an integer`},
		{MaxwellJSON, `{"type":"insert","ts":1477053217.5,"data":{"id":1}}`, "ingestion-timestamp", `field "ts": number is not an integer`},
		{MaxwellJSON, `{"type":"insert","database":["d"],"data":{"id":1}}`, "database", `field "database": want a JSON string, got array`},
		{CanalJSON, `{"type":"INSERT","data":[{"id":"1"}],"es":"later"}`, "event-timestamp", `field "es": string is not an integer`},
		{CanalJSON, `{"type":"INSERT","data":[{"id":"1"}],"table":7}`, "table", `field "table": want a JSON string, got number`},
		{DebeziumJSON, `{"after":{"id":1},"op":"c","source":"mysql-binlog"}`, "source.table", `field "source": want a JSON object, got string`},
		{DebeziumJSON, `{"after":{"id":1},"op":"c","source":{"db":5}}`, "source.database", `field "source.db": want a JSON string, got number`},
		{DebeziumJSON, `{"after":{"id":1},"op":"c","ts_ms":1.589362330904E12}`, "ingestion-timestamp", `field "ts_ms": number is not an integer`},
	} {
		f := mustFormat(t, c.format, sh, nil)
		if got, _ := decodeAll(t, f, c.in); got != "+I[1]" {
			t.Errorf("%s %s, no metadata read: %s, want +I[1]", c.format, c.in, got)
		}
		got, _ := decodeAll(t, f, c.in, c.key)
		check(t, got, "error: "+c.err)
	}
	// MongoDB's source.collection is the table.
	_, b := decodeAll(t, mustFormat(t, DebeziumJSON, sh, nil), `{"after":{"id":1},"op":"c","source":{"db":"inventory","collection":"customers"}}`, "source.table")
	if v, _ := b.Meta.Get("source.table"); v.String() != "customers" {
		t.Errorf("source.table from collection: %v", v)
	}
}
