package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/connector/topicdb"
	rlog "github.com/rtdw/rtdw/internal/log"
)

// captureLog is a log whose Produce keeps the records (LogSink calls nothing else).
type captureLog struct {
	rlog.Log
	recs []rlog.Record
}

func (c *captureLog) Produce(_ context.Context, recs ...rlog.Record) error {
	c.recs = append(c.recs, recs...)
	return nil
}

// ShopRecords runs a shop day into a LogSink and returns what it produced.
func shopRecords(t testing.TB, cfg ShopConfig) []rlog.Record {
	t.Helper()
	sh, err := NewShop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	l := &captureLog{}
	s := NewLogSink(l, "topic_db", "topic_log")
	ctx := context.Background()
	for {
		ev, ok := sh.Next()
		if !ok {
			break
		}
		if _, err := s.Write(ctx, ev); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	return l.recs
}

// Every topic_db record of a simulated day (bootstrap included) carries
// rtdw.table = its JSON's table and rtdw.ts = its JSON's ts * 1000, read
// back with encoding/json; topic_log records carry no headers.
func TestLogSinkHeadersMatchTheRecords(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	recs := shopRecords(t, ShopConfig{Seed: 5, Sessions: 2000, Users: 300, Devices: 600, Bootstrap: true, Location: loc})
	n := 0
	tables := map[string]bool{}
	for _, r := range recs {
		if r.Topic == "topic_log" {
			if len(r.Headers) != 0 {
				t.Fatalf("topic_log record with headers %v", r.Headers)
			}
			continue
		}
		n++
		var v struct {
			Table *string `json:"table"`
			TS    *int64  `json:"ts"`
		}
		d := json.NewDecoder(bytes.NewReader(r.Value))
		d.UseNumber()
		if err := d.Decode(&v); err != nil || v.Table == nil || v.TS == nil {
			t.Fatalf("record %s: %v", r.Value, err)
		}
		if len(r.Headers) != 2 {
			t.Fatalf("record %s: headers %v, want rtdw.table and rtdw.ts", r.Value, r.Headers)
		}
		if got := string(r.Header(topicdb.HeaderTable)); got != *v.Table {
			t.Fatalf("record %s: rtdw.table %q", r.Value, got)
		}
		if got, want := string(r.Header(topicdb.HeaderTS)), strconv.FormatInt(*v.TS*1000, 10); got != want {
			t.Fatalf("record %s: rtdw.ts %q, want %s", r.Value, got, want)
		}
		tables[*v.Table] = true
	}
	if n < 5000 || len(tables) < 20 {
		t.Fatalf("only %d topic_db records of %d tables", n, len(tables))
	}
}

func TestTxnHeadersWithoutTime(t *testing.T) {
	tx := &Txn{TS: 999, Changes: []Change{{Table: &Table{Name: "t"}, Type: TypeInsert}}}
	hs := tx.Headers(0)
	if len(hs) != 1 || hs[0].Key != topicdb.HeaderTable || string(hs[0].Value) != "t" {
		t.Fatalf("ts 0 s: headers %v, want rtdw.table only", hs)
	}
}
