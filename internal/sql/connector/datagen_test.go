package connector

import (
	"encoding/binary"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
)

func datagenTable(seed string) *Table {
	return tbl("gen", "id BIGINT, name STRING, score INT, amount DECIMAL(5, 2), x DOUBLE, ts TIMESTAMP(3), tags ARRAY<INT>",
		map[string]string{"connector": "datagen", "seed": seed,
			"fields.id.kind": "sequence", "fields.id.start": "1", "fields.id.end": "5",
			"fields.name.length": "4", "fields.score.min": "0", "fields.score.max": "9",
			"fields.amount.min": "0", "fields.amount.max": "10", "fields.x.null-rate": "1",
			"fields.ts.max-past": "1 min", "fields.tags.length": "2", "scan.parallelism": "4"})
}

// printGen runs datagen -> print in a fresh job and returns the lines.
func printGen(t *testing.T, e *env, job string, src *Table) []string {
	t.Helper()
	before := len(lines(e.out.String()))
	e.mustRun(e.pipe(job, src, tbl("p_"+job, src.Schema.String(), map[string]string{"connector": "print"})))
	return lines(e.out.String())[before:]
}

var genRow = regexp.MustCompile(`^\+I\[(\d+), ([0-9a-f]{4}), (\d), (\d+\.\d\d), NULL, 2024-01-02 03:0[34]:\d\d(\.\d+)?, \[-?\d+, -?\d+\]\]$`)

// The rows are a function of the seed: a sequence ends the source, every
// random value respects its options, and another log (another machine)
// gets the same rows; a restart generates and reads nothing twice.
func TestDatagenDeterministic(t *testing.T) {
	e := newEnv(t)
	first := printGen(t, e, "j", datagenTable("7"))
	if len(first) != 5 {
		t.Fatalf("got %d rows, want 5 (the sequence 1..5):\n%s", len(first), strings.Join(first, "\n"))
	}
	for i, l := range first {
		m := genRow.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("row %q does not fit the options", l)
		}
		if m[1] != strconv.Itoa(i+1) {
			t.Errorf("row %d has id %s", i, m[1])
		}
		if a, _ := strconv.ParseFloat(m[4], 64); a < 0 || a > 10 {
			t.Errorf("amount %s outside [0, 10]", m[4])
		}
	}
	// A restart of the job (its preparation runs again) adds nothing.
	if again := printGen(t, e, "j", datagenTable("7")); len(again) != 0 {
		t.Errorf("restarted job printed %q", again)
	}
	src := datagenTable("7")
	topic := e.source(src).(*datagen).topic
	if got := e.read(topic); len(got) != 5 {
		t.Errorf("generated topic holds %d records, want 5", len(got))
	}
	// Another log, same table: the same rows.
	e2 := newEnv(t)
	eq(t, "second machine", printGen(t, e2, "j", datagenTable("7")), first)
	// Another seed: other rows (the sequence stays).
	other := printGen(t, e2, "k", datagenTable("8"))
	if slices.Equal(other, first) || len(other) != 5 {
		t.Errorf("seed 8 gave the same rows as seed 7")
	}
}

// A generation interrupted half-way is completed, not repeated: rows are
// numbered in their keys.
func TestDatagenResumesGeneration(t *testing.T) {
	e := newEnv(t)
	src := tbl("g", "v INT", map[string]string{"connector": "datagen", "number-of-rows": "2500"})
	d := e.source(src).(*datagen)
	if _, err := rlog.EnsureTopic(bg, e.log, d.topic, rlog.TopicConfig{Partitions: 1}); err != nil {
		t.Fatal(err)
	}
	if err := d.produce(bg, 0, 1200); err != nil { // as if the process died after 1200 rows
		t.Fatal(err)
	}
	if err := d.prepare(); err != nil {
		t.Fatal(err)
	}
	if err := d.prepare(); err != nil {
		t.Fatal(err)
	}
	checkNumbered(t, e, d.topic, 2500)
}

func checkNumbered(t *testing.T, e *env, topic string, want int) {
	t.Helper()
	var n int
	for off := int64(0); ; {
		recs, err := e.log.Fetch(bg, rlog.TopicPartition{Topic: topic}, off, 1000, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if got := binary.BigEndian.Uint64(r.Key); got != uint64(n) {
				t.Fatalf("record %d holds row %d", n, got)
			}
			n++
			off = r.Offset + 1
		}
	}
	if want >= 0 && n != want {
		t.Fatalf("topic holds %d rows, want %d", n, want)
	}
	if want < 0 && n == 0 {
		t.Fatal("no rows generated")
	}
}

// Unbounded: a generator writes rows-per-second rows while the log is
// open, numbered without gaps, one generator per topic.
func TestDatagenUnbounded(t *testing.T) {
	e := newEnv(t)
	src := tbl("u", "v BIGINT", map[string]string{"connector": "datagen", "rows-per-second": "200"})
	d := e.source(src).(*datagen)
	if err := d.prepare(); err != nil {
		t.Fatal(err)
	}
	if err := d.prepare(); err != nil { // a second start does not double the rate
		t.Fatal(err)
	}
	time.Sleep(600 * time.Millisecond)
	_, end, err := e.log.Offsets(bg, rlog.TopicPartition{Topic: d.topic})
	if err != nil {
		t.Fatal(err)
	}
	if end < 40 || end > 200 {
		t.Errorf("%d rows after 0.6 s at 200 rows/s", end)
	}
	checkNumbered(t, e, d.topic, -1)
}

func TestDatagenOptionErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		cols string
		opts []string
		want string
	}{
		{"v INT", []string{"fields.w.kind", "random"}, "unsupported option 'fields.w.kind' (supported: fields.#.end, fields.#.kind"},
		{"v INT", []string{"fields.v.kind", "lots"}, "'fields.v.kind' = 'lots': want random or sequence"},
		{"v INT", []string{"fields.v.kind", "sequence", "fields.v.start", "1"}, "a sequence needs 'fields.v.start' and 'fields.v.end'"},
		{"v INT", []string{"fields.v.kind", "sequence", "fields.v.start", "5", "fields.v.end", "1"}, "end is before its start"},
		{"v INT", []string{"fields.v.start", "1"}, "'fields.v.start' needs 'fields.v.kind' = 'sequence'"},
		{"v STRING", []string{"fields.v.min", "1"}, "are for numeric columns"},
		{"v TINYINT", []string{"fields.v.max", "1000"}, "Could not parse value '1000' for key 'fields.v.max' (an integer within TINYINT)"},
		{"v INT", []string{"fields.v.kind", "sequence", "fields.v.start", "2147483646", "fields.v.end", "2147483649"}, "Could not parse value '2147483649' for key 'fields.v.end'"},
		{"v BIGINT", []string{"fields.v.min", "1.5"}, "Could not parse value '1.5'"},
		{"v INT", []string{"fields.v.null-rate", "2"}, "want a number from 0 to 1"},
		{"v INT", []string{"number-of-rows", "-1"}, "'number-of-rows' must not be negative"},
		{"v INT", []string{"rows-per-second", "x"}, "not an integer"},
		{"v BOOLEAN", []string{"fields.v.kind", "sequence", "fields.v.start", "1", "fields.v.end", "2"}, "a sequence needs a numeric or string column"},
	} {
		opts := map[string]string{"connector": "datagen"}
		for i := 0; i < len(c.opts); i += 2 {
			opts[c.opts[i]] = c.opts[i+1]
		}
		_, err := datagenFactory.NewSource(e.ctx, tbl("g", c.cols, opts))
		errContains(t, err, c.want)
	}
}

// Integer options are read exactly (not as float64, which holds 2^53):
// a BIGINT sequence of large numbers, and Long.MAX as a random bound.
func TestDatagenLargeIntegers(t *testing.T) {
	e := newEnv(t)
	src := tbl("big", "v BIGINT, d DECIMAL(20, 0), r BIGINT", map[string]string{"connector": "datagen",
		"fields.v.kind": "sequence", "fields.v.start": "1000000000000000001", "fields.v.end": "1000000000000000005",
		"fields.d.kind": "sequence", "fields.d.start": "9000000000000000001", "fields.d.end": "9000000000000000009",
		"fields.r.min": "9223372036854775806", "fields.r.max": "9223372036854775807"})
	got := printGen(t, e, "big", src)
	var want []string
	for i := 1; i <= 5; i++ {
		want = append(want, fmt.Sprintf("+I[100000000000000000%d, 900000000000000000%d, 922337203685477580", i, i))
	}
	if len(got) != len(want) {
		t.Fatalf("%d rows, want 5 (the shorter sequence):\n%s", len(got), strings.Join(got, "\n"))
	}
	for i, l := range got {
		if !strings.HasPrefix(l, want[i]) || !(strings.HasSuffix(l, "6]") || strings.HasSuffix(l, "7]")) {
			t.Errorf("row %d = %s, want %s6] or 7]", i, l, want[i])
		}
	}
}

// Random DATE, TIME and TIMESTAMP are the generation time in the session
// zone (Flink: "the current date/time of the local machine"); a
// TIMESTAMP_LTZ is the instant.
func TestDatagenTimesInSessionZone(t *testing.T) {
	e := newEnv(t)
	e.ctx.Loc = shanghai(t)
	e.ctx.Now = func() time.Time { return time.Date(2024, 1, 2, 20, 0, 0, 0, time.UTC) } // 04:00 on the 3rd in Shanghai
	src := tbl("times", "d DATE, t TIME, ts TIMESTAMP(0), ltz TIMESTAMP_LTZ(0)", map[string]string{"connector": "datagen", "number-of-rows": "2"})
	got := printGen(t, e, "times", src)
	want := "+I[2024-01-03, 04:00:00, 2024-01-03 04:00:00, 2024-01-02 20:00:00Z]"
	if len(got) != 2 || got[0] != want || got[1] != want {
		t.Fatalf("rows %q, want two of %s", got, want)
	}
}
