package dws

import (
	"fmt"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/stream"
	"github.com/rtdw/rtdw/internal/stream/streamtest"
)

// A job that lags a day behind the wall clock must not count a device's
// second page view of the same business day as a new visitor. The
// first-visit state expires 24 h after its last write in event time (the
// operator's watermark), not in wall-clock time: with the wall-clock TTL
// of before, the state of the 08:00 view was gone when the lagging job
// read the 09:00 view a day later, and the device counted twice.
func TestFirstVisitStateExpiresInEventTime(t *testing.T) {
	c := Config{}.mustValid()
	h, err := stream.NewHarness(streamtest.MemDB(t), "visits", pageVisits(c), streamtest.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	day := time.Date(2024, 6, 1, 8, 0, 0, 0, c.Location)
	view := func(at time.Time) {
		t.Helper()
		v := fmt.Sprintf(`{"common":{"mid":"m1","vc":"v1","ch":"web","ar":"11","is_new":"1"},"page":{"page_id":"home","during_time":1000},"ts":%d}`, at.UnixMilli())
		if err := h.Process(stream.Record{Key: []byte("m1"), Value: []byte(v), Time: at.UnixMilli()}); err != nil {
			t.Fatal(err)
		}
	}
	uvs := func() []int64 {
		var out []int64
		for _, r := range h.Output("out") {
			b, err := decodeBean(r.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, b.N[0])
		}
		return out
	}
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	step(h.Watermark(day.UnixMilli() - 3000))
	view(day)
	step(h.Checkpoint())
	// The wall clock moves 25 h (the job lags); business time moves 1 h.
	step(h.SetTime(streamtest.Epoch.Add(25 * time.Hour)))
	step(h.Watermark(day.Add(time.Hour).UnixMilli() - 3000))
	view(day.Add(time.Hour))
	// The next business day is a new visit.
	step(h.Watermark(day.Add(24*time.Hour).UnixMilli() - 3000))
	view(day.Add(24 * time.Hour))
	step(h.Checkpoint())
	if got, want := fmt.Sprint(uvs()), "[1 0 1]"; got != want {
		t.Fatalf("uv per view = %s, want %s", got, want)
	}
}
