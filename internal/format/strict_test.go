package format

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

// notJSON are records fastjson parses (and, before ParseStrict, the
// formats decoded into rows) that are no JSON: Flink's parser (Jackson, as
// its JSON formats configure it) refuses each, and so does encoding/json,
// the oracle here. The bad part sits in a field the schema names, in one it does
// not (Flink parses the whole record either way), and in a nested JSON
// string column.
var notJSON = []struct{ name, value string }{
	{"NaN", `NaN`},
	{"Infinity", `inf`},
	{"leading zero", `01`},
	{"two points", `1.2.3`},
	{"trailing point", `1.`},
	{"leading point", `.5`},
	{"plus sign", `+1`},
	{"bare exponent", `1e`},
	{"unknown escape", `"\x"`},
	{"short unicode escape", `"\u12"`},
}

// strictEnvelopes wraps a bad value v in each JSON format's record: in a
// column of the schema (s, a STRING), in an unknown field, or inside a
// JSON column sent as text (m, a MAP, as Canal and Debezium send JSON).
var strictEnvelopes = map[string][]string{
	JSON: {
		`{"id":1,"s":%s}`,
		`{"id":1,"junk":%s}`,
	},
	MaxwellJSON: {
		`{"database":"d","table":"t","type":"insert","ts":1,"data":{"id":1,"s":%s}}`,
		`{"database":"d","table":"t","type":"insert","ts":1,"data":{"id":1},"junk":%s}`,
	},
	DebeziumJSON: {
		`{"before":null,"after":{"id":1,"s":%s},"op":"c"}`,
		`{"before":null,"after":{"id":1,"junk":%s},"op":"c"}`,
	},
	CanalJSON: {
		`{"data":[{"id":"1","s":%s}],"type":"INSERT","database":"d","table":"t"}`,
		`{"data":[{"id":"1"}],"type":"INSERT","database":"d","table":"t","junk":%s}`,
	},
}

func TestMalformedJSONIsBadInput(t *testing.T) {
	schema := row.MustParseSchema(`id BIGINT, s STRING, m MAP<STRING, DOUBLE>`)
	for format, envelopes := range strictEnvelopes {
		strict := mustFormat(t, format, schema, nil)
		lenient := mustFormat(t, format, schema, map[string]string{format + ".ignore-parse-errors": "true"})
		for _, env := range envelopes {
			// The envelope with a good value decodes: the failures below
			// are the bad values'.
			good := strings.Replace(env, "%s", `"ok"`, 1)
			if got, _ := decodeAll(t, strict, good); strings.HasPrefix(got, "error") {
				t.Fatalf("%s: %s: %s", format, good, got)
			}
			for _, c := range notJSON {
				in := strings.Replace(env, "%s", c.value, 1)
				if json.Valid([]byte(in)) {
					t.Fatalf("%s: the oracle takes %s", c.name, in)
				}
				got, _ := decodeAll(t, strict, in)
				if !strings.HasPrefix(got, "error: "+format+": malformed JSON") {
					t.Errorf("%s %s: %s decodes to %q, want a malformed JSON error", format, c.name, in, got)
				}
				got, _ = decodeAll(t, lenient, in)
				if !strings.HasPrefix(got, "skipped: "+format+": malformed JSON") {
					t.Errorf("%s %s with ignore-parse-errors: %s decodes to %q, want it skipped", format, c.name, in, got)
				}
			}
		}
	}
}

// A JSON column sent as text (Canal's and Debezium's JSON types) is
// parsed as strictly as the record: bad JSON there is a field error.
func TestMalformedJSONInATextColumn(t *testing.T) {
	schema := row.MustParseSchema(`id BIGINT, m MAP<STRING, DOUBLE>`)
	f := mustFormat(t, CanalJSON, schema, nil)
	got, _ := decodeAll(t, f, `{"data":[{"id":"1","m":"{\"k\":2}"}],"type":"INSERT","database":"d","table":"t"}`)
	check(t, got, "+I[1, {k=2}]")
	for _, c := range notJSON {
		text, _ := json.Marshal(`{"k":` + c.value + `}`)
		in := `{"data":[{"id":"1","m":` + string(text) + `}],"type":"INSERT","database":"d","table":"t"}`
		got, _ := decodeAll(t, f, in)
		if !strings.HasPrefix(got, `error: canal-json: field "data[0].m"`) || !strings.Contains(got, "malformed JSON") {
			t.Errorf("%s: %s decodes to %q, want a malformed JSON error for m", c.name, in, got)
		}
	}
}

// A raw control character in a string is taken as itself, as Flink's JSON
// formats take it (Jackson's ALLOW_UNESCAPED_CONTROL_CHARS; Flink's
// JsonRowDataSerDeSchemaTest reads "\tstring field"), though no JSON to
// encoding/json.
func TestRawControlCharactersAreRead(t *testing.T) {
	schema := row.MustParseSchema(`id BIGINT, s STRING, m MAP<STRING, DOUBLE>`)
	for format, envelopes := range strictEnvelopes {
		f := mustFormat(t, format, schema, nil)
		in := strings.Replace(envelopes[0], "%s", "\"\tstring\nfield\"", 1)
		got, _ := decodeAll(t, f, in)
		if !strings.HasSuffix(got, "\tstring\nfield, NULL]") {
			t.Errorf("%s: %q decodes to %q", format, in, got)
		}
	}
}
