package operator

import (
	"bytes"
	"encoding/binary"
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
	// {"v":"<base64 of {"a":1}>","t":5,"o":7}
	old, err := decodeHeld([]byte(`{"v":"eyJhIjoxfQ==","t":5,"o":7}`))
	if err != nil || string(old.Value) != `{"a":1}` || old.Time != 5 || old.Offset != 7 {
		t.Fatalf("JSON state: %+v, %v", old, err)
	}
	for _, bad := range [][]byte{nil, {0x7f}, {heldV1}, {heldV1, 2, 2, 9, 'x'}} {
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
