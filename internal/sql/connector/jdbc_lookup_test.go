package connector

import (
	"context"
	"strings"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The jdbc lookup source and bounded scan against a real MariaDB and a
// real PostgreSQL (internal/testenv; the database helpers are the sink
// tests' jdbcDB). The lookup join operator over them, in the engine, is
// tested in internal/sql/exec.

const skuCols = "id BIGINT, name STRING, price DECIMAL(10, 2), ok BOOLEAN, created TIMESTAMP(3), day DATE, t TIME(0), ratio DOUBLE, raw BYTES, code STRING"

// skuTable creates and fills {db}.sku in d.
func skuTable(t *testing.T, d *jdbcDB) {
	t.Helper()
	if d.name == "postgres" {
		d.exec(t, `CREATE TABLE {db}.sku (id BIGINT PRIMARY KEY, name TEXT, price NUMERIC(10,2), ok BOOLEAN, created TIMESTAMP(3),
			day DATE, t TIME, ratio DOUBLE PRECISION, raw BYTEA, code CHAR(3))`)
		d.exec(t, `INSERT INTO {db}.sku VALUES (1, 'phone', 9.90, true, '2024-01-02 03:04:05.123', '2024-01-02', '12:34:56', 0.5, '\x0102', 'abc'),
			(2, 'it''s "tv"', 1999, false, NULL, NULL, NULL, NULL, NULL, 'xyz'), (3, 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'abc')`)
		return
	}
	d.exec(t, "CREATE TABLE {db}.sku (id BIGINT PRIMARY KEY, name VARCHAR(50), price DECIMAL(10,2), ok TINYINT(1), created DATETIME(3), "+
		"day DATE, t TIME, ratio DOUBLE, raw VARBINARY(10), code CHAR(3))")
	d.exec(t, `INSERT INTO {db}.sku VALUES (1, 'phone', 9.90, 1, '2024-01-02 03:04:05.123', '2024-01-02', '12:34:56', 0.5, x'0102', 'abc'),
		(2, 'it''s "tv"', 1999, 0, NULL, NULL, NULL, NULL, NULL, 'xyz'), (3, 'x', NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'abc')`)
}

func (e *env) lookup(tb *Table, keys ...string) LookupSource {
	e.t.Helper()
	f, err := Lookup(tb.Options["connector"])
	if err != nil {
		e.t.Fatal(err)
	}
	var cols []int
	for _, k := range keys {
		cols = append(cols, tb.Schema.Index(k))
	}
	s, err := f.NewLookup(e.ctx, tb, cols)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func lookupText(t *testing.T, s LookupSource, keys ...row.Value) string {
	t.Helper()
	rows, err := s.Lookup(context.Background(), keys)
	if err != nil {
		return "error: " + err.Error()
	}
	if len(rows) == 0 {
		return "miss"
	}
	return rowsText(rows)
}

// Point lookups read the DDL's columns in its types; keys are converted to
// the key column's type; a composite key; a value that does not fit its
// column is bad input; options reach LookupOptions.
func TestJDBCLookup(t *testing.T) {
	for _, d := range jdbcDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			skuTable(t, d)
			e := newEnv(t)
			tb := withPK(tbl("sku", skuCols, jdbcOpts(d, "sku", "lookup.cache", "PARTIAL", "lookup.partial-cache.max-rows", "10",
				"lookup.max-retries", "1", "lookup.async", "true")), "id")
			s := e.lookup(tb, "id")
			first := "+I[1, phone, 9.90, true, 2024-01-02 03:04:05.123, 2024-01-02, 12:34:56, 0.5, x'0102', abc]"
			for _, c := range []struct {
				key  row.Value
				want string
			}{
				{row.BigInt(1), first},
				{row.Int(1), first},
				{row.String("1"), first},
				{row.String("one"), "miss"}, // no BIGINT: asks nothing
				{row.BigInt(2), `+I[2, it's "tv", 1999.00, false, NULL, NULL, NULL, NULL, NULL, xyz]`},
				{row.BigInt(4), "miss"},
			} {
				if got := lookupText(t, s, c.key); got != c.want {
					t.Errorf("key %v:\ngot  %s\nwant %s", c.key, got, c.want)
				}
			}
			if o := LookupOptionsOf(s); !o.Cache.Enabled || o.Cache.MaxRows != 10 || !o.Async || o.MaxRetries != 1 {
				t.Errorf("options %+v", o)
			}
			// A composite key (not the primary key) with several rows.
			s2 := e.lookup(tb, "code", "ok")
			if got := lookupText(t, s2, row.String("abc"), row.Bool(true)); got != first {
				t.Errorf("code, ok: %s", got)
			}
			nulls := "+I[3, x, NULL, NULL, NULL, NULL, NULL, NULL, NULL, abc]"
			if got := lookupText(t, e.lookup(tb, "code"), row.String("abc")); got != first+" "+nulls && got != nulls+" "+first {
				t.Errorf("code: %s", got)
			}
			// 'phone' is no INT: the input row is dead-lettered.
			bad := withPK(tbl("sku", "id BIGINT, name INT", jdbcOpts(d, "sku")), "id")
			_, err := e.lookup(bad, "id").Lookup(context.Background(), []row.Value{row.BigInt(1)})
			if b, ok := stream.AsBadInput(err); !ok || b.Code != "lookup_bad_value" || !strings.Contains(b.Detail, `column name: cannot read "phone" as INT`) {
				t.Errorf("bad value: %v", err)
			}
			// A missing table is a store error: retryable.
			gone := withPK(tbl("nope", "id BIGINT", jdbcOpts(d, "nope")), "id")
			_, err = e.lookup(gone, "id").Lookup(context.Background(), []row.Value{row.BigInt(1)})
			if _, bad := stream.AsBadInput(err); err == nil || bad || !strings.Contains(err.Error(), "nope") {
				t.Errorf("missing table: %v", err)
			}
		})
	}
}

// PostgreSQL's own types: uuid, jsonb, timestamptz (an instant), a wide
// numeric.
func TestJDBCLookupPostgresTypes(t *testing.T) {
	d := postgresDB(t)
	d.exec(t, `CREATE TABLE {db}.extra (id INT PRIMARY KEY, u UUID, doc JSONB, at TIMESTAMPTZ, amount NUMERIC(20,4))`)
	d.exec(t, `INSERT INTO {db}.extra VALUES (1, '12345678-9abc-def0-0102-030405060708', '{"a": [1, "x"]}', '2024-01-02 03:04:05.678+08', 12345678901234.5678)`)
	e := newEnv(t)
	tb := withPK(tbl("extra", "id INT, u STRING, doc STRING, at TIMESTAMP_LTZ(3), amount DECIMAL(20, 4)", jdbcOpts(d, "extra")), "id")
	want := `+I[1, 12345678-9abc-def0-0102-030405060708, {"a":[1,"x"]}, 2024-01-01 19:04:05.678Z, 12345678901234.5678]`
	if got := lookupText(t, e.lookup(tb, "id"), row.Int(1)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// By the uuid, given as a string.
	if got := lookupText(t, e.lookup(tb, "u"), row.String("12345678-9abc-def0-0102-030405060708")); got != want {
		t.Errorf("by uuid: %s", got)
	}
}

// URLs and options: errors name the option; the password never shows.
func TestJDBCOptions(t *testing.T) {
	e := newEnv(t)
	mk := func(kv ...string) *Table {
		m := map[string]string{"connector": "jdbc", "table-name": "shop.sku"}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return tbl("sku", "id BIGINT, name STRING", m)
	}
	for _, c := range []struct {
		tb   *Table
		want string
	}{
		{mk("url", "mysql://db/shop"), "want jdbc:mysql://, jdbc:mariadb:// or jdbc:postgresql://"},
		{mk("url", "jdbc:oracle://db/shop"), `database "oracle" is not supported`},
		{mk("url", "jdbc:mysql://a,b/shop"), "(one host)"},
		{mk("url", "jdbc:mysql://db/shop?serverTimezone=Mars/Base"), "serverTimezone=Mars/Base"},
		{mk("url", "jdbc:mysql://db/shop", "lookup.cache", "FULL"), "'lookup.cache' = 'FULL' is not supported"},
		{mk("url", "jdbc:mysql://db/shop", "scan.fetch.size", "10"), "unsupported option 'scan.fetch.size'"},
		{mk("table-name", "x"), "option 'url' is required"},
		{tbl("sku", "id BIGINT, m MAP<STRING, STRING>", map[string]string{"connector": "jdbc", "url": "jdbc:mysql://db/shop", "table-name": "sku"}),
			"column m: type MAP<STRING, STRING> is not supported"},
	} {
		_, err := jdbcFactory.NewLookup(e.ctx, c.tb, []int{0})
		errContains(t, err, c.want)
	}
	c, err := parseJDBC(e.ctx, jdbcFactory, mk("url", "jdbc:mysql://u:secret@db/shop?useSSL=true&serverTimezone=Asia/Shanghai&rewriteBatchedStatements=true"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.display, "secret") || c.table != "`shop`.`sku`" || c.loc.String() != "Asia/Shanghai" ||
		!strings.Contains(c.dsn, "u:secret@tcp(db:3306)/shop") || !strings.Contains(c.dsn, "tls=skip-verify") {
		t.Errorf("mysql: %+v", c)
	}
	c, err = parseJDBC(e.ctx, jdbcFactory, mk("url", "jdbc:postgresql://db/shop?password=secret&currentSchema=dw&sslmode=disable", "username", "me"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(c.display, "secret") || c.table != `"shop"."sku"` || c.dsn != "postgres://me:secret@db:5432/shop?connect_timeout=60&search_path=dw&sslmode=disable" {
		t.Errorf("postgres: %+v", c)
	}
}

// The bounded scan reads the table into the job once: rows in key order in
// the DDL's types; a crash while reading goes on after the last row
// written; a later run of the job reads nothing more; a value that does not
// fit its column is dead-lettered when the job reads it.
func TestJDBCScan(t *testing.T) {
	for _, d := range jdbcDBs(t) {
		t.Run(d.name, func(t *testing.T) {
			skuTable(t, d)
			e := newEnv(t)
			src := withPK(tbl("sku", skuCols, jdbcOpts(d, "sku", "scan.fetch-size", "100")), "id")
			dst := tbl("out", skuCols, kafkaOpts("topic", "out", "format", "json"))
			s := e.source(src)
			if s.Mode() != InsertOnly {
				t.Fatalf("mode %v", s.Mode())
			}
			e.mustRun(e.pipe("j", src, dst))
			want := []string{
				`<null>|{"id":1,"name":"phone","price":9.90,"ok":true,"created":"2024-01-02 03:04:05.123","day":"2024-01-02","t":"12:34:56","ratio":0.5,"raw":"AQI=","code":"abc"} @1704164645000`,
				`<null>|{"id":2,"name":"it's \"tv\"","price":1999.00,"ok":false,"created":null,"day":null,"t":null,"ratio":null,"raw":null,"code":"xyz"} @1704164645000`,
				`<null>|{"id":3,"name":"x","price":null,"ok":null,"created":null,"day":null,"t":null,"ratio":null,"raw":null,"code":"abc"} @1704164645000`,
			}
			eq(t, "out", e.read("out"), want)

			// Another run of the job: the table was read.
			d.exec(t, "INSERT INTO {db}.sku (id, name) VALUES (4, 'new')")
			e.mustRun(e.pipe("j", src, dst))
			eq(t, "out after a second run", e.read("out"), want)

			// A crash after two rows: a fresh log holding the first two
			// records of the topic, as the interrupted run left it.
			topic := s.(*jdbcSource).topic
			recs, err := e.log.Fetch(bg, rlog.TopicPartition{Topic: topic}, 0, 2, 0)
			if err != nil || len(recs) != 2 {
				t.Fatalf("topic %s: %d records, %v", topic, len(recs), err)
			}
			e2 := newEnv(t)
			e2.produce(topic, 1, recs...)
			e2.mustRun(e2.pipe("j", src, dst))
			want2 := append(want[:3:3],
				`<null>|{"id":4,"name":"new","price":null,"ok":null,"created":null,"day":null,"t":null,"ratio":null,"raw":null,"code":null} @1704164645000`)
			eq(t, "out after a crash", e2.read("out"), want2)
			var keys []string
			for _, r := range e2.read(topic) {
				k, _, _ := strings.Cut(r, "|")
				keys = append(keys, k)
			}
			if len(keys) != 5 || keys[4] != "end" {
				t.Errorf("topic keys %q", keys)
			}

			// A value that does not fit: dead-lettered, the other rows read.
			e3 := newEnv(t)
			e3.ctx.Job = "j3"
			bad := withPK(tbl("sku", "id BIGINT, name INT", jdbcOpts(d, "sku")), "id")
			e3.mustRun(e3.pipe("j3", bad, tbl("out3", "id BIGINT, name INT", kafkaOpts("topic", "out3", "format", "json"))))
			if got := e3.read("out3"); len(got) != 0 {
				t.Errorf("out3 %v", got)
			}
			dl := e3.read("dirty_data")
			if len(dl) != 4 || !strings.Contains(dl[0], `bad_value: jdbc table default_catalog.default_database.sku, row 0: column name: cannot read "phone" as INT`) {
				t.Errorf("dead letters %v", dl)
			}
		})
	}
}
