package exec

import (
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/row"
)

// TestWindowZoneDST checks the instant a window fires around daylight-
// saving changes against the examples of Flink's
// TimeWindowUtil.toEpochMillsForTimer (America/Los_Angeles, 2021): in the
// spring gap (02:00-03:00 never shows) a window ending in the gap fires
// at the first instant after it; in the autumn overlap (01:00-02:00 shows
// twice) at the later of the two instants.
func TestWindowZoneDST(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err) // time/tzdata is linked in
	}
	z := windowZone{loc: la}
	local := func(s string) int64 {
		ms, _, err := row.ParseTimestamp(s)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	for _, c := range []struct {
		local string
		want  int64
	}{
		{"2021-03-14 00:00:00", 1615708800000},
		{"2021-03-14 01:00:00", 1615712400000},
		{"2021-03-14 02:00:00", 1615716000000}, // in the gap: the gap's end
		{"2021-03-14 02:59:59", 1615716000000},
		{"2021-03-14 03:00:00", 1615716000000},
		{"2021-03-14 04:00:00", 1615719600000},
		{"2021-11-07 00:00:00", 1636268400000},
		{"2021-11-07 01:00:00", 1636275600000}, // twice: the later
		{"2021-11-07 02:00:00", 1636279200000},
	} {
		if got := z.toInstant(local(c.local)); got != c.want {
			t.Errorf("toInstant(%s) = %d, want %d", c.local, got, c.want)
		}
	}
	// toLocal is the wall clock of the instant.
	for _, inst := range []int64{1615712400000, 1615716000000, 1636272000000, 1636275600000, 0, -1} {
		want := inst + func() int64 { _, off := time.UnixMilli(inst).In(la).Zone(); return int64(off) * 1000 }()
		if got := z.toLocal(inst); got != want {
			t.Errorf("toLocal(%d) = %d, want %d", inst, got, want)
		}
	}
}

// TestWindowOffset reproduces window-tvf.md's offset table: a row at
// 2021-06-30 00:00:04 in a 10-minute TUMBLE with various offsets.
func TestWindowOffset(t *testing.T) {
	ts := func(s string) int64 {
		ms, _, err := row.ParseTimestamp(s)
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	for _, c := range []struct {
		offset     time.Duration
		start, end string
	}{
		{-16 * time.Minute, "2021-06-29 23:54:00", "2021-06-30 00:04:00"},
		{-6 * time.Minute, "2021-06-29 23:54:00", "2021-06-30 00:04:00"},
		{-4 * time.Minute, "2021-06-29 23:56:00", "2021-06-30 00:06:00"},
		{0, "2021-06-30 00:00:00", "2021-06-30 00:10:00"},
		{4 * time.Minute, "2021-06-29 23:54:00", "2021-06-30 00:04:00"},
		{6 * time.Minute, "2021-06-29 23:56:00", "2021-06-30 00:06:00"},
		{16 * time.Minute, "2021-06-29 23:56:00", "2021-06-30 00:06:00"},
	} {
		c0 := newWindowClock(WindowSpec{Kind: Tumble, Size: 10 * time.Minute, Offset: c.offset})
		var got [][2]int64
		c0.windows(ts("2021-06-30 00:00:04"), func(s, e int64) { got = append(got, [2]int64{s, e}) })
		if want := [2]int64{ts(c.start), ts(c.end)}; len(got) != 1 || got[0] != want {
			t.Errorf("offset %s: windows %v, want %v", c.offset, got, want)
		}
	}
	if err := (WindowSpec{Kind: Hop, Size: time.Minute, Slide: 2 * time.Minute}).Validate(); err == nil {
		t.Error("HOP with a slide larger than its size validated")
	}
}
