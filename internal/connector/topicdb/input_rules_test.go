package topicdb

import (
	"errors"
	"strings"
	"testing"

	"github.com/rtdw/rtdw/internal/connector/change"
	"github.com/rtdw/rtdw/internal/connector/debezium"
)

// The input rules of docs/ingestion.md, at the decoder. Expected values
// are written by hand.

func decoder(t *testing.T, format string) *Decoder {
	t.Helper()
	d, err := NewDecoder(format)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// A Maxwell record whose data is an array is an error that says so, in
// auto mode (where it used to be detected as Canal and dropped as a
// non-change) as with the format named; a Canal message of Maxwell's
// lower-case type is an error too, not a skipped non-change.
func TestMaxwellDataArrayIsAnError(t *testing.T) {
	in := `{"database":"gmall","table":"order_info","type":"insert","ts":1795222800,"data":[{"id":1}]}`
	for _, format := range []string{Auto, Maxwell} {
		_, err := decoder(t, format).Decode([]byte(in))
		if err == nil || errors.Is(err, change.ErrNotChange) || !strings.Contains(err.Error(), `"data" is an array`) {
			t.Errorf("%s: got %v, want an error saying data is an array", format, err)
		}
	}
	if f := detect(t, in); f != Maxwell {
		t.Errorf("detected as %q, want maxwell", f)
	}
	_, err := decoder(t, Canal).Decode([]byte(in))
	if err == nil || errors.Is(err, change.ErrNotChange) || !strings.Contains(err.Error(), `type "insert" is not a Canal type`) {
		t.Errorf("canal: got %v, want an error naming the type", err)
	}
}

func detect(t *testing.T, in string) string {
	d := decoder(t, Auto)
	v, err := d.p.Parse(in)
	if err != nil {
		t.Fatal(err)
	}
	return Detect(v)
}

// Maxwell's database DDL records have no table: they are skipped as DDL
// (reason "ddl"), not rejected for the missing table.
func TestMaxwellDatabaseDDLIsSkipped(t *testing.T) {
	for _, in := range []string{
		`{"type":"database-create","database":"gmall_bak","sql":"CREATE DATABASE gmall_bak","charset":"utf8mb4","ts":1795222800}`,
		`{"type":"database-drop","database":"gmall_bak","sql":"DROP DATABASE gmall_bak","ts":1795222800}`,
		`{"type":"table-drop","database":"gmall","table":"t","sql":"DROP TABLE t","ts":1795222800}`,
	} {
		for _, format := range []string{Auto, Maxwell} {
			_, err := decoder(t, format).Decode([]byte(in))
			if !errors.Is(err, change.ErrNotChange) || change.SkipReason(err) != "ddl" {
				t.Errorf("%s %s: got %v (reason %q), want a skipped DDL", format, in, err, change.SkipReason(err))
			}
		}
	}
}

// Canal INIT rows (its full snapshot) are bootstrap-inserts, as Debezium's
// op r; Canal's transaction and heartbeat types are skipped with their
// reason; an unknown type is an error.
func TestCanalTypes(t *testing.T) {
	in := `{"data":[{"id":"1","name":"北京"},{"id":"2","name":"天津"}],"database":"gmall","es":1795222800000,"isDdl":false,` +
		`"mysqlType":{"id":"bigint","name":"varchar(20)"},"old":null,"pkNames":["id"],"table":"base_province","ts":1795222800100,"type":"INIT"}`
	cs, err := decoder(t, Auto).Decode([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"database":"gmall","table":"base_province","type":"bootstrap-insert","ts":1795222800,"data":{"id":1,"name":"北京"}}`,
		`{"database":"gmall","table":"base_province","type":"bootstrap-insert","ts":1795222800,"data":{"id":2,"name":"天津"}}`,
	}
	if len(cs) != len(want) {
		t.Fatalf("%d changes, want %d", len(cs), len(want))
	}
	for i := range cs {
		if got := string(cs[i].AppendMaxwell(nil)); got != want[i] {
			t.Errorf("change %d:\n got %s\nwant %s", i, got, want[i])
		}
	}
	for typ, reason := range map[string]string{"XACOMMIT": "transaction", "GTID": "transaction", "MHEARTBEAT": "heartbeat", "TRUNCATE": "ddl"} {
		_, err := decoder(t, Canal).Decode([]byte(`{"data":null,"database":"gmall","table":"t","es":1,"isDdl":false,"type":"` + typ + `"}`))
		if change.SkipReason(err) != reason {
			t.Errorf("%s: got %v, want skipped as %s", typ, err, reason)
		}
	}
	for _, typ := range []string{"UPSERT", ""} {
		_, err := decoder(t, Canal).Decode([]byte(`{"data":[{"id":"1"}],"database":"gmall","table":"t","es":1,"isDdl":false,"type":"` + typ + `"}`))
		if err == nil || errors.Is(err, change.ErrNotChange) {
			t.Errorf("type %q: got %v, want an error", typ, err)
		}
	}
}

// Invalid UTF-8 becomes U+FFFD, one per invalid byte, in values, keys,
// old values and names, whatever the format; the change says it was
// repaired. Valid input is not marked.
func TestInvalidUTF8IsReplaced(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"maxwell", `{"database":"gmall","table":"t` + "\xff" + `","type":"update","ts":1795222800,"data":{"id":1,"n` + "\xfe" + `":"a` + "\xff" + `b"},"old":{"n` + "\xfe" + `":"` + "\xe5\xbc" + `"}}`,
			`{"database":"gmall","table":"t` + "\uFFFD" + `","type":"update","ts":1795222800,"data":{"id":1,"n` + "\uFFFD" + `":"a` + "\uFFFD" + `b"},"old":{"n` + "\uFFFD" + `":"` + "\uFFFD\uFFFD" + `"}}`},
		{"debezium", `{"before":null,"after":{"id":1,"n":"a` + "\xff" + `b"},"source":{"db":"gmall","table":"t","ts_ms":1795222800000},"op":"c"}`,
			`{"database":"gmall","table":"t","type":"insert","ts":1795222800,"data":{"id":1,"n":"a` + "\uFFFD" + `b"}}`},
		{"canal", `{"data":[{"id":"1","n":"a` + "\xff" + `b"}],"database":"gmall","table":"t","es":1795222800000,"isDdl":false,"mysqlType":{"id":"bigint","n":"varchar(9)"},"type":"INSERT"}`,
			`{"database":"gmall","table":"t","type":"insert","ts":1795222800,"data":{"id":1,"n":"a` + "\uFFFD" + `b"}}`},
	} {
		cs, err := decoder(t, Auto).Decode([]byte(c.in))
		if err != nil || len(cs) != 1 {
			t.Fatalf("%s: %v %v", c.name, cs, err)
		}
		if got := string(cs[0].AppendMaxwell(nil)); got != c.want || !cs[0].Repaired {
			t.Errorf("%s:\n got %q (repaired %v)\nwant %q", c.name, got, cs[0].Repaired, c.want)
		}
	}
	cs, err := decoder(t, Auto).Decode([]byte(`{"database":"gmall","table":"t","type":"insert","ts":1795222800,"data":{"n":"北京 \uFFFD"}}`))
	if err != nil || cs[0].Repaired {
		t.Errorf("valid UTF-8 (with a real U+FFFD) marked repaired: %v %v", cs, err)
	}
}

// Debezium without the schema envelope, for the columns the declared types
// name: a DECIMAL as base64 bytes or a DATETIME/DATE as an epoch number is
// an error naming the column and the connector settings; a DECIMAL as a
// decimal string is that number; other columns pass as they are.
func TestDebeziumSchemaless(t *testing.T) {
	types := func(db, table string) map[string]debezium.Column {
		if db == "gmall" && table == "order_info" {
			return map[string]debezium.Column{
				"total_amount": {Kind: debezium.Decimal, Scale: 2},
				"qty":          {Kind: debezium.Decimal, Scale: 0},
				"create_time":  {Kind: debezium.Datetime},
				"birthday":     {Kind: debezium.Date},
			}
		}
		return nil
	}
	event := func(after string) string {
		return `{"before":null,"after":` + after + `,"source":{"db":"gmall","table":"order_info","ts_ms":1795222800000},"op":"c"}`
	}
	d := decoder(t, Auto)
	d.SetTypes(types)
	for after, wants := range map[string][]string{
		`{"id":1,"total_amount":"AU8="}`:                {"gmall.order_info.total_amount", `"AU8="`, "base64", "decimal.handling.mode=string (or double)", "value.converter.schemas.enable=true"},
		`{"id":1,"total_amount":"1234"}`:                {"gmall.order_info.total_amount", "base64"}, // DECIMAL(_,2) as a string has its 2 decimals
		`{"id":1,"total_amount":"abc"}`:                 {"gmall.order_info.total_amount", "is not a DECIMAL"},
		`{"id":1,"create_time":1795255200000}`:          {"gmall.order_info.create_time", "DATETIME", "epoch", "value.converter.schemas.enable=true"},
		`{"id":1,"birthday":20413}`:                     {"gmall.order_info.birthday", "DATE", "days since the epoch", "value.converter.schemas.enable=true"},
		`{"id":1,"total_amount":1.5,"birthday":20413}`:  {"gmall.order_info.birthday"},
		`{"id":1,"total_amount":"12.50","qty":"AAAA="}`: {"gmall.order_info.qty"},
	} {
		_, err := d.Decode([]byte(event(after)))
		if err == nil || errors.Is(err, change.ErrNotChange) {
			t.Errorf("%s: got %v, want an error", after, err)
			continue
		}
		for _, w := range wants {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", after, err, w)
			}
		}
	}
	for after, want := range map[string]string{
		`{"id":1,"total_amount":"12.50","qty":"7","create_time":"2026-11-21 09:00:00","birthday":null}`: `{"id":1,"total_amount":12.50,"qty":7,"create_time":"2026-11-21 09:00:00","birthday":null}`,
		`{"id":1,"total_amount":-0.05,"note":"AU8="}`:                                                   `{"id":1,"total_amount":-0.05,"note":"AU8="}`,
	} {
		cs, err := d.Decode([]byte(event(after)))
		if err != nil || len(cs) != 1 || string(cs[0].Data) != want {
			t.Errorf("%s: got %v %v, want data %s", after, cs, err, want)
		}
	}
	// Another table (no declared types) passes as before.
	cs, err := d.Decode([]byte(`{"after":{"m":"AU8="},"source":{"db":"gmall","table":"other","ts_ms":1795222800000},"op":"c"}`))
	if err != nil || string(cs[0].Data) != `{"m":"AU8="}` {
		t.Errorf("undeclared table: %v %v", cs, err)
	}
	// An update: the before image is checked too.
	_, err = d.Decode([]byte(`{"before":{"id":1,"total_amount":"AU8="},"after":{"id":1,"total_amount":"3.35"},"source":{"db":"gmall","table":"order_info","ts_ms":1795222800000},"op":"u"}`))
	if err == nil || !strings.Contains(err.Error(), "base64") {
		t.Errorf("update with a base64 before value: %v", err)
	}
}

// With the schema envelope, Kafka Connect's own temporal types
// (time.precision.mode=connect) are converted like Debezium's: a DATETIME
// in epoch ms, a DATE in days, a TIME in ms since midnight.
func TestDebeziumConnectTemporalTypes(t *testing.T) {
	in := `{"schema":{"type":"struct","fields":[{"type":"struct","field":"after","fields":[
		{"type":"int64","field":"id"},
		{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp","field":"create_time"},
		{"type":"int32","name":"org.apache.kafka.connect.data.Date","field":"birthday"},
		{"type":"int32","name":"org.apache.kafka.connect.data.Time","field":"at"}]}]},
		"payload":{"before":null,"after":{"id":1,"create_time":1795255200000,"birthday":20413,"at":34200500},"source":{"db":"gmall","table":"order_info","ts_ms":1795222800000},"op":"c"}}`
	cs, err := decoder(t, Auto).Decode([]byte(in))
	// 1795255200000 ms = 2026-11-21 10:00:00 UTC; 20413 days = 2025-11-21;
	// 34200500 ms = 09:30:00.5.
	want := `{"id":1,"create_time":"2026-11-21 10:00:00","birthday":"2025-11-21","at":"09:30:00.500000"}`
	if err != nil || len(cs) != 1 || string(cs[0].Data) != want {
		t.Fatalf("got %v %v, want data %s", cs, err, want)
	}
}

// Debezium events that change no row (a truncate, a logical decoding
// message, an event without an op) are skipped, each with its reason.
func TestDebeziumNonChanges(t *testing.T) {
	for op, reason := range map[string]string{"t": "truncate", "m": "message", "": "no_op"} {
		_, err := decoder(t, Debezium).Decode([]byte(`{"before":null,"after":null,"source":{"db":"gmall","table":"t","ts_ms":1795222800000},"op":"` + op + `"}`))
		if !errors.Is(err, change.ErrNotChange) || change.SkipReason(err) != reason {
			t.Errorf("op %q: got %v (reason %q), want skipped as %s", op, err, change.SkipReason(err), reason)
		}
	}
	if _, err := decoder(t, Debezium).Decode([]byte(`{"after":{"id":1},"source":{"db":"gmall","table":"t","ts_ms":1795222800000},"op":"x"}`)); err == nil || errors.Is(err, change.ErrNotChange) {
		t.Errorf("op x: got %v, want an error (a dead letter), not a skip", err)
	}
}
