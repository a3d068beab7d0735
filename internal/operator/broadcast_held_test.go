package operator

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// Held records are kept in binary now; state written by older versions
// holds JSON (the value base64-encoded by encoding/json) and must still be
// released.
func TestHeldRecordEncodings(t *testing.T) {
	rec := &stream.Record{Value: []byte(`{"table":"order_info","data":{"id":1}}`), Time: 1717200000000, Offset: 42,
		Source: rlog.TopicPartition{Topic: "topic_db", Partition: 3}}
	h, err := decodeHeld(appendHeld(nil, rec))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(h.Value, rec.Value) || h.Time != rec.Time || h.Offset != 42 || h.Source != "topic_db" || h.Part != 3 {
		t.Fatalf("binary round trip: %+v", h)
	}
	// The headers go with it (heldV2); a heldV1 record has none.
	rec.Headers = []rlog.Header{{Key: "rtdw.table", Value: []byte("order_info")}, {Key: "", Value: nil}}
	h, err = decodeHeld(appendHeld(nil, rec))
	if err != nil || !bytes.Equal(h.Value, rec.Value) || len(h.Headers) != 2 ||
		h.Headers[0].Key != "rtdw.table" || string(h.Headers[0].Value) != "order_info" || h.Headers[1].Key != "" || len(h.Headers[1].Value) != 0 {
		t.Fatalf("headers round trip: %+v, %v", h, err)
	}
	// The decoded fields share one copy: growing one leaves the next alone.
	h.Headers[0].Value = append(h.Headers[0].Value, "!!!"...)
	if h.Headers[1].Key != "" || !bytes.Equal(h.Value, rec.Value) {
		t.Fatalf("appending to a header value changed the record: %+v", h)
	}
	v1 := []byte{heldV1, 10, 14, 8, 't', 'o', 'p', 'i', 'c', '_', 'd', 'b', 6, '{', '}'} // time 5, offset 7, topic_db/3, {}
	if h, err := decodeHeld(v1); err != nil || h.Time != 5 || h.Offset != 7 || h.Source != "topic_db" || h.Part != 3 ||
		string(h.Value) != "{}" || h.Headers != nil {
		t.Fatalf("heldV1 state: %+v, %v", h, err)
	}
	// {"v":"<base64 of {"a":1}>","t":5,"o":7}
	old, err := decodeHeld([]byte(`{"v":"eyJhIjoxfQ==","t":5,"o":7}`))
	if err != nil || string(old.Value) != `{"a":1}` || old.Time != 5 || old.Offset != 7 {
		t.Fatalf("JSON state: %+v, %v", old, err)
	}
	for _, bad := range [][]byte{nil, {0x7f}, {heldV1}, {heldV1, 2, 2, 9, 'x'}, {heldV2, 2, 2, 0, 0, 1}, {heldV2, 2, 2, 0, 0, 1, 9, 'k'},
		{heldV2, 2, 2, 0, 0, 200}} {
		if _, err := decodeHeld(bad); err == nil {
			t.Errorf("decodeHeld(%q) accepted garbage", bad)
		}
	}
}

// A data dir written before held records were counted per key (no held_n
// mark, JSON held records, nheld > 0) still releases its held records in
// order, and a new record of a key with legacy held records waits behind
// them.
func TestBroadcastReleasesLegacyHeldRecords(t *testing.T) {
	db := st.MemDB(t)
	sc := state.Scope{Job: "harness", Operator: "bc"}
	s := state.NewStore(db, nil)
	held, meta := s.Map(sc, "held"), s.Value(sc, "broadcast")
	for i, v := range []string{`{"v":"dGFiOm9sZA==","t":100,"o":1}`} { // "tab:old"
		if err := held.Put([]byte("k"), binary.BigEndian.AppendUint64(nil, uint64(i+1)), []byte(v)); err != nil {
			t.Fatal(err)
		}
	}
	c := binary.BigEndian.AppendUint64(nil, 1)
	if err := meta.Put(metaSeq, binary.BigEndian.AppendUint64(c, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Timers(sc).Register(state.EventTime, 100, []byte("k")); err != nil {
		t.Fatal(err)
	}
	if err := s.Batch().Commit(nil); err != nil {
		t.Fatal(err)
	}
	s.Close()

	h, err := stream.NewHarness(db, "bc", Broadcast(newTableRules, time.Hour), st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	for _, step := range []func() error{
		func() error { return h.Process(*rule("tab=T").Rec) },
		func() error { return h.Process(stream.Record{Key: []byte("k"), Value: []byte("tab:new"), Time: 50}) },
		func() error { return h.Watermark(100) },
		h.Checkpoint,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range h.Output("out") {
		got = append(got, string(r.Value))
	}
	if strings.Join(got, ",") != "T|old,T|new" {
		t.Fatalf("released %v, want the legacy record then the new one", got)
	}
}

// A key holding far more than one list takes (one key for every record,
// as a source without keys gives) keeps its arrival order: the list fills,
// later records wait behind it in the more map, and releases drain both,
// in order, partly at one watermark and the rest at the next.
func TestBroadcastHoldsManyRecordsOfOneKeyInOrder(t *testing.T) {
	h, err := stream.NewHarness(st.MemDB(t), "bc", Broadcast(newTableRules, time.Hour), st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	const n = 3000 // ~75 KB of held records: beyond maxListBytes
	var want []string
	for i := 1; i <= n; i++ {
		v := fmt.Sprintf("tab:%04d", i)
		if err := h.Process(stream.Record{Key: []byte("k"), Value: []byte(v), Time: int64(i)}); err != nil {
			t.Fatal(err)
		}
		want = append(want, fmt.Sprintf("T|%04d", i))
		if i == n/2 {
			if err := h.Checkpoint(); err != nil { // half written to state
				t.Fatal(err)
			}
		}
	}
	for _, step := range []func() error{
		func() error { return h.Process(*rule("tab=T").Rec) },
		func() error { return h.Watermark(1000) },
		h.Checkpoint,
		h.Restore,
		func() error { return h.Watermark(n) },
		h.Checkpoint,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range h.Output("out") {
		got = append(got, string(r.Value))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("released %d records, first %v ... want %d in order", len(got), got[:min(5, len(got))], n)
	}
}
