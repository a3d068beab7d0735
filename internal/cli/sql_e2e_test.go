package cli_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/log/logtest"
)

// The SQL connectors end to end through the CLI: `rtdw sql -f FILE
// --drain` in a fresh data dir, run in process, its outputs read back with
// `rtdw topic tail`, `rtdw query` and the file system, and compared with
// results worked out by hand from the inputs.

// e2eRun runs rtdw in process on dir and fails the test unless it exits 0.
func e2eRun(t *testing.T, dir string, args ...string) (stdout, stderr string) {
	t.Helper()
	code, out, errb := run(t, "", append([]string{"--data-dir", dir, "--log-level", "warn"}, args...)...)
	if code != 0 {
		t.Fatalf("rtdw %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), code, out, errb)
	}
	return out, errb
}

// e2eFile writes a SQL file into dir and returns its path.
func e2eFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// e2eTail is `rtdw topic tail TOPIC --from-beginning --exit-at-end` with
// flags: the lines it prints (partition by partition).
func e2eTail(t *testing.T, dir, topic string, flags ...string) []string {
	t.Helper()
	out, _ := e2eRun(t, dir, append([]string{"topic", "tail", topic, "--from-beginning", "--exit-at-end"}, flags...)...)
	if out == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(out, "\n"), "\n")
}

// e2eSameLines fails unless got and want hold the same lines, in any order.
func e2eSameLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	g, w := slices.Clone(got), slices.Clone(want)
	slices.Sort(g)
	slices.Sort(w)
	if !slices.Equal(g, w) {
		t.Errorf("%s:\n got  %q\n want %q", what, g, w)
	}
}

// e2eByKey groups "key<TAB>value" lines by key, keeping their order (one key's
// records are in one partition, in the order they were written).
func e2eByKey(lines []string) map[string][]string {
	out := map[string][]string{}
	for _, l := range lines {
		k, v, _ := strings.Cut(l, "\t")
		out[k] = append(out[k], v)
	}
	return out
}

// e2eSameByKey compares per-key sequences.
func e2eSameByKey(t *testing.T, what string, got, want map[string][]string) {
	t.Helper()
	for k, w := range want {
		if !slices.Equal(got[k], w) {
			t.Errorf("%s, key %s:\n got  %q\n want %q", what, k, got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected key %s: %q", what, k, g)
		}
	}
}

// e2eWithLog opens the data dir's embedded log (no rtdw process may be
// running on it).
func e2eWithLog(t *testing.T, dir string, f func(l rlog.Log)) {
	t.Helper()
	l, err := embedded.Open(embedded.Options{Dir: filepath.Join(dir, "log"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	f(l)
}

// e2eProduce creates topic with partitions (unless it exists) and
// appends recs as they are (partition, key, timestamp).
func e2eProduce(t *testing.T, dir, topic string, partitions int32, recs ...rlog.Record) {
	t.Helper()
	e2eWithLog(t, dir, func(l rlog.Log) {
		ctx := context.Background()
		if _, err := l.DescribeTopic(ctx, topic); err != nil {
			if err := l.CreateTopic(ctx, topic, rlog.TopicConfig{Partitions: partitions}); err != nil {
				t.Fatal(err)
			}
		}
		for i := range recs {
			recs[i].Topic = topic
		}
		if err := l.Produce(ctx, recs...); err != nil {
			t.Fatal(err)
		}
	})
}

// e2eProduceValues appends one record per line to a one-partition topic,
// created if missing (so a source reads them in order).
func e2eProduceValues(t *testing.T, dir, topic string, lines ...string) {
	t.Helper()
	recs := make([]rlog.Record, len(lines))
	for i, l := range lines {
		recs[i] = rlog.Record{Value: []byte(l)}
	}
	e2eProduce(t, dir, topic, 1, recs...)
}

var e2eT0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

// TestSQLE2EKafkaFormats: a kafka json source with metadata columns
// (partition, offset, timestamp) into kafka sinks in the json, csv and raw
// formats and one with key.fields in a csv key; the keyed topic is read
// back through its key.
func TestSQLE2EKafkaFormats(t *testing.T) {
	dir := t.TempDir()
	ms := func(s int) int64 { return e2eT0.Add(time.Duration(s) * time.Second).UnixMilli() }
	e2eProduce(t, dir, "src", 2,
		rlog.Record{Partition: 0, Timestamp: ms(1), Value: []byte(`{"id":1,"name":"apple","price":1.50}`)},
		rlog.Record{Partition: 0, Timestamp: ms(2), Value: []byte(`{"id":2,"name":"pear, green","price":2.25}`)},
		rlog.Record{Partition: 1, Timestamp: ms(3), Value: []byte(`{"id":3,"name":"fig","price":0.75}`)},
		rlog.Record{Partition: 1, Timestamp: ms(4), Value: []byte(`{"id":4,"name":"kiwi \"gold\"","price":10}`)},
		rlog.Record{Partition: 1, Timestamp: ms(5), Value: []byte(`{"id":5,"name":null,"price":null}`)},
	)
	f := e2eFile(t, dir, "formats.sql", `
CREATE TABLE src (
  id BIGINT, name STRING, price DECIMAL(10, 2),
  part INT METADATA FROM 'partition' VIRTUAL,
  off BIGINT METADATA FROM 'offset' VIRTUAL,
  rts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp' VIRTUAL
) WITH ('connector' = 'kafka', 'topic' = 'src', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE out_json (id BIGINT, name STRING, part INT, off BIGINT, rts TIMESTAMP_LTZ(3))
  WITH ('connector' = 'kafka', 'topic' = 'out_json', 'format' = 'json');
CREATE TABLE out_csv (id BIGINT, name STRING, price2 DECIMAL(11, 2))
  WITH ('connector' = 'kafka', 'topic' = 'out_csv', 'format' = 'csv');
CREATE TABLE out_raw (line STRING)
  WITH ('connector' = 'kafka', 'topic' = 'out_raw', 'format' = 'raw');
CREATE TABLE out_keyed (id BIGINT, name STRING, price DECIMAL(10, 2))
  WITH ('connector' = 'kafka', 'topic' = 'out_keyed', 'key.format' = 'csv', 'key.fields' = 'id',
        'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY');
INSERT INTO out_json SELECT id, name, part, off, rts FROM src;
INSERT INTO out_csv SELECT id, name, price * 2 FROM src;
INSERT INTO out_raw SELECT COALESCE(UPPER(name), '?') || '|' || CAST(id AS STRING) FROM src;
CREATE TABLE out_meta (id BIGINT, ts TIMESTAMP_LTZ(3) METADATA FROM 'timestamp', headers MAP<STRING, BYTES> METADATA)
  WITH ('connector' = 'kafka', 'topic' = 'out_meta', 'format' = 'json');
INSERT INTO out_keyed SELECT id, name, price FROM src WHERE id <> 5;
INSERT INTO out_meta SELECT id, TO_TIMESTAMP_LTZ(id * 60000, 3), MAP['src', CAST(name AS BYTES)] FROM src WHERE id < 3;
`)
	_, stderr := e2eRun(t, dir, "sql", "-f", f, "--drain")
	if !strings.Contains(stderr, "drained 5 SQL job(s)") {
		t.Errorf("stderr: %q", stderr)
	}
	// Metadata: the partition and offset each record was produced at, and
	// its timestamp (TIMESTAMP_LTZ in JSON: UTC with a 'Z').
	e2eSameLines(t, "out_json", e2eTail(t, dir, "out_json"), []string{
		`{"id":1,"name":"apple","part":0,"off":0,"rts":"2024-05-01 10:00:01Z"}`,
		`{"id":2,"name":"pear, green","part":0,"off":1,"rts":"2024-05-01 10:00:02Z"}`,
		`{"id":3,"name":"fig","part":1,"off":0,"rts":"2024-05-01 10:00:03Z"}`,
		`{"id":4,"name":"kiwi \"gold\"","part":1,"off":1,"rts":"2024-05-01 10:00:04Z"}`,
		`{"id":5,"name":null,"part":1,"off":2,"rts":"2024-05-01 10:00:05Z"}`,
	})
	// A projection keeps each input record's timestamp.
	e2eWithLog(t, dir, func(l rlog.Log) {
		for _, r := range logtest.ReadAll(t, l, "out_json") {
			var id int
			fmt.Sscanf(string(r.Value), `{"id":%d`, &id)
			if r.Timestamp != ms(id) {
				t.Errorf("out_json record %s has timestamp %d, want %d (its input's)", r.Value, r.Timestamp, ms(id))
			}
		}
	})
	// csv: quoted when holding the delimiter or quotes, NULL as an empty field.
	e2eSameLines(t, "out_csv", e2eTail(t, dir, "out_csv"), []string{
		`1,apple,3.00`, `2,"pear, green",4.50`, `3,fig,1.50`, `4,"kiwi ""gold""",20.00`, `5,,`,
	})
	e2eSameLines(t, "out_raw", e2eTail(t, dir, "out_raw"), []string{
		`APPLE|1`, `PEAR, GREEN|2`, `FIG|3`, `KIWI "GOLD"|4`, `?|5`,
	})
	// The key is the csv of id, the value the other columns; a record goes
	// to its key's partition (4: the default).
	var want []string
	for id, v := range map[int]string{1: `{"name":"apple","price":1.50}`, 2: `{"name":"pear, green","price":2.25}`,
		3: `{"name":"fig","price":0.75}`, 4: `{"name":"kiwi \"gold\"","price":10.00}`} {
		key := fmt.Sprint(id)
		want = append(want, fmt.Sprintf("%s\t%d\t%s", key, rlog.PartitionFor([]byte(key), 4), v))
	}
	e2eSameLines(t, "out_keyed", e2eTail(t, dir, "out_keyed", "--print-key", "--print-partition"), want)

	// Writable metadata: the record timestamp and headers come from columns.
	e2eSameLines(t, "out_meta", e2eTail(t, dir, "out_meta", "--print-headers"), []string{
		"src=apple\t" + `{"id":1}`, "src=pear, green\t" + `{"id":2}`,
	})
	e2eWithLog(t, dir, func(l rlog.Log) {
		for _, r := range logtest.ReadAll(t, l, "out_meta") {
			var id int64
			fmt.Sscanf(string(r.Value), `{"id":%d`, &id)
			if r.Timestamp != id*60000 {
				t.Errorf("out_meta record %s has timestamp %d, want %d", r.Value, r.Timestamp, id*60000)
			}
		}
	})

	// A query of metadata columns only (the source decodes the value
	// anyway), and one of no column.
	out, _ := e2eRun(t, dir, "sql", "--format", "json", "--drain", "-e", `
SELECT part, COUNT(*) AS n, MAX(off) AS last FROM src GROUP BY part;
SELECT COUNT(*) AS n FROM src;`)
	// (Members in column order.)
	if want := `{"part":0,"n":2,"last":1}` + "\n" + `{"part":1,"n":3,"last":2}` + "\n" + `{"n":5}` + "\n"; out != want {
		t.Errorf("metadata query: %q, want %q", out, want)
	}

	// Read back through the key: id comes from the record key.
	out, _ = e2eRun(t, dir, "sql", "--format", "json", "-e", `
CREATE TEMPORARY TABLE keyed_back (id BIGINT, name STRING, price DECIMAL(10, 2))
  WITH ('connector' = 'kafka', 'topic' = 'out_keyed', 'key.format' = 'csv', 'key.fields' = 'id',
        'value.format' = 'json', 'value.fields-include' = 'EXCEPT_KEY', 'scan.startup.mode' = 'earliest-offset');
SELECT id, price FROM keyed_back WHERE price > 1;`, "--drain")
	// (--format json: the final table sorted, DECIMAL as JSON numbers.)
	if want := "{\"id\":1,\"price\":1.50}\n{\"id\":2,\"price\":2.25}\n{\"id\":4,\"price\":10.00}\n"; out != want {
		t.Errorf("keyed read back: %q, want %q", out, want)
	}
}

// e2ePrinted groups print lines ("id> +I[key, ...]") by identifier and
// key (the first field), keeping their order.
func e2ePrinted(out string) map[string][]string {
	m := map[string][]string{}
	for _, l := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if l == "" {
			continue
		}
		id, rest, ok := strings.Cut(l, "> ")
		if !ok {
			id, rest = "", l
		}
		key, _, _ := strings.Cut(rest[3:], ",")
		key, _, _ = strings.Cut(key, "]")
		m[id+"/"+key] = append(m[id+"/"+key], rest)
	}
	return m
}

// TestSQLE2EChangelogs: the same changes of an orders table as
// maxwell-json, debezium-json and canal-json records feed a retracting
// GROUP BY into upsert-kafka (a group that disappears is a tombstone) and
// print; the upsert topic read back by an upsert-kafka source is
// normalized into a retract changelog.
func TestSQLE2EChangelogs(t *testing.T) {
	dir := t.TempDir()
	// 1 +I(1,u1,10.00) 2 +I(2,u2,5.00) 3 +I(3,u1,2.50)
	// 4 U(1: amount 10.00 -> 12.00) 5 D(2) 6 U(3: uid u1 -> u3), and a
	// record that changes no row.
	e2eProduceValues(t, dir, "orders_mw",
		`{"database":"shop","table":"orders","type":"insert","ts":1714557600,"data":{"id":1,"uid":"u1","amount":10.00}}`,
		`{"database":"shop","table":"orders","type":"insert","ts":1714557601,"data":{"id":2,"uid":"u2","amount":"5.00"}}`,
		`{"database":"shop","table":"orders","type":"bootstrap-insert","ts":1714557602,"data":{"id":3,"uid":"u1","amount":2.5}}`,
		`{"database":"shop","table":"orders","type":"table-alter","ts":1714557603,"def":{}}`,
		`{"database":"shop","table":"orders","type":"update","ts":1714557604,"data":{"id":1,"uid":"u1","amount":12.00},"old":{"amount":10.00}}`,
		`{"database":"shop","table":"orders","type":"delete","ts":1714557605,"data":{"id":2,"uid":"u2","amount":5.00}}`,
		`{"database":"shop","table":"orders","type":"update","ts":1714557606,"data":{"id":3,"uid":"u3","amount":2.50},"old":{"uid":"u1"}}`,
	)
	e2eProduceValues(t, dir, "orders_dbz",
		`{"before":null,"after":{"id":1,"uid":"u1","amount":10.00},"op":"r","ts_ms":1714557600000}`,
		`{"before":null,"after":{"id":2,"uid":"u2","amount":5.00},"op":"c","ts_ms":1714557601000}`,
		`{"before":null,"after":{"id":3,"uid":"u1","amount":2.50},"op":"c","ts_ms":1714557602000}`,
		`{"before":{"id":1,"uid":"u1","amount":10.00},"after":{"id":1,"uid":"u1","amount":12.00},"op":"u","ts_ms":1714557604000}`,
		`{"before":{"id":2,"uid":"u2","amount":5.00},"after":null,"op":"d","ts_ms":1714557605000}`,
		`{"before":{"id":3,"uid":"u1","amount":2.50},"after":{"id":3,"uid":"u3","amount":2.50},"op":"u","ts_ms":1714557606000}`,
	)
	e2eProduceValues(t, dir, "orders_canal",
		`{"data":[{"id":"1","uid":"u1","amount":"10.00"},{"id":"2","uid":"u2","amount":"5.00"}],"type":"INSERT","database":"shop","table":"orders","isDdl":false}`,
		`{"data":[{"id":"3","uid":"u1","amount":"2.50"}],"type":"INSERT","database":"shop","table":"orders","isDdl":false}`,
		`{"data":null,"type":"ALTER","database":"shop","table":"orders","isDdl":true,"sql":"ALTER TABLE orders ADD c INT"}`,
		`{"data":[{"id":"1","uid":"u1","amount":"12.00"}],"old":[{"amount":"10.00"}],"type":"UPDATE","database":"shop","table":"orders","isDdl":false}`,
		`{"data":[{"id":"2","uid":"u2","amount":"5.00"}],"type":"DELETE","database":"shop","table":"orders","isDdl":false}`,
		`{"data":[{"id":"3","uid":"u3","amount":"2.50"}],"old":[{"uid":"u1"}],"type":"UPDATE","database":"shop","table":"orders","isDdl":false}`,
	)
	var ddl strings.Builder
	for _, f := range []string{"mw", "dbz", "canal"} {
		format := map[string]string{"mw": "maxwell-json", "dbz": "debezium-json", "canal": "canal-json"}[f]
		fmt.Fprintf(&ddl, `
CREATE TABLE orders_%[1]s (id BIGINT, uid STRING, amount DECIMAL(10, 2))
  WITH ('connector' = 'kafka', 'topic' = 'orders_%[1]s', 'format' = '%[2]s', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE per_user_%[1]s (uid STRING, n BIGINT, total DECIMAL(38, 2), PRIMARY KEY (uid) NOT ENFORCED)
  WITH ('connector' = 'upsert-kafka', 'topic' = 'per_user_%[1]s', 'key.format' = 'json', 'value.format' = 'json');
CREATE TABLE print_%[1]s (uid STRING, n BIGINT, total DECIMAL(38, 2)) WITH ('connector' = 'print', 'print-identifier' = '%[1]s');
EXECUTE STATEMENT SET BEGIN
  INSERT INTO per_user_%[1]s SELECT uid, COUNT(*), SUM(amount) FROM orders_%[1]s GROUP BY uid;
  INSERT INTO print_%[1]s SELECT uid, COUNT(*), SUM(amount) FROM orders_%[1]s GROUP BY uid;
END;
`, f, format)
	}
	ddl.WriteString("SELECT uid, COUNT(*) AS n, SUM(amount) AS total FROM orders_dbz GROUP BY uid;\n")
	out, _ := e2eRun(t, dir, "sql", "-f", e2eFile(t, dir, "cdc.sql", ddl.String()), "--drain")

	// Per uid, worked out from the changes: COUNT(*) and SUM(amount) as
	// each change arrives (an update is -U then +U; u2's only order is
	// deleted, so its group goes: -D; order 3 moves from u1 to u3).
	agg := map[string][]string{
		"u1": {"+I[u1, 1, 10.00]", "-U[u1, 1, 10.00]", "+U[u1, 2, 12.50]", // order 3
			"-U[u1, 2, 12.50]", "+U[u1, 1, 2.50]", "-U[u1, 1, 2.50]", "+U[u1, 2, 14.50]", // order 1 updated
			"-U[u1, 2, 14.50]", "+U[u1, 1, 12.00]"}, // order 3 leaves
		"u2": {"+I[u2, 1, 5.00]", "-D[u2, 1, 5.00]"},
		"u3": {"+I[u3, 1, 2.50]"},
	}
	table := "+-----+---+-------+\n| uid | n | total |\n+-----+---+-------+\n| u1  | 1 | 12.00 |\n| u3  | 1 | 2.50  |\n+-----+---+-------+\n2 rows in set\n"
	printed, result, _ := strings.Cut(out, "+-----")
	if "+-----"+result != table {
		t.Errorf("SELECT over debezium-json printed\n%s\nwant\n%s", "+-----"+result, table)
	}
	// upsert-kafka: the +I/+U rows as values of their key, -U dropped, -D
	// as a tombstone (null).
	upserts := map[string][]string{}
	for uid, changes := range agg {
		for _, c := range changes {
			var n int
			var total string
			fmt.Sscanf(strings.NewReplacer(",", " ", "]", " ").Replace(c[len("+I[")+len(uid)+1:]), "%d %s", &n, &total)
			key := fmt.Sprintf(`{"uid":"%s"}`, uid)
			switch c[:2] {
			case "+I", "+U":
				upserts[key] = append(upserts[key], fmt.Sprintf(`{"uid":"%s","n":%d,"total":%s}`, uid, n, total))
			case "-D":
				upserts[key] = append(upserts[key], "null")
			}
		}
	}
	want := map[string][]string{}
	for _, f := range []string{"mw", "dbz", "canal"} {
		e2eSameByKey(t, "per_user_"+f, e2eByKey(e2eTail(t, dir, "per_user_"+f, "--print-key")), upserts)
		for uid, changes := range agg {
			want[f+"/"+uid] = changes
		}
	}
	e2eSameByKey(t, "print", e2ePrinted(printed), want)

	// An upsert-kafka source: per key, the first value is +I, a new one -U
	// and +U, the same value again nothing, a tombstone -D (nothing for an
	// absent key).
	e2eProduce(t, dir, "kv", 2,
		rlog.Record{Key: []byte(`{"k":"a"}`), Value: []byte(`{"k":"a","v":1}`)},
		rlog.Record{Key: []byte(`{"k":"b"}`), Value: nil},
		rlog.Record{Key: []byte(`{"k":"a"}`), Value: []byte(`{"k":"a","v":1}`)},
		rlog.Record{Key: []byte(`{"k":"c"}`), Value: []byte(`{"k":"c","v":7}`)},
		rlog.Record{Key: []byte(`{"k":"a"}`), Value: []byte(`{"k":"a","v":2}`)},
		rlog.Record{Key: []byte(`{"k":"a"}`), Value: nil},
		rlog.Record{Key: []byte(`{"k":"a"}`), Value: nil},
		rlog.Record{Key: []byte(`{"k":"c"}`), Value: []byte(`{"k":"c","v":8}`)},
	)
	out, _ = e2eRun(t, dir, "sql", "--drain", "-f", e2eFile(t, dir, "normalize.sql", `
CREATE TABLE per_user_back (uid STRING, n BIGINT, total DECIMAL(38, 2), PRIMARY KEY (uid) NOT ENFORCED)
  WITH ('connector' = 'upsert-kafka', 'topic' = 'per_user_mw', 'key.format' = 'json', 'value.format' = 'json');
CREATE TABLE kv (k STRING, v INT, PRIMARY KEY (k) NOT ENFORCED)
  WITH ('connector' = 'upsert-kafka', 'topic' = 'kv', 'key.format' = 'json', 'value.format' = 'json');
CREATE TABLE print_back (uid STRING, n BIGINT, total DECIMAL(38, 2)) WITH ('connector' = 'print', 'print-identifier' = 'back');
CREATE TABLE print_kv (k STRING, v INT) WITH ('connector' = 'print', 'print-identifier' = 'kv');
INSERT INTO print_back SELECT * FROM per_user_back;
INSERT INTO print_kv SELECT * FROM kv;
SELECT COUNT(*) AS users, SUM(n) AS orders, SUM(total) AS total FROM per_user_back;
`))
	printed, result, _ = strings.Cut(out, "+-----")
	table = "+-------+--------+-------+\n| users | orders | total |\n+-------+--------+-------+\n| 2     | 2      | 14.50 |\n+-------+--------+-------+\n1 row in set\n"
	if "+-----"+result != table {
		t.Errorf("SELECT over upsert-kafka printed\n%s\nwant\n%s", "+-----"+result, table)
	}
	// The normalized upserts of per_user_mw are the aggregation's
	// changelog again.
	want = map[string][]string{
		"kv/a": {"+I[a, 1]", "-U[a, 1]", "+U[a, 2]", "-D[a, 2]"},
		"kv/c": {"+I[c, 7]", "-U[c, 7]", "+U[c, 8]"},
	}
	for uid, changes := range agg {
		want["back/"+uid] = changes
	}
	e2eSameByKey(t, "print after normalization", e2ePrinted(printed), want)
}

// TestSQLE2EPrintBlackholeDatagen: print writes Flink's +I[...] lines to
// standard output, blackhole nothing; datagen's sequences give exact
// counts and sums, and a second run neither regenerates nor rereads rows.
func TestSQLE2EPrintBlackholeDatagen(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "things",
		`{"id":1,"name":"apple","ok":true,"ts":"2024-05-01 10:00:00.500","d":"2024-05-01","tags":["a","b"],"attrs":{"k":"v"},"price":1.5}`,
		`{"id":2,"name":null,"ok":false,"ts":"2024-05-01 10:00:00","d":null,"tags":[],"attrs":{},"price":null}`,
	)
	out, stderr := e2eRun(t, dir, "sql", "--drain", "-f", e2eFile(t, dir, "print.sql", `
CREATE TABLE things (id BIGINT, name STRING, ok BOOLEAN, ts TIMESTAMP(3), d DATE, tags ARRAY<STRING>, attrs MAP<STRING, STRING>, price DECIMAL(5, 2))
  WITH ('connector' = 'kafka', 'topic' = 'things', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE p (id BIGINT, name STRING, ok BOOLEAN, ts TIMESTAMP(3), d DATE, tags ARRAY<STRING>, attrs MAP<STRING, STRING>, price DECIMAL(5, 2))
  WITH ('connector' = 'print');
CREATE TABLE bh (id BIGINT, name STRING) WITH ('connector' = 'blackhole');
INSERT INTO p SELECT * FROM things;
INSERT INTO bh SELECT id, name FROM things;
`))
	// The two rows as Flink prints them (one partition: in order).
	if want := "+I[1, apple, true, 2024-05-01 10:00:00.5, 2024-05-01, [a, b], {k=v}, 1.50]\n" +
		"+I[2, NULL, false, 2024-05-01 10:00:00, NULL, [], {}, NULL]\n"; out != want {
		t.Errorf("print wrote\n%s\nwant\n%s", out, want)
	}
	if !strings.Contains(stderr, "drained 2 SQL job(s)") || !strings.Contains(stderr, "dead letters 0") {
		t.Errorf("stderr: %q", stderr)
	}

	// 1000 rows asked, but the id sequence ends at 100: 100 rows, ids
	// 1..100 (sum 5050), v = 0.5, 1.5, ... 99.5 (sum 50 + 4950), grp
	// random in [0, 3], s 5 random characters.
	dg := e2eFile(t, dir, "datagen.sql", `
CREATE TABLE IF NOT EXISTS gen (id BIGINT, grp INT, s STRING, v DECIMAL(6, 1))
WITH ('connector' = 'datagen', 'number-of-rows' = '1000', 'seed' = '42',
  'fields.id.kind' = 'sequence', 'fields.id.start' = '1', 'fields.id.end' = '100',
  'fields.grp.min' = '0', 'fields.grp.max' = '3', 'fields.s.length' = '5',
  'fields.v.kind' = 'sequence', 'fields.v.start' = '0.5', 'fields.v.end' = '1000');
CREATE TABLE IF NOT EXISTS gen_rows (id BIGINT, grp INT, s STRING, v DECIMAL(6, 1))
  WITH ('connector' = 'kafka', 'topic' = 'gen_rows', 'format' = 'csv');
SET 'pipeline.name' = 'copy_gen';
INSERT INTO gen_rows SELECT * FROM gen;
`)
	check := func(run int) {
		t.Helper()
		lines := e2eTail(t, dir, "gen_rows")
		ids := map[int]int{}
		var sumV float64
		for _, l := range lines {
			var id, grp int
			var s string
			var v float64
			f := strings.Split(l, ",")
			if len(f) != 4 {
				t.Fatalf("gen_rows: %q", l)
			}
			fmt.Sscan(f[0], &id)
			fmt.Sscan(f[1], &grp)
			s = f[2]
			fmt.Sscan(f[3], &v)
			ids[id]++
			sumV += v
			if grp < 0 || grp > 3 || len(s) != 5 {
				t.Errorf("run %d: row out of its ranges: %q", run, l)
			}
		}
		if len(lines) != 100 || len(ids) != 100 || ids[1] != 1 || ids[100] != 1 || sumV != 5000 {
			t.Errorf("run %d: %d rows, %d ids, sum(v) %v; want 100 rows with ids 1..100 once each and sum(v) 5000", run, len(lines), len(ids), sumV)
		}
	}
	e2eRun(t, dir, "sql", "-f", dg, "--drain")
	check(1)
	first := e2eTail(t, dir, "gen_rows")
	// Restarted: the job resumes from its checkpoint and the generator
	// adds no row to its topic.
	_, stderr = e2eRun(t, dir, "sql", "-f", dg, "--drain")
	check(2)
	if !strings.Contains(stderr, "(copy_gen)") {
		t.Errorf("second run: %q", stderr)
	}
	e2eSameLines(t, "gen_rows after a restart", e2eTail(t, dir, "gen_rows"), first)
	e2eWithLog(t, dir, func(l rlog.Log) {
		infos, err := l.ListTopics(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, info := range infos {
			if strings.HasPrefix(info.Name, "_rtdw-datagen-gen-") {
				n++
				if recs := logtest.ReadAll(t, l, info.Name); len(recs) != 100 {
					t.Errorf("%s holds %d rows after two runs, want 100", info.Name, len(recs))
				}
			}
		}
		if n != 1 {
			t.Errorf("%d datagen topics, want 1", n)
		}
	})
	// A query over the same table generates nothing more and sees the
	// same 100 rows.
	out, _ = e2eRun(t, dir, "sql", "--format", "json", "--drain", "-e",
		"SELECT COUNT(*) AS n, SUM(id) AS ids, SUM(v) AS vs, MAX(CHAR_LENGTH(s)) AS slen FROM gen")
	if want := `{"n":100,"ids":5050,"vs":5000.0,"slen":5}` + "\n"; out != want {
		t.Errorf("datagen query: %q, want %q", out, want)
	}
}

// e2eFiles reads the files under root: relative directory -> sorted lines
// of its data files, and the names of every file.
func e2eFiles(t *testing.T, root string) (map[string][]string, []string) {
	t.Helper()
	lines := map[string][]string{}
	var names []string
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		names = append(names, filepath.ToSlash(rel))
		if d.Name() == "_SUCCESS" {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		dir := filepath.ToSlash(filepath.Dir(rel))
		lines[dir] = append(lines[dir], strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")...)
		slices.Sort(lines[dir])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return lines, names
}

// TestSQLE2EFilesystem: filesystem sinks in json (with the success-file
// policy) and csv, PARTITIONED BY into Hive-style directories, only
// published files visible after the drain; filesystem sources read them
// back; a second run writes only the new rows into new files.
func TestSQLE2EFilesystem(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	e2eProduceValues(t, dir, "fs_in",
		`{"id":1,"dt":"2024-05-01","city":"Paris","amount":1.50}`,
		`{"id":2,"dt":"2024-05-01","city":"Rome","amount":2.00}`,
		`{"id":3,"dt":"2024-05-02","city":"Paris","amount":3.25}`,
		`{"id":4,"dt":"2024-05-02","city":null,"amount":4.00}`,
		`{"id":5,"dt":"2024-05-03","city":"a/b=c","amount":0.10}`,
	)
	sink := e2eFile(t, dir, "fs_sink.sql", fmt.Sprintf(`
CREATE TABLE IF NOT EXISTS fs_in (id BIGINT, dt STRING, city STRING, amount DECIMAL(10, 2))
  WITH ('connector' = 'kafka', 'topic' = 'fs_in', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE IF NOT EXISTS fs_json (id BIGINT, city STRING, amount DECIMAL(10, 2), dt STRING) PARTITIONED BY (dt)
  WITH ('connector' = 'filesystem', 'path' = '%[1]s/json', 'format' = 'json', 'sink.partition-commit.policy.kind' = 'success-file');
CREATE TABLE IF NOT EXISTS fs_csv (id BIGINT, amount DECIMAL(10, 2), dt STRING, city STRING) PARTITIONED BY (dt, city)
  WITH ('connector' = 'filesystem', 'path' = '%[1]s/csv', 'format' = 'csv');
SET 'pipeline.name' = 'to_json';
INSERT INTO fs_json SELECT id, city, amount, dt FROM fs_in;
SET 'pipeline.name' = 'to_csv';
INSERT INTO fs_csv SELECT id, amount, dt, city FROM fs_in;
`, out))
	e2eRun(t, dir, "sql", "-f", sink, "--drain")

	// Partition values are directories (escaped: '/' and '=' as %XX; NULL
	// as the default partition name), not columns of the files.
	wantJSON := map[string][]string{
		"dt=2024-05-01": {`{"id":1,"city":"Paris","amount":1.50}`, `{"id":2,"city":"Rome","amount":2.00}`},
		"dt=2024-05-02": {`{"id":3,"city":"Paris","amount":3.25}`, `{"id":4,"city":null,"amount":4.00}`},
		"dt=2024-05-03": {`{"id":5,"city":"a/b=c","amount":0.10}`},
	}
	wantCSV := map[string][]string{
		"dt=2024-05-01/city=Paris":                 {"1,1.50"},
		"dt=2024-05-01/city=Rome":                  {"2,2.00"},
		"dt=2024-05-02/city=Paris":                 {"3,3.25"},
		"dt=2024-05-02/city=__DEFAULT_PARTITION__": {"4,4.00"},
		"dt=2024-05-03/city=a%2Fb%3Dc":             {"5,0.10"},
	}
	checkTree := func(sub, job, ext string, want map[string][]string, success bool) {
		t.Helper()
		got, names := e2eFiles(t, filepath.Join(out, sub))
		for _, w := range want {
			slices.Sort(w)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s files hold\n %v\nwant\n %v", sub, got, want)
		}
		dirs := map[string]bool{}
		for _, n := range names {
			d, base := filepath.Split(n)
			d = strings.TrimSuffix(d, "/")
			dirs[d] = dirs[d] || base == "_SUCCESS"
			var task, seq int
			if base == "_SUCCESS" {
				if !success {
					t.Errorf("%s: %s without the success-file policy", sub, n)
				}
			} else if c, _ := fmt.Sscanf(strings.TrimPrefix(base, "part-"+job+"-"), "%d-%d", &task, &seq); c != 2 ||
				base != fmt.Sprintf("part-%s-%d-%d%s", job, task, seq, ext) {
				t.Errorf("%s: unexpected file %s (in-progress files must be gone after the drain)", sub, n)
			}
		}
		for d, hasSuccess := range dirs {
			if success && !hasSuccess {
				t.Errorf("%s/%s has no _SUCCESS", sub, d)
			}
		}
	}
	checkTree("json", "to_json", ".json", wantJSON, true)
	checkTree("csv", "to_csv", ".csv", wantCSV, false)

	// Read back: the partition columns come from the directories.
	src := e2eFile(t, dir, "fs_src.sql", fmt.Sprintf(`
CREATE TABLE IF NOT EXISTS json_back (id BIGINT, city STRING, amount DECIMAL(10, 2), dt STRING,
  fname STRING METADATA FROM 'file.name' VIRTUAL) PARTITIONED BY (dt)
  WITH ('connector' = 'filesystem', 'path' = '%[1]s/json', 'format' = 'json');
CREATE TABLE IF NOT EXISTS csv_back (id BIGINT, amount DECIMAL(10, 2), dt STRING, city STRING) PARTITIONED BY (dt, city)
  WITH ('connector' = 'filesystem', 'path' = '%[1]s/csv', 'format' = 'csv');
SELECT dt, COUNT(*) AS n, SUM(amount) AS total, MIN(fname) LIKE 'part-to_json-%%' AS named FROM json_back GROUP BY dt;
SELECT id, dt, city FROM csv_back;
`, out))
	got, _ := e2eRun(t, dir, "sql", "-f", src, "--drain", "--format", "json")
	want := `{"dt":"2024-05-01","n":2,"total":3.50,"named":true}
{"dt":"2024-05-02","n":2,"total":7.25,"named":true}
{"dt":"2024-05-03","n":1,"total":0.10,"named":true}
{"id":1,"dt":"2024-05-01","city":"Paris"}
{"id":2,"dt":"2024-05-01","city":"Rome"}
{"id":3,"dt":"2024-05-02","city":"Paris"}
{"id":4,"dt":"2024-05-02","city":null}
{"id":5,"dt":"2024-05-03","city":"a/b=c"}
`
	if got != want {
		t.Errorf("read back:\n%s\nwant\n%s", got, want)
	}

	// A new input row: the sinks resume and write it alone, into new files.
	e2eProduceValues(t, dir, "fs_in", `{"id":6,"dt":"2024-05-01","city":"Rome","amount":6.00}`)
	e2eRun(t, dir, "sql", "-f", sink, "--drain")
	wantJSON["dt=2024-05-01"] = append(wantJSON["dt=2024-05-01"], `{"id":6,"city":"Rome","amount":6.00}`)
	wantCSV["dt=2024-05-01/city=Rome"] = append(wantCSV["dt=2024-05-01/city=Rome"], "6,6.00")
	checkTree("json", "to_json", ".json", wantJSON, true)
	checkTree("csv", "to_csv", ".csv", wantCSV, false)
	got, _ = e2eRun(t, dir, "sql", "-f", src, "--drain", "--format", "json")
	want = strings.Replace(want, `{"dt":"2024-05-01","n":2,"total":3.50,"named":true}`, `{"dt":"2024-05-01","n":3,"total":9.50,"named":true}`, 1)
	want += `{"id":6,"dt":"2024-05-01","city":"Rome"}` + "\n" // (the table is sorted by its columns: id first)
	if got != want {
		t.Errorf("read back after the second run:\n%s\nwant\n%s", got, want)
	}
}

// TestSQLE2EOLAPSink: a CDC aggregation into the rtdw-olap sink (the
// embedded DuckDB), read with `rtdw query`; the delete the OLAP cannot
// apply is dead-lettered.
func TestSQLE2EOLAPSink(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "orders_mw",
		`{"database":"shop","table":"orders","type":"insert","ts":1714557600,"data":{"id":1,"uid":"u1","amount":10.00,"ts":"2024-05-01 10:00:00"}}`,
		`{"database":"shop","table":"orders","type":"insert","ts":1714557601,"data":{"id":2,"uid":"u2","amount":5.00,"ts":"2024-05-01 10:00:01"}}`,
		`{"database":"shop","table":"orders","type":"insert","ts":1714557602,"data":{"id":3,"uid":"u1","amount":2.50,"ts":"2024-05-01 10:00:02.900"}}`,
		`{"database":"shop","table":"orders","type":"update","ts":1714557604,"data":{"id":1,"uid":"u1","amount":12.00,"ts":"2024-05-01 10:00:00"},"old":{"amount":10.00}}`,
		`{"database":"shop","table":"orders","type":"delete","ts":1714557605,"data":{"id":2,"uid":"u2","amount":5.00,"ts":"2024-05-01 10:00:01"}}`,
		`{"database":"shop","table":"orders","type":"insert","ts":1714557606,"data":{"id":4,"uid":"u3","amount":0.125,"ts":"2024-05-01 10:00:06"}}`,
	)
	e2eRun(t, dir, "sql", "--drain", "-f", e2eFile(t, dir, "olap.sql", `
CREATE TABLE orders (id BIGINT, uid STRING, amount DECIMAL(10, 3), ts TIMESTAMP(3))
  WITH ('connector' = 'kafka', 'topic' = 'orders_mw', 'format' = 'maxwell-json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE user_totals (uid STRING, n BIGINT, total DECIMAL(10, 3), last_ts TIMESTAMP(3), PRIMARY KEY (uid) NOT ENFORCED)
  WITH ('connector' = 'rtdw-olap');
SET 'pipeline.name' = 'totals';
INSERT INTO user_totals SELECT uid, COUNT(*), SUM(amount), MAX(ts) FROM orders GROUP BY uid;
`))
	// u1: orders 1 (12.00 after the update) and 3; u2's only order is
	// deleted, so its group (and row) goes; u3: 0.125 rounded HALF_UP to
	// the OLAP's 2 places; datetimes to the second.
	got, _ := e2eRun(t, dir, "query", "SELECT uid, n, total, last_ts FROM user_totals ORDER BY uid")
	want := "uid  n  total  last_ts\n" +
		"u1   2  14.50  2024-05-01 10:00:02\n" +
		"u3   1  0.13   2024-05-01 10:00:06\n"
	if got != want {
		t.Errorf("rtdw query printed\n%s\nwant\n%s", got, want)
	}
	got, _ = e2eRun(t, dir, "query", "--format", "json", "SELECT uid, n, total FROM user_totals WHERE uid = 'u1'")
	if want := `{"uid":"u1","n":2,"total":14.50}` + "\n"; got != want {
		t.Errorf("rtdw query --format json: %q, want %q", got, want)
	}
	if dl := e2eTail(t, dir, "dirty_data", "--print-headers"); len(dl) != 0 {
		t.Errorf("dirty_data: %q", dl)
	}
}

// TestSQLE2EBadInput: a record that does not decode and one whose CAST
// fails at run time go to dirty_data with their reasons and positions;
// TRY_CAST gives NULL instead.
func TestSQLE2EBadInput(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "bad_in",
		`{"id":1,"code":"12"}`,
		`not json`,
		`{"id":2,"code":"x"}`,
		`{"id":"three","code":"3"}`,
		`{"id":4,"code":" 40 "}`,
	)
	_, stderr := e2eRun(t, dir, "sql", "--drain", "-f", e2eFile(t, dir, "bad.sql", `
CREATE TABLE bad_in (id BIGINT, code STRING)
  WITH ('connector' = 'kafka', 'topic' = 'bad_in', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE casted (id BIGINT, c INT) WITH ('connector' = 'kafka', 'topic' = 'casted', 'format' = 'json');
CREATE TABLE tried (id BIGINT, c INT) WITH ('connector' = 'kafka', 'topic' = 'tried', 'format' = 'json');
SET 'pipeline.name' = 'casts';
EXECUTE STATEMENT SET BEGIN
  INSERT INTO casted SELECT id, CAST(code AS INT) FROM bad_in;
  INSERT INTO tried SELECT id, TRY_CAST(code AS INT) FROM bad_in;
END;
`))
	if !strings.Contains(stderr, "drained 1 SQL job(s) (casts)") || !strings.Contains(stderr, "dead letters 3") {
		t.Errorf("stderr: %q", stderr)
	}
	e2eSameLines(t, "casted", e2eTail(t, dir, "casted"), []string{`{"id":1,"c":12}`, `{"id":4,"c":40}`})
	e2eSameLines(t, "tried", e2eTail(t, dir, "tried"), []string{`{"id":1,"c":12}`, `{"id":2,"c":null}`, `{"id":4,"c":40}`})
	// One job (a statement set) reads the topic once: each bad record is
	// dead-lettered once, with the original record value.
	got := map[string]string{}
	for _, l := range e2eTail(t, dir, "dirty_data", "--print-headers") {
		headers, value, _ := strings.Cut(l, "\t")
		_, src, _ := strings.Cut(headers, ",rtdw.source=")
		got[src] = headers + "\t" + value
	}
	want := map[string][]string{
		"bad_in/0@1": {"rtdw.reason=bad_format: json: malformed JSON", "rtdw.job=casts/source_bad_in", "\tnot json"},
		"bad_in/0@2": {"rtdw.reason=eval_error: Cannot cast 'x' to INT", "rtdw.job=casts/", "\t" + `{"id":2,"code":"x"}`},
		"bad_in/0@3": {`rtdw.reason=bad_format: json: field "id": cannot decode JSON string "three" as BIGINT`, "rtdw.job=casts/source_bad_in", "\t" + `{"id":"three","code":"3"}`},
	}
	for src, parts := range want {
		for _, p := range parts {
			if !strings.Contains(got[src], p) {
				t.Errorf("dead letter of %s: %q lacks %q", src, got[src], p)
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("dirty_data: %q", got)
	}
}

// TestSQLE2EErrors: a SQL error exits 1 with file:line:column, the line
// and a caret, and starts nothing (not even the statements before it).
func TestSQLE2EErrors(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "err_in", `{"id":1,"v":1}`, `{"id":1,"v":2}`)
	for _, c := range []struct {
		name, bad, msg string
		line, col      int
	}{
		{"column.sql", "INSERT INTO err_out\n  SELECT idd FROM err_in;", "Column 'idd' not found in any table", 5, 10},
		{"syntax.sql", "INSERT INTO err_out SELEC id FROM err_in;", `unexpected "SELEC"`, 4, 21},
		{"changelog.sql", "INSERT INTO err_out SELECT id FROM err_in GROUP BY id;", "doesn't support consuming update and delete changes", 4, 1},
	} {
		text := `CREATE TABLE IF NOT EXISTS err_in (id BIGINT, v INT) WITH ('connector' = 'kafka', 'topic' = 'err_in', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE IF NOT EXISTS err_out (id BIGINT) WITH ('connector' = 'kafka', 'topic' = 'err_out', 'format' = 'json');
INSERT INTO err_out SELECT id FROM err_in;
` + c.bad + "\n"
		f := e2eFile(t, dir, c.name, text)
		code, stdout, stderr := run(t, "", "--data-dir", dir, "--log-level", "warn", "sql", "-f", f, "--drain")
		lines := strings.Split(text, "\n")
		want := fmt.Sprintf("%s:%d:%d: ", f, c.line, c.col)
		caret := lines[c.line-1] + "\n" + strings.Repeat(" ", c.col-1) + "^\n"
		if code != 1 || stdout != "" || !strings.Contains(stderr, want) || !strings.Contains(stderr, c.msg) || !strings.HasSuffix(stderr, caret) {
			t.Errorf("%s: exit %d, stdout %q, stderr\n%s\nwant exit 1 and %q ... %q, then\n%s", c.name, code, stdout, stderr, want, c.msg, caret)
		}
	}
	// No job ran: the sink topic was never created.
	out, _ := e2eRun(t, dir, "topic", "list")
	if strings.Contains(out, "err_out") {
		t.Errorf("a failed file started a job:\n%s", out)
	}
	code, _, stderr := run(t, "", "--data-dir", dir, "topic", "tail", "err_out", "--exit-at-end")
	if code != 1 || !strings.Contains(stderr, "err_out") {
		t.Errorf("tail err_out: exit %d, %q", code, stderr)
	}
}

// TestSQLE2ECatalog: a file of DDL only runs and exits 0, with or without
// --drain; the catalog persists in the data dir: a later `rtdw sql -e`
// lists and describes what the first created.
func TestSQLE2ECatalog(t *testing.T) {
	dir := t.TempDir()
	ddl := e2eFile(t, dir, "ddl.sql", `
CREATE TABLE clicks (
  uid STRING NOT NULL,
  url STRING,
  ts TIMESTAMP(3),
  part INT METADATA FROM 'partition' VIRTUAL,
  hour_of AS HOUR(ts),
  WATERMARK FOR ts AS ts - INTERVAL '5' SECOND,
  PRIMARY KEY (uid) NOT ENFORCED
) WITH ('connector' = 'upsert-kafka', 'topic' = 'clicks', 'key.format' = 'json', 'value.format' = 'json');
CREATE VIEW click_urls AS SELECT uid, url FROM clicks;
CREATE DATABASE IF NOT EXISTS mart;
CREATE TABLE mart.daily (d DATE, n BIGINT) WITH ('connector' = 'blackhole');
`)
	for i, flags := range [][]string{nil, {"--drain"}} {
		d := filepath.Join(dir, fmt.Sprint("data", i))
		out, stderr := e2eRun(t, d, append([]string{"sql", "-f", ddl}, flags...)...)
		if out != "" || stderr != "" {
			t.Errorf("DDL only %v printed %q, %q", flags, out, stderr)
		}
		out, _ = e2eRun(t, d, "sql", "-e", "SHOW TABLES")
		if want := "+------------+\n| table name |\n+------------+\n| click_urls |\n| clicks     |\n+------------+\n2 rows in set\n"; out != want {
			t.Errorf("SHOW TABLES after DDL %v:\n%s\nwant\n%s", flags, out, want)
		}
		// DDL creates no topic.
		if out, _ := e2eRun(t, d, "topic", "list"); strings.Contains(out, "clicks") {
			t.Errorf("DDL created a topic:\n%s", out)
		}
	}
	d := filepath.Join(dir, "data0")
	out, _ := e2eRun(t, d, "sql", "-e", "DESCRIBE clicks")
	want := `+---------+------------------------+-------+----------+-----------------------------------+--------------------------+
| name    | type                   | null  | key      | extras                            | watermark                |
+---------+------------------------+-------+----------+-----------------------------------+--------------------------+
| uid     | STRING                 | FALSE | PRI(uid) |                                   |                          |
| url     | STRING                 | TRUE  |          |                                   |                          |
| ts      | TIMESTAMP(3) *ROWTIME* | TRUE  |          |                                   | ts - INTERVAL '5' SECOND |
| part    | INT                    | TRUE  |          | METADATA FROM 'partition' VIRTUAL |                          |
| hour_of | BIGINT                 | TRUE  |          | AS HOUR(ts)                       |                          |
+---------+------------------------+-------+----------+-----------------------------------+--------------------------+
5 rows in set
`
	if out != want {
		t.Errorf("DESCRIBE clicks:\n%s\nwant\n%s", out, want)
	}
	out, _ = e2eRun(t, d, "sql", "-e", "SHOW DATABASES; USE mart; SHOW TABLES; DESCRIBE daily;")
	for _, s := range []string{"| default_database |", "| mart             |", "| daily      |", "| d    | DATE   | TRUE |"} {
		if !strings.Contains(out, s) {
			t.Errorf("SHOW DATABASES / USE / SHOW TABLES / DESCRIBE:\n%s\nlacks %q", out, s)
		}
	}
	// Running the file again fails on the existing table, as Flink's
	// CREATE TABLE without IF NOT EXISTS.
	code, _, stderr := run(t, "", "--data-dir", d, "sql", "-f", ddl)
	if code != 1 || !strings.Contains(stderr, ddl+":2:1: ") || !strings.Contains(stderr, "already exists") {
		t.Errorf("second DDL run: exit %d, %q", code, stderr)
	}
}

// TestSQLE2EPipeline: `rtdw run --sql FILE` and rtdw.yaml's sql: run the
// same job as `rtdw sql -f` (resuming where it stopped); a changed query
// is refused until --reset-job starts it from scratch.
func TestSQLE2EPipeline(t *testing.T) {
	dir := t.TempDir()
	e2eProduceValues(t, dir, "pin", `{"id":1,"v":10}`, `{"id":2,"v":20}`, `{"id":3,"v":30}`)
	pipe := e2eFile(t, dir, "pipe.sql", `
CREATE TABLE pin (id BIGINT, v INT) WITH ('connector' = 'kafka', 'topic' = 'pin', 'format' = 'json', 'scan.startup.mode' = 'earliest-offset');
CREATE TABLE pout (id BIGINT, w INT) WITH ('connector' = 'kafka', 'topic' = 'pout', 'format' = 'json');
SET 'pipeline.name' = 'scale_v';
INSERT INTO pout SELECT id, v * 2 FROM pin;
`)
	_, stderr := e2eRun(t, dir, "run", "--sql", pipe, "--drain", "--http-addr=")
	if !strings.Contains(stderr, "drained 1 job(s)") {
		t.Errorf("run --sql: %q", stderr)
	}
	want := []string{`{"id":1,"w":20}`, `{"id":2,"w":40}`, `{"id":3,"w":60}`}
	e2eSameLines(t, "pout after run --sql", e2eTail(t, dir, "pout"), want)
	// A pipeline's DDL is the run's own: the catalog stays empty.
	if out, _ := e2eRun(t, dir, "sql", "-e", "SHOW TABLES"); !strings.Contains(out, "0 rows in set") {
		t.Errorf("run --sql left tables in the catalog:\n%s", out)
	}

	// rtdw.yaml's sql: is the same job: it reads only the new record.
	e2eProduceValues(t, dir, "pin", `{"id":4,"v":40}`)
	cfg := filepath.Join(dir, "rtdw.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("sql: [%q]\nhttp_addr: \"\"\ncheckpoint_interval: 100ms\n", pipe)), 0o644)
	e2eRun(t, dir, "--config", cfg, "run", "--drain")
	want = append(want, `{"id":4,"w":80}`)
	e2eSameLines(t, "pout after run with sql: in rtdw.yaml", e2eTail(t, dir, "pout"), want)
	// So is `rtdw sql -f`: nothing new to do.
	_, stderr = e2eRun(t, dir, "sql", "-f", pipe, "--drain")
	if !strings.Contains(stderr, "drained 1 SQL job(s) (scale_v)") {
		t.Errorf("sql -f: %q", stderr)
	}
	e2eSameLines(t, "pout after sql -f", e2eTail(t, dir, "pout"), want)

	// A changed query cannot resume the job's state.
	os.WriteFile(pipe, []byte(strings.Replace(e2eRead(t, pipe), "v * 2", "v * 3", 1)), 0o644)
	for _, args := range [][]string{{"--config", cfg, "run", "--drain"}, {"run", "--sql", pipe, "--drain", "--http-addr="}} {
		code, _, stderr := run(t, "", append([]string{"--data-dir", dir}, args...)...)
		if code != 1 || !strings.Contains(stderr, "SQL job scale_v changed since it last ran on this data dir") ||
			!strings.Contains(stderr, "--reset-job scale_v") {
			t.Errorf("%v after the edit: exit %d, %q", args, code, stderr)
		}
	}
	e2eSameLines(t, "pout after the refused runs", e2eTail(t, dir, "pout"), want)
	// --reset-job: from scratch, every input again with the new query.
	e2eRun(t, dir, "--config", cfg, "run", "--drain", "--reset-job", "scale_v")
	want = append(want, `{"id":1,"w":30}`, `{"id":2,"w":60}`, `{"id":3,"w":90}`, `{"id":4,"w":120}`)
	e2eSameLines(t, "pout after --reset-job", e2eTail(t, dir, "pout"), want)
	// And the reset job resumes from then on.
	e2eRun(t, dir, "--config", cfg, "run", "--drain")
	e2eSameLines(t, "pout after one more run", e2eTail(t, dir, "pout"), want)
	code, _, stderr := run(t, "", "--data-dir", dir, "run", "--sql", pipe, "--drain", "--reset-job", "nope", "--http-addr=")
	if code != 2 || !strings.Contains(stderr, "--reset-job nope") {
		t.Errorf("--reset-job nope: exit %d, %q", code, stderr)
	}
}

func e2eRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// --explain plans every statement without a log: sources that copy or
// write their rows into the log when the job runs (filesystem, datagen)
// plan too.
func TestSQLExplainFilesystemAndDatagen(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "q.sql")
	os.WriteFile(file, []byte(`CREATE TABLE f (a INT) WITH ('connector' = 'filesystem', 'path' = '`+dir+`', 'format' = 'csv');
CREATE TABLE g (a INT) WITH ('connector' = 'datagen', 'number-of-rows' = '3');
CREATE TABLE p (a INT) WITH ('connector' = 'print');
INSERT INTO p SELECT a FROM f UNION ALL SELECT a FROM g;
`), 0o644)
	out, err := rtdwCmd(t, filepath.Join(dir, "data"), "sql", "-f", file, "--explain").CombinedOutput()
	if err != nil {
		t.Fatalf("explain: %v\n%s", err, out)
	}
	for _, want := range []string{"connector=[filesystem]", "connector=[datagen]"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("no %s in:\n%s", want, out)
		}
	}
}
