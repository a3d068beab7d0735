package operator

import (
	"fmt"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// pinRules are tableRules that hold a record as a pin (its table name)
// and count what they were asked.
type pinRules struct {
	tableRules
	pins, drops *int
}

func (r pinRules) Pin(rec *stream.Record) []byte {
	table, _, _ := strings.Cut(string(rec.Value), ":")
	*r.pins++
	return []byte(table)
}

func (r pinRules) Drop(pin []byte) bool {
	_, covered := r.tableRules[string(pin)]
	if !covered {
		*r.drops++
	}
	return !covered
}

// A pinned record is held as its position and table: a release that finds
// no rule for it drops it without reading it back; one that finds a rule
// reads it back from the input topic and routes it exactly as a held copy
// would be; one whose record retention deleted dead-letters its position.
// Pins survive a restore, and records from a repartition topic, which is
// purged, are held whole.
func TestBroadcastPinsHeldRecords(t *testing.T) {
	var pins, drops int
	newRules := func() Rules { return pinRules{tableRules{}, &pins, &drops} }
	h, err := stream.NewHarness(st.MemDB(t), "bc", Broadcast(newRules, time.Hour), st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	src := rlog.TopicPartition{Topic: "topic_db", Partition: 0}
	in := func(off int64, v string) stream.Record {
		return stream.Record{Key: []byte(fmt.Sprintf("k%d", off)), Value: []byte(v), Time: off * 10,
			Source: src, Offset: off, Headers: []rlog.Header{{Key: "h", Value: []byte(v)}}}
	}
	for off, v := range []string{"fact:1", "dim:2", "fact:3", "dim:4", "gone:5"} {
		if err := h.Process(in(int64(off), v)); err != nil {
			t.Fatal(err)
		}
	}
	// From a repartition topic: a copy (the topic is purged).
	rp := stream.Record{Key: []byte("kr"), Value: []byte("dim:r"), Time: 55,
		Source: rlog.TopicPartition{Topic: "_rtdw-j-k-repartition", Partition: 0}, Offset: 9,
		Headers: []rlog.Header{{Key: "h", Value: []byte("dim:r")}}}
	if err := h.Process(rp); err != nil {
		t.Fatal(err)
	}
	if pins != 5 {
		t.Fatalf("%d records pinned, want the 5 from topic_db", pins)
	}
	h.ForgetInput(src, 4)
	for _, step := range []func() error{
		h.Checkpoint, h.Restore, // pins are state
		func() error { return h.Process(*rule("dim=D").Rec) },
		func() error { return h.Process(*rule("gone=G").Rec) },
		func() error { return h.Watermark(1000) },
		h.Checkpoint,
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, r := range h.Output("out") {
		got = append(got, fmt.Sprintf("%s %s t=%d h=%s", r.Value, r.Key, r.Time, r.Header("h")))
	}
	want := []string{"D|2 k1 t=10 h=dim:2", "D|4 k3 t=30 h=dim:4", "D|r kr t=55 h=dim:r"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("released:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if drops != 2 {
		t.Fatalf("%d pins dropped unread, want 2 (the fact rows)", drops)
	}
	dead := h.DeadLetters()
	if len(dead) != 1 || !strings.Contains(string(dead[0].Header(stream.HeaderReason)), "held_record_gone") ||
		!strings.Contains(string(dead[0].Header(stream.HeaderReason)), "topic_db/0@4") {
		t.Fatalf("dead letters %v, want the deleted record's position", dead)
	}
}
