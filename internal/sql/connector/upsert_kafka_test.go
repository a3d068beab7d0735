package connector

import (
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
)

func upsertOpts(kv ...string) map[string]string {
	m := map[string]string{"connector": "upsert-kafka", "properties.bootstrap.servers": "kafka:9092", "key.format": "json", "value.format": "json"}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

func kv(key, value string, ts int64) rlog.Record {
	r := rlog.Record{Key: []byte(key), Timestamp: ts}
	if value != "" {
		r.Value = []byte(value)
	}
	return r
}

// Upserts become a retract changelog: the first value of a key is +I, the
// next -U/+U, a tombstone -D of the last value; a repeated value and the
// tombstone of an absent key change nothing. The upsert sink writes
// values by key, tombstones for -D and nothing for a -U its +U follows.
func TestUpsertKafkaNormalizeAndSink(t *testing.T) {
	e := newEnv(t)
	e.produce("users", 1,
		kv(`{"id":1}`, `{"id":1,"name":"a1"}`, 1000),
		kv(`{"id":2}`, `{"id":2,"name":"b"}`, 2000),
		kv(`{"id":1}`, `{"id":1,"name":"a2"}`, 3000),
		kv(`{"id":2}`, `{"id":2,"name":"b"}`, 4000),
		kv(`{"id":3}`, ``, 5000),
		kv(`{"id":1}`, ``, 6000),
		kv(`{"id":1}`, `{"id":1,"name":"a3"}`, 7000),
	)
	src := withPK(tbl("users", "id INT, name STRING", upsertOpts("topic", "users")), "id")
	s := e.source(src)
	if s.Mode() != Retract {
		t.Fatalf("mode %v", s.Mode())
	}
	dst := withPK(tbl("users_copy", "k_id INT, name STRING", upsertOpts("key.fields-prefix", "k_", "value.fields-include", "EXCEPT_KEY",
		"sink.buffer-flush.max-rows", "100", "sink.buffer-flush.interval", "1 s")), "k_id")
	pr := tbl("p", "id INT, name STRING", map[string]string{"connector": "print"})
	j := e.pipe("j", src, dst)
	e.mustRun(j)
	eq(t, "users_copy", e.read("users_copy"), []string{
		`{"id":1}|{"name":"a1"} @1000`,
		`{"id":2}|{"name":"b"} @2000`,
		`{"id":1}|{"name":"a2"} @3000`,
		`{"id":1}|<null> @6000`,
		`{"id":1}|{"name":"a3"} @7000`,
	})
	e.mustRun(e.pipe("p", src, pr))
	eq(t, "print", lines(e.out.String()), []string{
		"+I[1, a1]",
		"+I[2, b]",
		"-U[1, a1]",
		"+U[1, a2]",
		"-D[1, a2]",
		"+I[1, a3]",
	})
	// The copy read back as an upsert source (key prefix, EXCEPT_KEY)
	// gives the same changelog.
	e.out.b.Reset()
	back := withPK(tbl("users_copy", "k_id INT, name STRING", upsertOpts("key.fields-prefix", "k_", "value.fields-include", "EXCEPT_KEY")), "k_id")
	e.mustRun(e.pipe("back", back, tbl("p2", "id INT, name STRING", map[string]string{"connector": "print"})))
	eq(t, "print back", lines(e.out.String()), []string{"+I[1, a1]", "+I[2, b]", "-U[1, a1]", "+U[1, a2]", "-D[1, a2]", "+I[1, a3]"})
}

func TestUpsertKafkaOptionErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		opts map[string]string
		pk   bool
		want string
	}{
		{upsertOpts(), false, "'upsert-kafka' tables require a PRIMARY KEY"},
		{upsertOpts("key.fields", "id"), true, "unsupported option 'key.fields'"},
		{upsertOpts("value.format", "debezium-json"), true, "does not support 'debezium-json' as value format"},
		{map[string]string{"connector": "upsert-kafka", "value.format": "json"}, true, "option 'key.format' is required"},
		{upsertOpts("scan.startup.mode", "earliest-offset"), true, "unsupported option 'scan.startup.mode'"},
	} {
		tb := tbl("t", "id INT, name STRING", c.opts)
		if c.pk {
			withPK(tb, "id")
		}
		_, err := upsertKafkaFactory.NewSource(e.ctx, tb)
		errContains(t, err, c.want)
		_, err = upsertKafkaFactory.NewSink(e.ctx, tb)
		errContains(t, err, c.want)
	}
}

// Only a null value is a tombstone: an empty value is a value (Flink's
// DynamicKafkaDeserializationSchema deletes on record.value() == null), so
// with the raw format it is the empty string.
func TestUpsertKafkaEmptyValueIsNotATombstone(t *testing.T) {
	e := newEnv(t)
	e.produce("u2", 1,
		rlog.Record{Key: []byte("k1"), Value: []byte("hello"), Timestamp: 1000},
		rlog.Record{Key: []byte("k1"), Value: []byte{}, Timestamp: 2000},
		rlog.Record{Key: []byte("k1"), Timestamp: 3000},
	)
	src := withPK(tbl("u2", "k STRING, v STRING", upsertOpts("topic", "u2", "key.format", "raw", "value.format", "raw", "value.fields-include", "EXCEPT_KEY")), "k")
	e.mustRun(e.pipe("p", src, tbl("p", "k STRING, v STRING", map[string]string{"connector": "print"})))
	eq(t, "print", lines(e.out.String()), []string{"+I[k1, hello]", "-U[k1, hello]", "+U[k1, ]", "-D[k1, ]"})
}
