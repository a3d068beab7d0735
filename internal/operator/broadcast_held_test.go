package operator

import (
	"bytes"
	"testing"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
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
