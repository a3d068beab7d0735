package cli_test

import (
	"testing"
)

// TestSQLFormatJSONComposites: --format json writes ROW, ARRAY, MAP and
// MULTISET values as JSON (as the json format does), NULLs inside them
// as null, and BYTES as base64.
func TestSQLFormatJSONComposites(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "cin",
		`{"id":1,"r":{"x":1,"s":null},"arr":[{"k":"a"},null],"m":{"k":null,"j":2},"mi":{"7":"seven"},"b":"YWI=","tag":"p"}`,
		`{"id":2,"r":null,"arr":[],"m":{},"mi":null,"b":null,"tag":"p"}`,
		`{"id":3,"tag":"q"}`)
	ddl := `CREATE TEMPORARY TABLE cin (id INT, r ROW<x INT, s STRING>, arr ARRAY<ROW<k STRING>>, m MAP<STRING, INT>,
  mi MAP<INT, STRING>, b BYTES, tag STRING)
  WITH ('connector' = 'kafka', 'topic' = 'cin', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
`
	out, _ := e2eRun(t, dir, "sql", "--format", "json", "--drain", "-e", ddl+"SELECT id, r, arr, m, mi, b FROM cin;")
	// "YWI=" is base64 of "ab"; a MAP with INT keys is an object keyed
	// by their text, as the json format writes it.
	want := `{"id":1,"r":{"x":1,"s":null},"arr":[{"k":"a"},null],"m":{"k":null,"j":2},"mi":{"7":"seven"},"b":"YWI="}` + "\n" +
		`{"id":2,"r":null,"arr":[],"m":{},"mi":null,"b":null}` + "\n" +
		`{"id":3,"r":null,"arr":null,"m":null,"mi":null,"b":null}` + "\n"
	if out != want {
		t.Errorf("composites:\n got  %s\n want %s", out, want)
	}
	// A MULTISET is an object of element -> count (Flink's json format).
	out, _ = e2eRun(t, dir, "sql", "--format", "json", "--drain", "-e", ddl+"SELECT tag, COLLECT(tag) AS tags FROM cin GROUP BY tag;")
	if want := `{"tag":"p","tags":{"p":2}}` + "\n" + `{"tag":"q","tags":{"q":1}}` + "\n"; out != want {
		t.Errorf("multiset:\n got  %s\n want %s", out, want)
	}
}
