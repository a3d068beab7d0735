package connector

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// pqCols is every type the parquet format writes, nested ones included.
const pqCols = "id INT, b BOOLEAN, ti TINYINT, si SMALLINT, bi BIGINT, f FLOAT, d DOUBLE, " +
	"dec DECIMAL(38, 18), dec9 DECIMAL(9, 2), dec18 DECIMAL(18, 4), s STRING, c CHAR(3), vb BYTES, " +
	"dt DATE, tm TIME(3), ts TIMESTAMP(9), ts3 TIMESTAMP(3), ltz TIMESTAMP_LTZ(6), " +
	"arr ARRAY<INT>, m MAP<STRING, DOUBLE>, r ROW<a INT, b STRING>, " +
	"nested ARRAY<ROW<x BIGINT, tags ARRAY<STRING>>>, mm MAP<STRING, ARRAY<INT>>, part STRING"

var pqRows = []string{
	`{"id":1,"b":true,"ti":-128,"si":32767,"bi":-9223372036854775808,"f":1.5,"d":-2.25,` +
		`"dec":-12345678901234567890.123456789012345678,"dec9":-1234567.89,"dec18":99999999999999.9999,` +
		`"s":"中文字符串 ✓ 日本語","c":"abc","vb":"AAEC/w==","dt":"1969-12-31","tm":"23:59:59.999",` +
		`"ts":"1969-12-31 23:59:59.123456789","ts3":"2024-02-29 12:00:00.5","ltz":"2024-01-02 03:04:05.123456Z",` +
		`"arr":[1,null,3],"m":{"k":1.5,"零":null},"r":{"a":1,"b":"x"},` +
		`"nested":[{"x":1,"tags":["a",null]},null,{"x":null,"tags":[]}],"mm":{"a":[1,2],"b":null,"c":[]},"part":"p1"}`,
	`{"id":2,"part":"p1"}`,
	`{"id":3,"b":false,"ti":127,"si":-32768,"bi":9223372036854775807,"f":-3.4028235e38,"d":1e-300,` +
		`"dec":99999999999999999999.999999999999999999,"dec9":0.01,"dec18":-0.0001,` +
		`"s":"","c":"x","vb":"","dt":"0001-01-01","tm":"00:00:00","ts":"0001-01-01 00:00:00",` +
		`"ts3":"9999-12-31 23:59:59.999","ltz":"1900-01-01 00:00:00.000001Z",` +
		`"arr":[],"m":{},"r":{"a":null,"b":null},"nested":[],"mm":{},"part":null}`,
	`{"id":4,"dec":0.000000000000000001,"ts":"2262-04-11 23:47:16.854775807","dt":"1900-01-01","arr":[null],` +
		`"nested":[{"x":-5,"tags":null}],"r":{"a":-7},"part":"p2"}`,
}

func pqTables(dir string, extra ...string) (src, fsOut, fsIn *Table) {
	src = tbl("in", pqCols, kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"))
	opts := map[string]string{"connector": "filesystem", "path": dir, "format": "parquet"}
	for i := 0; i+1 < len(extra); i += 2 {
		opts[extra[i]] = extra[i+1]
	}
	fsOut = tbl("pq", pqCols, opts)
	fsOut.PartitionKeys = []int{fsOut.Schema.Index("part")}
	fsIn = tbl("pq", pqCols, opts)
	fsIn.PartitionKeys = fsOut.PartitionKeys
	return src, fsOut, fsIn
}

// Every type goes through the parquet sink and back through the source
// with its exact value: the rows printed from the files equal the rows
// printed from the JSON they were made of.
func TestFilesystemParquetRoundTrip(t *testing.T) {
	noYear1 := slices.Concat(pqRows[:2], pqRows[3:]) // nanoseconds since 1970 in an INT64 end in 1677 and 2262
	for _, c := range []struct {
		name string
		opts []string
		rows []string
		lost []string // what the timestamp unit drops: text to replace in the reference rows
	}{
		{"default", nil, nil, nil},
		{"int64-micros-gzip", []string{"parquet.write.int64.timestamp", "true", "parquet.compression", "gzip",
			"parquet.utc-timezone", "true", "parquet.enable.dictionary", "false"}, nil,
			[]string{"59.123456789", "59.123456", "16.854775807", "16.854775"}},
		{"int64-nanos", []string{"parquet.write.int64.timestamp", "true", "parquet.timestamp.time.unit", "nanos"}, noYear1, nil},
		{"int64-millis", []string{"parquet.write.int64.timestamp", "true", "parquet.timestamp.time.unit", "millis"}, nil,
			[]string{"59.123456789", "59.123", "05.123456Z", "05.123Z", "00.000001Z", "00Z", "16.854775807", "16.854"}},
		{"zstd-v2-small-row-groups", []string{"parquet.compression", "ZSTD", "parquet.writer.version", "PARQUET_2_0",
			"parquet.block.size", "100", "parquet.page.size", "64", "parquet.validation", "false"}, nil, nil},
		{"uncompressed", []string{"parquet.compression", "UNCOMPRESSED"}, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			dir := filepath.Join(t.TempDir(), "table")
			rows := c.rows
			if rows == nil {
				rows = pqRows
			}
			e.values("in", rows...)
			src, fsOut, fsIn := pqTables(dir, c.opts...)
			e.mustRun(e.pipe("j", src, fsOut))
			var names []string
			for _, f := range tree(t, dir) {
				name, _, _ := strings.Cut(f, ": ")
				names = append(names, name)
			}
			if len(rows) == len(pqRows) {
				eq(t, "files", names, []string{"part=__DEFAULT_PARTITION__/part-j-0-0.parquet", "part=p1/part-j-0-0.parquet", "part=p2/part-j-0-0.parquet"})
			}

			e.mustRun(e.pipe("want", src, tbl("p", pqCols, map[string]string{"connector": "print"})))
			want := lines(e.out.String())
			e.out.b.Reset()
			e.mustRun(e.pipe("back", fsIn, tbl("p", pqCols, map[string]string{"connector": "print"})))
			got := lines(e.out.String())
			slices.Sort(want)
			slices.Sort(got)
			if len(want) != len(rows) || !strings.Contains(want[0], "-12345678901234567890.123456789012345678") ||
				!strings.Contains(want[0], "1969-12-31 23:59:59.123456789") || !strings.Contains(want[0], "中文字符串") {
				t.Errorf("the reference rows are not what the test means: %q", want)
			}
			if c.lost != nil {
				r := strings.NewReplacer(c.lost...)
				for i := range want {
					want[i] = r.Replace(want[i])
				}
			}
			eq(t, "read back", got, want)
			if dl := e.read("dirty_data"); len(dl) > 0 {
				t.Errorf("dead letters: %q", dl)
			}
		})
	}
}

// duckRows reads parquet files with DuckDB, every column cast to text.
func duckRows(t *testing.T, query string) []string {
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		var parts []string
		for _, v := range vals {
			if v.Valid {
				parts = append(parts, v.String)
			} else {
				parts = append(parts, "NULL")
			}
		}
		out = append(out, strings.Join(parts, " | "))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// DuckDB, an independent reader, reads the files the sink writes with the
// same values (DuckDB's TIMESTAMP has microseconds: it drops the INT96
// nanoseconds), and the types Flink writes.
func TestFilesystemParquetReadByDuckDB(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(t.TempDir(), "table")
	e.values("in", pqRows...)
	src, fsOut, _ := pqTables(dir)
	e.mustRun(e.pipe("j", src, fsOut))
	glob := filepath.ToSlash(dir) + "/**/*.parquet"
	cols := []string{"id", "b", "ti", "si", "bi", "f", "d", "dec", "dec9", "dec18", "s", "c", "hex(vb)", "dt", "tm", "ts", "ts3", "ltz",
		"arr", "m", "r", "nested", "mm"}
	for i, c := range cols {
		cols[i] = "CAST(" + c + " AS VARCHAR)"
	}
	got := duckRows(t, "SELECT "+strings.Join(cols, ", ")+" FROM read_parquet('"+glob+"', hive_partitioning = false) ORDER BY id")
	eq(t, "duckdb rows", got, []string{
		"1 | true | -128 | 32767 | -9223372036854775808 | 1.5 | -2.25 | -12345678901234567890.123456789012345678 | -1234567.89 | 99999999999999.9999 | " +
			"中文字符串 ✓ 日本語 | abc | 000102FF | 1969-12-31 | 23:59:59.999+00 | 1969-12-31 23:59:59.123456 | 2024-02-29 12:00:00.5 | 2024-01-02 03:04:05.123456 | " +
			"[1, NULL, 3] | {k=1.5, 零=NULL} | {'a': 1, 'b': x} | [{'x': 1, 'tags': [a, NULL]}, NULL, {'x': NULL, 'tags': []}] | {a=[1, 2], b=NULL, c=[]}",
		"2 | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL | NULL",
		"3 | false | 127 | -32768 | 9223372036854775807 | -3.4028235e+38 | 1e-300 | 99999999999999999999.999999999999999999 | 0.01 | -0.0001 | " +
			" | x |  | 0001-01-01 | 00:00:00+00 | 0001-01-01 00:00:00 | 9999-12-31 23:59:59.999 | 1900-01-01 00:00:00.000001 | " +
			"[] | {} | {'a': NULL, 'b': NULL} | [] | {}",
		"4 | NULL | NULL | NULL | NULL | NULL | NULL | 0.000000000000000001 | NULL | NULL | NULL | NULL | NULL | 1900-01-01 | NULL | 2262-04-11 23:47:16.854775 | NULL | NULL | " +
			"[NULL] | NULL | {'a': -7, 'b': NULL} | [{'x': -5, 'tags': NULL}] | NULL",
	})
	// The schema is Flink's: INT96 timestamps, fixed-length decimals,
	// annotated small integers, TIME_MILLIS, UTF8 strings, optional fields.
	schema := duckRows(t, "SELECT name, coalesce(type, ''), coalesce(converted_type, ''), coalesce(CAST(type_length AS VARCHAR), ''), repetition_type "+
		"FROM parquet_schema('"+filepath.ToSlash(dir)+"/part=p1/part-j-0-0.parquet') WHERE name IN ('flink_schema', 'ti', 'si', 'id', 'bi', 'dec', 'dec9', 'dec18', 's', 'vb', 'dt', 'tm', 'ts', 'ltz', 'arr', 'list', 'element', 'key', 'value') ORDER BY name")
	eq(t, "schema", schema, []string{
		"arr |  | LIST |  | OPTIONAL",
		"bi | INT64 |  |  | OPTIONAL",
		"dec | FIXED_LEN_BYTE_ARRAY | DECIMAL | 16 | OPTIONAL",
		"dec18 | FIXED_LEN_BYTE_ARRAY | DECIMAL | 8 | OPTIONAL",
		"dec9 | FIXED_LEN_BYTE_ARRAY | DECIMAL | 4 | OPTIONAL",
		"dt | INT32 | DATE |  | OPTIONAL",
		"element | BYTE_ARRAY | UTF8 |  | OPTIONAL",
		"element |  |  |  | OPTIONAL",
		"element | INT32 |  |  | OPTIONAL",
		"element | INT32 |  |  | OPTIONAL",
		"flink_schema |  |  |  | REQUIRED",
		"id | INT32 |  |  | OPTIONAL",
		"key | BYTE_ARRAY | UTF8 |  | REQUIRED",
		"key | BYTE_ARRAY | UTF8 |  | REQUIRED",
		"list |  |  |  | REPEATED",
		"list |  |  |  | REPEATED",
		"list |  |  |  | REPEATED",
		"list |  |  |  | REPEATED",
		"ltz | INT96 |  |  | OPTIONAL",
		"s | BYTE_ARRAY | UTF8 |  | OPTIONAL",
		"si | INT32 | INT_16 |  | OPTIONAL",
		"ti | INT32 | INT_8 |  | OPTIONAL",
		"tm | INT32 | TIME_MILLIS |  | OPTIONAL",
		"ts | INT96 |  |  | OPTIONAL",
		"value | DOUBLE |  |  | OPTIONAL",
		"value |  | LIST |  | OPTIONAL",
		"vb | BYTE_ARRAY |  |  | OPTIONAL",
	})
	codecs := duckRows(t, "SELECT DISTINCT compression FROM parquet_metadata('"+glob+"')")
	eq(t, "codec", codecs, []string{"SNAPPY"})
}

// The source reads files other writers made: DuckDB's INT64 timestamps
// (microseconds, nanoseconds, milliseconds), decimals in INT32 / INT64,
// nested lists, maps and structs; columns by name in any order and case,
// a column the file lacks as NULL.
func TestFilesystemParquetReadsOtherWriters(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.Exec(`COPY (SELECT * FROM (VALUES
		(1, TIMESTAMP '1969-12-31 23:59:59.123456', TIMESTAMP_NS '2024-01-02 03:04:05.123456789', TIMESTAMP_MS '2024-01-02 03:04:05.123',
		 12.34::DECIMAL(4, 2), 123456789012.345::DECIMAL(15, 3), [1, 2, NULL], MAP {'a': 1, 'b': NULL}, {'x': 1, 'y': 'z'}, 'extra', 7::UTINYINT, DATE '2000-02-29',
		 TIME '12:34:56.789012', {'q': [5]}, [{'k': 1, 'v': 'a'}], TIMESTAMPTZ '2024-01-02 03:04:05.5+00'),
		(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, [], NULL))
		AS t("ID", ts_us, ts_ns, ts_ms, d4, d15, l, m, st, ignored, u8, dt, tm, st2, ls, tz)) TO '` + filepath.Join(dir, "duck.parquet") + `' (FORMAT parquet)`)
	if err != nil {
		t.Fatal(err)
	}
	cols := "dt DATE, id BIGINT, ts_us TIMESTAMP(6), ts_ns TIMESTAMP(9), ts_ms TIMESTAMP(3), d4 DECIMAL(10, 4), d15 DECIMAL(38, 3), " +
		"l ARRAY<BIGINT>, m MAP<STRING, INT>, st ROW<y STRING, missing INT, x INT>, u8 SMALLINT, absent STRING, " +
		"tm TIME(6), st2 ROW<nope INT>, ls ARRAY<ROW<v STRING>>, tz TIMESTAMP_LTZ(3)"
	src := tbl("duck", cols, map[string]string{"connector": "filesystem", "path": dir, "format": "parquet"})
	e.mustRun(e.pipe("j", src, tbl("p", cols, map[string]string{"connector": "print"})))
	eq(t, "rows", lines(e.out.String()), []string{
		"+I[2000-02-29, 1, 1969-12-31 23:59:59.123456, 2024-01-02 03:04:05.123456789, 2024-01-02 03:04:05.123, 12.3400, 123456789012.345, [1, 2, NULL], {a=1, b=NULL}, (z, NULL, 1), 7, NULL, " +
			"12:34:56.789012, (NULL), [(a)], 2024-01-02 03:04:05.5Z]",
		"+I[NULL, 2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, [], NULL]",
	})
	// A column whose type does not fit fails the load, naming the file and
	// the column.
	bad := tbl("bad", "ts_us INT", map[string]string{"connector": "filesystem", "path": dir, "format": "parquet"})
	err = e.run(e.pipe("bad", bad, tbl("p", "ts_us INT", map[string]string{"connector": "print"})))
	errContains(t, err, "duck.parquet: column ts_us: cannot read parquet INT64 Timestamp(isAdjustedToUTC=false, timeUnit=microseconds")
}

// Timestamps and 'parquet.utc-timezone': by default the wall clock is
// converted from the session time zone to an instant (Flink: the JVM's
// zone); with true it is stored as if UTC, which is what DuckDB shows.
func TestFilesystemParquetUTCTimezone(t *testing.T) {
	for _, utc := range []string{"false", "true"} {
		t.Run(utc, func(t *testing.T) {
			e := newEnv(t)
			e.ctx.Loc = shanghai(t)
			dir := t.TempDir()
			e.values("in", `{"ts":"2024-01-02 08:00:00.000000001"}`)
			cols := "ts TIMESTAMP(9)"
			src := tbl("in", cols, kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"))
			fs := tbl("fs", cols, map[string]string{"connector": "filesystem", "path": dir, "format": "parquet", "parquet.utc-timezone": utc})
			e.mustRun(e.pipe("j", src, fs))
			e.mustRun(e.pipe("back", fs, tbl("p", cols, map[string]string{"connector": "print"})))
			eq(t, "read back", lines(e.out.String()), []string{"+I[2024-01-02 08:00:00.000000001]"})
			want := "2024-01-02 00:00:00"
			if utc == "true" {
				want = "2024-01-02 08:00:00"
			}
			eq(t, "duckdb", duckRows(t, "SELECT CAST(ts AS VARCHAR) FROM read_parquet('"+filepath.ToSlash(dir)+"/*.parquet')"), []string{want})
		})
	}
}

// A row the format cannot write (a NULL map key) is dead-lettered; the
// file holds the other rows whole.
func TestFilesystemParquetBadRow(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	e.values("in", `{"id":1,"m":{"a":[1]}}`, `{"id":2,"m":{"null":[2]}}`, `{"id":3,"m":{"b":[3,4]}}`)
	cols := "id INT, m MAP<STRING, ARRAY<INT>>"
	src := tbl("in", cols, kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset", "json.map-null-key.mode", "LITERAL"))
	// the JSON source reads the key "null" as the string; a NULL key comes from SQL:
	j := stream.NewJob("j")
	s, err := e.source(src).Attach(j)
	if err != nil {
		t.Fatal(err)
	}
	s = s.Process("nullkey", func() stream.Operator { return nullMapKey{} }).Main()
	if err := e.sink(tbl("fs", cols, map[string]string{"connector": "filesystem", "path": dir, "format": "parquet"})).Attach(s); err != nil {
		t.Fatal(err)
	}
	e.mustRun(j)
	eq(t, "rows", duckRows(t, "SELECT id, CAST(m AS VARCHAR) FROM read_parquet('"+filepath.ToSlash(dir)+"/*.parquet') ORDER BY id"),
		[]string{"1 | {a=[1]}", "3 | {b=[3, 4]}"})
	dl := e.read("dirty_data")
	if len(dl) != 1 || !strings.Contains(dl[0], "NULL cannot be written to parquet's required field") {
		t.Errorf("dead letters: %q", dl)
	}
}

// nullMapKey replaces the map key "null" with a NULL key.
type nullMapKey struct{}

func (nullMapKey) Open(*stream.Context) error { return nil }
func (nullMapKey) Process(rec *stream.Record, out stream.Emitter) error {
	if rec.Row != nil && !rec.Row.Values[1].IsNull() {
		m := rec.Row.Values[1]
		kv := make([]row.Value, 0, 2*m.Len())
		for i := range m.Len() {
			k := m.MapKey(i)
			if k.Str() == "null" {
				k = row.Null()
			}
			kv = append(kv, k, m.MapValue(i))
		}
		r := rec.Row.Clone()
		r.Values[1] = row.MapEntries(kv)
		c := *rec
		c.Row = &r
		out.Emit(0, &c)
		return nil
	}
	out.Emit(0, rec)
	return nil
}

// The filesystem sink's crash tests in parquet: every row in exactly one
// visible, readable file whatever the crash.
func TestFilesystemParquetExactlyOnceUnderCrashes(t *testing.T) {
	var want []string
	var vals []string
	for i := range 300 {
		v := fmt.Sprintf("r%03d", i)
		vals, want = append(vals, v), append(want, v)
	}
	for _, crash := range []string{"mid-interval", "before-commit", "after-commit"} {
		t.Run(crash, func(t *testing.T) {
			e := newEnv(t)
			e.fetch, e.interval, e.restarts = 7, time.Nanosecond, 10
			e.values("in", vals...)
			dir := t.TempDir()
			src := tbl("in", "v STRING", kafkaOpts("format", "raw", "scan.startup.mode", "earliest-offset"))
			dst := tbl("files", "v STRING", map[string]string{"connector": "filesystem", "path": dir, "format": "parquet"})
			j := stream.NewJob("j")
			s, err := e.source(src).Attach(j)
			if err != nil {
				t.Fatal(err)
			}
			var fired atomic.Bool
			var prepared atomic.Int64
			switch crash {
			case "mid-interval":
				s = s.Process("crash", func() stream.Operator { return failOnce{at: "r150", fired: &fired} }).Main()
			case "after-commit":
				var publishes atomic.Int64
				fsTestHook = func() error {
					if publishes.Add(1) == 20 && fired.CompareAndSwap(false, true) {
						return errors.New("injected crash after the commit")
					}
					return nil
				}
				defer func() { fsTestHook = nil }()
			}
			if err := e.sink(dst).Attach(s); err != nil {
				t.Fatal(err)
			}
			if crash == "before-commit" {
				s.Process("crash", func() stream.Operator { return failPrepare{n: 20, count: &prepared} })
			}
			e.mustRun(j)
			if crash == "before-commit" {
				if prepared.Load() < 20 {
					t.Fatalf("only %d checkpoints: no crash injected", prepared.Load())
				}
			} else if !fired.Load() {
				t.Fatal("no crash injected")
			}
			entries, err := os.ReadDir(dir)
			if err != nil {
				t.Fatal(err)
			}
			for _, en := range entries {
				if strings.HasSuffix(en.Name(), ".inprogress") {
					t.Errorf("in-progress file left: %s", en.Name())
				}
			}
			if len(entries) < 10 {
				t.Errorf("%d files: the run had too few checkpoints to test anything", len(entries))
			}
			eq(t, "rows (duckdb)", duckRows(t, "SELECT v FROM read_parquet('"+filepath.ToSlash(dir)+"/*.parquet') ORDER BY v"), want)
			// and through the source
			e.mustRun(e.pipe("back", dst, tbl("p", "v STRING", map[string]string{"connector": "print"})))
			got := lines(e.out.String())
			slices.Sort(got)
			for i := range want {
				want[i] = "+I[" + want[i] + "]"
			}
			eq(t, "rows (source)", got, want)
			for i := range want {
				want[i] = strings.TrimSuffix(strings.TrimPrefix(want[i], "+I["), "]")
			}
		})
	}
}

func TestFilesystemParquetOptionErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		cols string
		opts []string
		want string
	}{
		{"id INT", []string{"parquet.compression", "LZO"}, "'parquet.compression' = 'LZO': the codec is not supported"},
		{"id INT", []string{"parquet.compression", "fast"}, "unknown codec (UNCOMPRESSED, SNAPPY, GZIP, ZSTD, BROTLI, LZ4_RAW)"},
		{"id INT", []string{"parquet.utc-timezone", "yes"}, "'parquet.utc-timezone' = 'yes'"},
		{"id INT", []string{"parquet.timestamp.time.unit", "seconds"}, "millis, micros or nanos"},
		{"id INT", []string{"parquet.block.size", "128MB"}, "a positive number of bytes"},
		{"id INT", []string{"parquet.frobnicate", "1"}, "unsupported option 'parquet.frobnicate' (parquet options: parquet.compression (SNAPPY)"},
		{"id INT", []string{"json.ignore-parse-errors", "true"}, "unsupported option 'json.ignore-parse-errors'"},
		{"id INT, ms MULTISET<INT>", nil, "column ms: type MULTISET<INT> cannot be written as parquet"},
		{"id INT, iv INTERVAL DAY", nil, "column iv: type INTERVAL DAY"},
		{"id INT, r ROW<a ARRAY<INTERVAL MONTH>>", nil, "column r: type INTERVAL MONTH"},
		{"id INT", []string{"format", "json", "parquet.compression", "GZIP"}, "unsupported option 'parquet.compression': the format is 'json'"},
	} {
		opts := map[string]string{"connector": "filesystem", "path": "/tmp/x", "format": "parquet"}
		for i := 0; i < len(c.opts); i += 2 {
			opts[c.opts[i]] = c.opts[i+1]
		}
		_, err := filesystemFactory.NewSink(e.ctx, tbl("t", c.cols, opts))
		errContains(t, err, c.want)
		_, err = filesystemFactory.NewSource(e.ctx, tbl("t", c.cols, opts))
		errContains(t, err, c.want)
	}
	// A file that is not parquet fails the load, naming it.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("not parquet"), 0o644)
	src := tbl("t", "id INT", map[string]string{"connector": "filesystem", "path": dir, "format": "parquet"})
	err := e.run(e.pipe("j", src, tbl("p", "id INT", map[string]string{"connector": "print"})))
	errContains(t, err, "notes.txt")
}

// The source copies each parquet file's rows once: a later run reads
// only the rows of new files.
func TestFilesystemParquetSourceIncremental(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	cols := "id INT, s STRING, f STRING"
	e.values("in", `{"id":1,"s":"a"}`, `{"id":2,"s":"b"}`)
	src := tbl("in", "id INT, s STRING", kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"))
	out := tbl("fs", "id INT, s STRING", map[string]string{"connector": "filesystem", "path": dir, "format": "parquet"})
	back := tbl("fs", cols, map[string]string{"connector": "filesystem", "path": dir, "format": "parquet"}, "f:file.name:virtual")
	prt := tbl("p", cols, map[string]string{"connector": "print"})
	e.mustRun(e.pipe("w1", src, out))
	e.mustRun(e.pipe("r", back, prt))
	eq(t, "first run", lines(e.out.String()), []string{"+I[1, a, part-w1-0-0.parquet]", "+I[2, b, part-w1-0-0.parquet]"})
	e.values("in2", `{"id":3,"s":"c"}`)
	e.mustRun(e.pipe("w2", tbl("in2", "id INT, s STRING", kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset")), out))
	e.out.b.Reset()
	e.mustRun(e.pipe("r", back, prt))
	eq(t, "second run", lines(e.out.String()), []string{"+I[3, c, part-w2-0-0.parquet]"})
	e.out.b.Reset()
	e.mustRun(e.pipe("r", back, prt))
	eq(t, "third run", lines(e.out.String()), nil)
}
