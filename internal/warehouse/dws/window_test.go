package dws

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/rtdw/rtdw/internal/operator"
	"github.com/rtdw/rtdw/internal/state"
	"github.com/rtdw/rtdw/internal/stream"
	st "github.com/rtdw/rtdw/internal/stream/streamtest"
)

// 2026-11-21 09:00:00 +08:00 (testdata/README)
const t0 = int64(1795222800000)

func windowHarness(t *testing.T, db *pebble.DB, tb *table) *stream.Harness {
	t.Helper()
	cfg := Config{}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	h, err := stream.NewHarness(db, "window", cfg.windowOperator(tb), st.Epoch)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// bigWindow is 20,000 order details of province 1 in the window
// [09:00:00, 09:00:10), out of order within it, in blocks of four: order
// a<j> 1.00, order b<j> 2.50, a<j> again 1.00 (a second detail of the
// order), then the correction taking b<j>'s 2.50 back. Each block leaves
// a<j> counted (total 2) and b<j> not (total 0) and adds 2.00: the window
// has seen 10,000 distinct ids and counts 5,000 orders and 10000.00.
func bigWindow() []stream.Record {
	rng := rand.New(rand.NewPCG(11, 12))
	var recs []stream.Record
	for j := range 5000 {
		a, b := "a"+strconv.Itoa(j), "b"+strconv.Itoa(j)
		for _, bn := range []bean{
			{D: []string{"1"}, N: []int64{100}, U: []string{a}},
			{D: []string{"1"}, N: []int64{250}, U: []string{b}},
			{D: []string{"1"}, N: []int64{100}, U: []string{a}},
			{D: []string{"1"}, N: []int64{250}, U: []string{b}, R: true},
		} {
			from := stream.Record{Time: t0 + int64(rng.IntN(10_000))}
			recs = append(recs, beanRecord(&from, bn))
		}
	}
	return recs
}

const bigWindowRow = `2026-11-21 09:00:00|2026-11-21 09:00:10|2026-11-21|1 ` +
	`{"stt":"2026-11-21 09:00:00","edt":"2026-11-21 09:00:10","cur_date":"2026-11-21","province_id":"1","province_name":null,"order_count":5000,"order_amount":10000.00}`

func rowsOf(h *stream.Harness) []string {
	var out []string
	for _, r := range h.Output(operator.PortWindows) {
		out = append(out, string(r.Key)+" "+string(r.Value))
	}
	return out
}

func TestWindowTwentyThousandRecords(t *testing.T) {
	db := st.MemDB(t)
	h := windowHarness(t, db, provinceOrderTable)
	for i, r := range bigWindow() {
		if err := h.Process(r); err != nil {
			t.Fatal(err)
		}
		if i%3000 == 2999 {
			if err := h.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := h.Watermark(t0 + 9_998); err != nil { // not yet
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	if got := rowsOf(h); len(got) != 0 {
		t.Fatalf("window closed early: %v", got)
	}
	if err := h.Watermark(t0 + 9_999); err != nil {
		t.Fatal(err)
	}
	// A record for the fired window within the allowed lateness (a day)
	// updates it: the row is emitted again, complete.
	late := beanRecord(&stream.Record{Time: t0 + 5}, bean{D: []string{"1"}, N: []int64{100}, U: []string{"c"}})
	if err := h.Process(late); err != nil {
		t.Fatal(err)
	}
	// A day later it is late, not counted.
	if err := h.Watermark(t0 + 9_999 + 24*3600*1000); err != nil {
		t.Fatal(err)
	}
	if err := h.Process(late); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	corrected := strings.NewReplacer(`"order_count":5000`, `"order_count":5001`, `"order_amount":10000.00`, `"order_amount":10001.00`).Replace(bigWindowRow)
	if got := rowsOf(h); !reflect.DeepEqual(got, []string{bigWindowRow, corrected}) {
		t.Fatalf("rows:\n got %q\nwant %q", got, []string{bigWindowRow, corrected})
	}
	if l := h.Output(operator.PortLate); len(l) != 1 || h.Late() != 1 {
		t.Fatalf("late: %d records, %d counted", len(l), h.Late())
	}
	// The closed window's state is gone.
	store := state.NewStore(db, time.Now)
	defer store.Close()
	err := store.Map(state.Scope{Job: "harness", Operator: "window"}, "windows").Range(appendKey(nil, []string{"1"}), func(k, v []byte) bool {
		t.Errorf("window state left: %x", k)
		return true
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A checkpoint mid-window, more records, a crash (Restore drops what came
// after the checkpoint) and the replay of those records give the
// uninterrupted run's window; so does an end of input mid-window (a
// drained run) continued by a later run.
func TestWindowCheckpointRestore(t *testing.T) {
	recs := bigWindow()
	closeAll := func(h *stream.Harness) {
		t.Helper()
		if err := h.Watermark(t0 + 20_000); err != nil {
			t.Fatal(err)
		}
		if err := h.Checkpoint(); err != nil {
			t.Fatal(err)
		}
	}
	h := windowHarness(t, st.MemDB(t), provinceOrderTable)
	for _, r := range recs {
		if err := h.Process(r); err != nil {
			t.Fatal(err)
		}
	}
	closeAll(h)
	want := rowsOf(h)
	if !reflect.DeepEqual(want, []string{bigWindowRow}) {
		t.Fatalf("uninterrupted: %q", want)
	}

	h = windowHarness(t, st.MemDB(t), provinceOrderTable)
	for i := 0; i < len(recs); i++ {
		if err := h.Process(recs[i]); err != nil {
			t.Fatal(err)
		}
		if i == 9_999 {
			if err := h.Checkpoint(); err != nil {
				t.Fatal(err)
			}
		}
		if i == 12_999 { // crash: the last 3,000 records are not in the checkpoint
			if err := h.Restore(); err != nil {
				t.Fatal(err)
			}
			for k := 10_000; k <= 12_999; k++ {
				if err := h.Process(recs[k]); err != nil {
					t.Fatal(err)
				}
			}
		}
		if i == 15_000 { // a drained run ends, the next run continues the window
			if err := h.EndOfInput(); err != nil {
				t.Fatal(err)
			}
			if err := h.Checkpoint(); err != nil {
				t.Fatal(err)
			}
			if err := h.Restore(); err != nil {
				t.Fatal(err)
			}
		}
	}
	closeAll(h)
	got := rowsOf(h)
	if len(got) != 2 || got[1] != want[0] {
		t.Fatalf("restored run: %q, want the end-of-input row then %q", got, want[0])
	}
}

// Many windows with retractions, restored from random checkpoints: the
// uninterrupted run's rows.
func TestWindowRestoreRandom(t *testing.T) {
	var steps []st.Step
	for i, bn := range benchBeans(7, 400) {
		ts := t0 + int64(i)*35 + int64(i%13)*200
		from := stream.Record{Time: ts}
		r := beanRecord(&from, bn)
		steps = append(steps, st.Step{Rec: &r})
		if i%100 == 99 {
			steps = append(steps, st.WM(ts-3_000))
		}
	}
	steps = append(steps, st.End())
	cfg := Config{}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st.CheckRestore(t, cfg.windowOperator(provinceOrderTable), steps, 97, 6, 3)
}

// A data dir written by the JSON-encoding version: its window state and
// the JSON beans still in the repartition topic are read, and the window
// continues.
func TestWindowReadsJSONState(t *testing.T) {
	db := st.MemDB(t)
	end := t0 + 10_000
	key := appendKey(nil, []string{"1"})
	old := state.NewStore(db, time.Now)
	sc := state.Scope{Job: "harness", Operator: "window"}
	acc := `{"d":["1"],"n":[1000],"u":[{"o1":1,"o2":2,"o3":-1}]}`
	if err := old.Map(sc, "windows").Put(key, binary.BigEndian.AppendUint64(nil, uint64(end)), []byte(acc)); err != nil {
		t.Fatal(err)
	}
	if err := old.Timers(sc).Register(state.EventTime, end-1, key); err != nil {
		t.Fatal(err)
	}
	if err := old.Batch().Commit(pebble.NoSync); err != nil {
		t.Fatal(err)
	}
	old.Close()

	h := windowHarness(t, db, provinceOrderTable)
	for _, js := range []string{
		`{"d":["1"],"n":[500],"u":["o2"],"r":true}`, // o2: 1 left
		`{"d":["1"],"n":[200],"u":["o4"]}`,
	} {
		if err := h.Process(stream.Record{Key: key, Value: []byte(js), Time: t0 + 1}); err != nil {
			t.Fatal(err)
		}
	}
	bn := beanRecord(&stream.Record{Time: t0 + 2}, bean{D: []string{"1"}, N: []int64{300}, U: []string{"o3"}}) // o3: 0
	if err := h.Process(bn); err != nil {
		t.Fatal(err)
	}
	if err := h.Watermark(end); err != nil {
		t.Fatal(err)
	}
	if err := h.Checkpoint(); err != nil {
		t.Fatal(err)
	}
	want := `2026-11-21 09:00:00|2026-11-21 09:00:10|2026-11-21|1 ` +
		`{"stt":"2026-11-21 09:00:00","edt":"2026-11-21 09:00:10","cur_date":"2026-11-21","province_id":"1","province_name":null,"order_count":3,"order_amount":10.00}`
	if got := rowsOf(h); !reflect.DeepEqual(got, []string{want}) {
		t.Fatalf("rows:\n got %q\nwant %q", got, want)
	}
}

// Beans: the key is what json.Marshal writes; the binary value reads back
// as the bean, and its JSON form is the one earlier versions wrote.
func TestBeanEncoding(t *testing.T) {
	strs := []string{"", "a", "1001", "小米", "<a&b>", `q"uote`, `back\slash`, "tab\t", "nl\n", "\x00", "\x7f",
		"\u2028", "\u2029", "\xff", "a\xfeb", "\xe6\x97", "\xed\xa0\x80", "é", "\U0001F600", "\uFFFD"}
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range 3000 {
		var b bean
		b.D = []string{}
		for range rng.IntN(4) {
			if i < len(strs) {
				b.D = append(b.D, strs[i])
				continue
			}
			var s []byte
			for range rng.IntN(6) {
				if rng.IntN(3) == 0 {
					s = append(s, byte(rng.IntN(256)))
				} else {
					s = append(s, strs[rng.IntN(len(strs))]...)
				}
			}
			b.D = append(b.D, string(s))
		}
		for range rng.IntN(4) {
			b.N = append(b.N, rng.Int64()-rng.Int64())
		}
		for range rng.IntN(3) {
			b.U = append(b.U, strs[rng.IntN(len(strs))])
		}
		b.R = rng.IntN(2) == 0
		rec := beanRecord(&stream.Record{Time: 5}, b)
		if k, _ := json.Marshal(b.D); !bytes.Equal(rec.Key, k) {
			t.Fatalf("key of %q: %s, json.Marshal: %s", b.D, rec.Key, k)
		}
		got, err := decodeBean(rec.Value)
		if err != nil || !reflect.DeepEqual(got, b) {
			t.Fatalf("bean %+v read back as %+v (%v)", b, got, err)
		}
		js, err := beanJSON(rec.Value)
		if want, _ := json.Marshal(b); err != nil || !bytes.Equal(js, want) {
			t.Fatalf("JSON form %s, want %s (%v)", js, want, err)
		}
	}
	if k := appendKey(nil, nil); string(k) != "null" {
		t.Fatalf("nil dims: %s", k)
	}
	// Truncated or padded encodings are errors, not panics.
	v := beanRecord(&stream.Record{}, bean{D: []string{"x"}, N: []int64{1 << 40}, U: []string{"id"}}).Value
	for i := range len(v) {
		if _, err := decodeBean(v[:i]); err == nil {
			t.Fatalf("%d of %d bytes read as a bean", i, len(v))
		}
		if err := new(winAcc).addBean(v[:i]); err == nil {
			t.Fatalf("%d of %d bytes added", i, len(v))
		}
	}
	if _, err := decodeBean(append(bytes.Clone(v), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
}

// Accumulators: ids that differ only in invalid UTF-8 are one id (as the
// JSON round trip made them); an id whose total returns to zero is not
// counted, one whose total is negative is (as a JSON map entry was); the
// state encoding reads back to the same counts.
func TestAccumulator(t *testing.T) {
	s := &winAcc{}
	for _, b := range []bean{
		{D: []string{"p\xff"}, N: []int64{5}, U: []string{"a\xff", "x"}},
		{D: []string{"other"}, N: []int64{1, 7}, U: []string{"a\xfe", "y"}},
		{D: []string{"p"}, N: []int64{2}, U: []string{"b", "y"}, R: true},
		{N: []int64{1}, U: []string{"c"}},
		{N: []int64{1}, U: []string{"c"}, R: true},
	} {
		if err := s.addBean(appendBean(nil, &b)); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *winAcc) {
		t.Helper()
		if !reflect.DeepEqual(s.d, []string{"p\uFFFD"}) || !reflect.DeepEqual(s.n, []int64{4, 7}) {
			t.Fatalf("d %q n %v", s.d, s.n)
		}
		// slot 0: a� 2, b -1, c 0; slot 1: x 1, y 0
		if len(s.u) != 2 || s.u[0].live != 2 || s.u[1].live != 1 {
			t.Fatalf("distinct %+v", s.u)
		}
	}
	check(s)
	d, err := decodeAcc(appendAcc(nil, s))
	if err != nil {
		t.Fatal(err)
	}
	check(d)
	if _, err := decodeAcc(appendAcc(nil, s)[:5]); err == nil {
		t.Fatal("truncated state read")
	}
}

// jsonRows is the window aggregator as it was before accumulators were
// kept decoded: every bean and the whole accumulator through encoding/json
// per record. It is the reference the new one must equal, row for row.
type jsonRows struct{ rows }

func (a *jsonRows) Add(raw []byte, rec *stream.Record) ([]byte, error) {
	b, err := decodeBean(rec.Value)
	if err != nil {
		return nil, err
	}
	js, _ := json.Marshal(b) // the bean as the JSON version sent it
	b = bean{}
	if err := json.Unmarshal(js, &b); err != nil {
		return nil, err
	}
	var s jsonAcc
	if raw != nil {
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
	} else {
		s.D = b.D
	}
	sign := int64(1)
	if b.R {
		sign = -1
	}
	for len(s.N) < len(b.N) {
		s.N = append(s.N, 0)
	}
	for i, n := range b.N {
		s.N[i] += sign * n
	}
	for len(s.U) < len(b.U) {
		s.U = append(s.U, map[string]int64{})
	}
	for i, id := range b.U {
		if s.U[i] == nil {
			s.U[i] = map[string]int64{}
		}
		if s.U[i][id] += sign; s.U[i][id] == 0 {
			delete(s.U[i], id)
		}
	}
	return json.Marshal(s)
}

func (a *jsonRows) Emit(key []byte, w operator.Window, raw []byte, out stream.Emitter) error {
	s, err := decodeAcc(raw) // the JSON state path
	if err != nil {
		return err
	}
	return a.rows.Emit(key, w, s, out)
}

// Every table's window equals the JSON reference on random beans with
// awkward strings (HTML characters, U+2028, invalid UTF-8 in dims and ids),
// retractions, negative totals, late records, checkpoints, restores and
// drained-run ends, with the default in-memory bound and a tiny one.
func TestWindowEqualsJSONReference(t *testing.T) {
	strs := []string{"a", "<&>", "é", "\xff", "\xfe", "a\xffb", "", "\u2028", `"q"`, "tab\t", "日本", "\xe6\x97", "x\x00y", "\uFFFD"}
	// The default allowed lateness (nothing late here), one that some
	// records are past, none.
	for _, lateness := range []time.Duration{0, 2 * time.Second, -1} {
		cfg := Config{AllowedLateness: lateness}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		seeds := uint64(1)
		if lateness == 0 {
			seeds = 2
		}
		windowEqualsJSONReference(t, cfg, strs, seeds)
	}
}

func windowEqualsJSONReference(t *testing.T, cfg Config, strs []string, seeds uint64) {
	late := operator.AllowedLateness(cfg.AllowedLateness)
	for ti, tb := range tables {
		for seed := range seeds {
			rng := rand.New(rand.NewPCG(seed, uint64(ti)))
			var steps []st.Step
			wm := int64(0)
			for i := range 1500 {
				switch r := rng.IntN(1000); {
				case r < 5:
					steps = append(steps, st.CP())
				case r < 9:
					wm = max(wm, int64(i)*20-5000+int64(rng.IntN(3000)))
					steps = append(steps, st.WM(t0+wm))
				case r < 10:
					steps = append(steps, st.End())
				}
				b := bean{D: make([]string, len(tb.dims))}
				for k := range b.D {
					b.D[k] = strs[rng.IntN(4)]
					if rng.IntN(10) == 0 {
						b.D[k] = strs[rng.IntN(len(strs))]
					}
				}
				for range rng.IntN(5) {
					b.N = append(b.N, int64(rng.IntN(100000))-1000)
				}
				for range rng.IntN(3) {
					b.U = append(b.U, strs[rng.IntN(len(strs))]+strconv.Itoa(rng.IntN(5)))
				}
				b.R = rng.IntN(6) == 0
				ts := t0 + int64(i)*20 + int64(rng.IntN(4000)) - 2000
				if rng.IntN(10) == 0 {
					ts -= int64(rng.IntN(20_000)) // after its window fired, maybe past the lateness
				}
				r := beanRecord(&stream.Record{Time: ts}, b)
				steps = append(steps, st.Step{Rec: &r})
			}
			steps = append(steps, st.End())
			ref := st.Run(t, operator.TumblingWindow(cfg.Window, &jsonRows{rows{t: tb, loc: cfg.Location}}, late), steps)
			for name, f := range map[string]stream.Factory{
				"default": cfg.windowOperator(tb),
				"bounded": operator.TumblingWindowOf[*winAcc](cfg.Window, &rows{t: tb, loc: cfg.Location}, operator.WindowMemory(2, 4096), late),
			} {
				got := st.Run(t, f, steps)
				st.Equal(t, tb.name+" "+name+" rows", ref.Output(operator.PortWindows), got.Output(operator.PortWindows))
				st.Equal(t, tb.name+" "+name+" late", ref.Output(operator.PortLate), got.Output(operator.PortLate))
				if len(ref.Output(operator.PortWindows)) < 4 {
					t.Fatalf("%s: only %d rows", tb.name, len(ref.Output(operator.PortWindows)))
				}
				if nLate := len(ref.Output(operator.PortLate)); (nLate == 0) != (cfg.AllowedLateness >= time.Hour) {
					t.Fatalf("%s: allowed lateness %s: %d late records", tb.name, cfg.AllowedLateness, nLate)
				}
				// And restored from random checkpoints.
				st.CheckRestore(t, f, steps, 50, 4, seed)
			}
		}
	}
}
