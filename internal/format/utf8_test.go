package format

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// Invalid UTF-8 in a JSON string read as CHAR/VARCHAR/STRING is U+FFFD, one
// per invalid byte, in the CDC formats (topic_db's): the rule the Go jobs
// apply to topic_db (docs/ingestion.md, Input rules). It used to be kept raw in the
// row, so a sink that does not re-encode JSON stored bytes that are no text.
func TestInvalidUTF8StringsAreReplaced(t *testing.T) {
	schema := row.MustParseSchema("id BIGINT, name STRING, doc STRING")
	for _, c := range []struct{ format, in string }{
		{MaxwellJSON, `{"database":"gmall","table":"t","type":"insert","ts":1,"data":{"id":1,"name":"小` + "\xff" + `米","doc":{"k":"` + "\xe5\xbc" + `"}}}`},
		{CanalJSON, `{"data":[{"id":"1","name":"小` + "\xff" + `米","doc":{"k":"` + "\xe5\xbc" + `"}}],"database":"gmall","table":"t","type":"INSERT","es":1,"ts":1}`},
		{DebeziumJSON, `{"before":null,"after":{"id":1,"name":"小` + "\xff" + `米","doc":{"k":"` + "\xe5\xbc" + `"}},"op":"c","ts_ms":1}`},
	} {
		_, b := decodeAll(t, mustFormat(t, c.format, schema, nil), c.in)
		if len(b.Rows) != 1 {
			t.Fatalf("%s: %d rows", c.format, len(b.Rows))
		}
		r := b.Rows[0]
		if got := r.Values[1].Str(); got != "小\uFFFD米" {
			t.Errorf("%s: name %q, want %q", c.format, got, "小\uFFFD米")
		}
		if got := r.Values[2].Str(); got != `{"k":"`+"\uFFFD\uFFFD"+`"}` {
			t.Errorf("%s: doc %q, want %q", c.format, got, `{"k":"`+"\uFFFD\uFFFD"+`"}`)
		}
	}
}
