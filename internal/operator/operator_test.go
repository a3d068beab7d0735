package operator

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// values lists the committed values of a port.
func values(recs []stream.Record) string {
	var s []string
	for _, r := range recs {
		s = append(s, string(r.Value))
	}
	return strings.Join(s, " ")
}

func numbers(n int) []st.Step {
	var steps []st.Step
	for i := range n {
		steps = append(steps, st.Rec(fmt.Sprint(i%3), strconv.Itoa(i), int64(i)))
	}
	return steps
}

func isEven(r *stream.Record) (bool, error) {
	n, err := strconv.Atoi(string(r.Value))
	if err != nil {
		return false, stream.BadInput("not_a_number", "%q", r.Value)
	}
	return n%2 == 0, nil
}

func TestFilter(t *testing.T) {
	h := st.Run(t, Filter(isEven), append(numbers(6), st.Rec("k", "x", 9)))
	if got := values(h.Output("out")); got != "0 2 4" {
		t.Fatalf("filter kept %q", got)
	}
	dl := h.DeadLetters()
	if len(dl) != 1 || string(dl[0].Value) != "x" || !strings.HasPrefix(string(dl[0].Header(stream.HeaderReason)), "not_a_number") {
		t.Fatalf("dead letters %s", st.Dump(dl))
	}
	st.CheckRestore(t, Filter(isEven), append(numbers(200), st.Rec("k", "bad", 1)), 7, 5, 1)
}

func double(r *stream.Record) (stream.Record, error) {
	n, err := strconv.Atoi(string(r.Value))
	if err != nil {
		return stream.Record{}, stream.BadInput("not_a_number", "%q", r.Value)
	}
	return r.Derive(r.Key, []byte(strconv.Itoa(2*n)), r.Time+1), nil
}

func TestMap(t *testing.T) {
	h := st.Run(t, Map(double), append(numbers(3), st.Rec("k", "?", 0)))
	out := h.Output("out")
	if values(out) != "0 2 4" || out[2].Time != 3 || string(out[1].Key) != "1" {
		t.Fatalf("map = %s", st.Dump(out))
	}
	if len(h.DeadLetters()) != 1 {
		t.Fatal("bad record not dead-lettered")
	}
	st.CheckRestore(t, Map(double), numbers(100), 9, 4, 2)
}

func explode(r *stream.Record, emit func(stream.Record)) error {
	for _, part := range bytes.Split(r.Value, []byte(",")) {
		if len(part) == 0 {
			return stream.BadInput("empty_part", "in %q", r.Value)
		}
		emit(r.Derive(r.Key, part, r.Time))
	}
	return nil
}

func TestFlatMap(t *testing.T) {
	h := st.Run(t, FlatMap(explode), []st.Step{st.Rec("k", "a,b,c", 1), st.Rec("k", "d", 2), st.Rec("k", "e,,f", 3)})
	// A record that fails part-way has already emitted its first parts:
	// flatMap functions must validate before emitting (this one does not, on purpose).
	if got := values(h.Output("out")); got != "a b c d e" {
		t.Fatalf("flatMap = %q", got)
	}
	var steps []st.Step
	for i := range 60 {
		steps = append(steps, st.Rec("k", strings.Repeat("x,", i%4)+"y", int64(i)))
	}
	st.CheckRestore(t, FlatMap(explode), steps, 5, 4, 3)
}

func parity(r *stream.Record, emit func(int, stream.Record)) error {
	ok, err := isEven(r)
	if err != nil {
		return err
	}
	if ok {
		emit(0, *r)
	} else {
		emit(1, *r)
	}
	if string(r.Value) == "0" {
		emit(2, r.Derive(nil, []byte("zero"), r.Time))
	}
	return nil
}

func TestSplit(t *testing.T) {
	f := Split([]string{"even", "odd", "zero"}, parity)
	h := st.Run(t, f, numbers(5))
	if values(h.Output("even")) != "0 2 4" || values(h.Output("odd")) != "1 3" || values(h.Output("zero")) != "zero" {
		t.Fatalf("split: even %q odd %q zero %q", values(h.Output("even")), values(h.Output("odd")), values(h.Output("zero")))
	}
	st.CheckRestore(t, f, append(numbers(150), st.Rec("x", "nan", 3)), 11, 6, 4)
}

// sumPerWindow is a keyed process function: it sums values per key in
// 10 ms event-time windows, emitting "key:windowEnd:sum" when the
// watermark passes the window end; records behind the watermark are counted
// and routed to the "late" port. A processing-time timer emits "idle:key"
// when a key sees nothing for a minute.
func sumPerWindow() *KeyedFuncs {
	var sums *state.MapState
	var idle *state.ValueState
	var ctx *stream.Context
	return &KeyedFuncs{
		Ports: []string{"out", "late", "idle"},
		Open: func(c *stream.Context) error {
			ctx, sums, idle = c, c.Map("sums"), c.Value("idle_at")
			return nil
		},
		Process: func(r *stream.Record, out stream.Emitter) error {
			n, err := strconv.Atoi(string(r.Value))
			if err != nil {
				return stream.BadInput("not_a_number", "%q", r.Value)
			}
			end := (r.Time/10 + 1) * 10
			if end-1 <= ctx.Watermark() {
				ctx.CountLate()
				out.Emit(1, r)
				return nil
			}
			wk := []byte(strconv.FormatInt(end, 10))
			old, _, err := sums.Get(r.Key, wk)
			if err != nil {
				return err
			}
			cur, _ := strconv.Atoi(string(old))
			if err := sums.Put(r.Key, wk, []byte(strconv.Itoa(cur+n))); err != nil {
				return err
			}
			if err := ctx.RegisterTimer(state.EventTime, end-1, r.Key); err != nil {
				return err
			}
			// Move the key's idle timer: delete the previous one.
			if prev, ok, err := idle.Get(r.Key); err != nil {
				return err
			} else if ok {
				at, _ := strconv.ParseInt(string(prev), 10, 64)
				if err := ctx.DeleteTimer(state.ProcessingTime, at, r.Key); err != nil {
					return err
				}
			}
			idleAt := ctx.Now().Add(time.Minute).UnixMilli()
			if err := idle.Put(r.Key, []byte(strconv.FormatInt(idleAt, 10))); err != nil {
				return err
			}
			return ctx.RegisterTimer(state.ProcessingTime, idleAt, r.Key)
		},
		OnTimer: func(d state.TimeDomain, ts int64, key []byte, out stream.Emitter) error {
			if d == state.ProcessingTime {
				rec := stream.Record{Key: key, Value: []byte("idle:" + string(key)), Time: ts}
				out.Emit(2, &rec)
				return nil
			}
			wk := []byte(strconv.FormatInt(ts+1, 10))
			v, ok, err := sums.Get(key, wk)
			if err != nil || !ok {
				return err
			}
			rec := stream.Record{Key: key, Value: []byte(fmt.Sprintf("%s:%d:%s", key, ts+1, v)), Time: ts}
			out.Emit(0, &rec)
			return sums.Delete(key, wk)
		},
	}
}

func TestKeyedProcessWindowsTimersAndLate(t *testing.T) {
	f := KeyedProcess(sumPerWindow)
	steps := []st.Step{
		st.Rec("a", "1", 1), st.Rec("b", "10", 2), st.Rec("a", "2", 9),
		st.Rec("a", "4", 12),  // next window
		st.WM(9),              // closes [0,10)
		st.Rec("a", "100", 5), // late: its window closed
		st.Rec("b", "x", 13),  // bad input
		st.At(st.Epoch.Add(30 * time.Second)),
		st.Rec("b", "20", 15),
		st.At(st.Epoch.Add(61 * time.Second)), // a idles (registered at 0s); b's timer is at 90s
		st.WM(100),
	}
	h := st.Run(t, f, steps)
	if got := values(h.Output("out")); got != "a:10:3 b:10:10 a:20:4 b:20:20" {
		t.Fatalf("windows = %q", got)
	}
	if got := values(h.Output("late")); got != "100" {
		t.Fatalf("late = %q", got)
	}
	if got := values(h.Output("idle")); got != "idle:a" {
		t.Fatalf("idle = %q", got)
	}
	if len(h.DeadLetters()) != 1 {
		t.Fatalf("dead letters %s", st.Dump(h.DeadLetters()))
	}

	var long []st.Step
	for i := range 300 {
		long = append(long, st.Rec(fmt.Sprint(i%7), strconv.Itoa(i), int64(i*3)))
		if i%20 == 19 {
			long = append(long, st.WM(int64(i*3-15)))
		}
		if i%50 == 49 {
			long = append(long, st.At(st.Epoch.Add(time.Duration(i)*time.Second)))
		}
	}
	long = append(long, st.WM(10_000), st.At(st.Epoch.Add(time.Hour)))
	st.CheckRestore(t, f, long, 13, 8, 5)
}
