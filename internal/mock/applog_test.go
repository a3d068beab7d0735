package mock

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Decoded shape of a topic_log line, for assertions.
type testCommon struct {
	Ar    string  `json:"ar"`
	Ba    string  `json:"ba"`
	Ch    string  `json:"ch"`
	IsNew string  `json:"is_new"`
	Md    string  `json:"md"`
	Mid   string  `json:"mid"`
	Os    string  `json:"os"`
	Sid   string  `json:"sid"`
	UID   *string `json:"uid"`
	Vc    string  `json:"vc"`
}

type testStart struct {
	Entry        string `json:"entry"`
	LoadingTime  *int64 `json:"loading_time"`
	OpenAdID     *int64 `json:"open_ad_id"`
	OpenAdMs     *int64 `json:"open_ad_ms"`
	OpenAdSkipMs *int64 `json:"open_ad_skip_ms"`
}

type testPage struct {
	PageID     string  `json:"page_id"`
	LastPageID *string `json:"last_page_id"`
	DuringTime int64   `json:"during_time"`
	ItemType   *string `json:"item_type"`
	Item       *string `json:"item"`
	FromPosID  *int64  `json:"from_pos_id"`
	FromPosSeq *int64  `json:"from_pos_seq"`
}

type testDisplay struct {
	ItemType string `json:"item_type"`
	Item     string `json:"item"`
	PosID    *int64 `json:"pos_id"`
	PosSeq   *int64 `json:"pos_seq"`
}

type testAction struct {
	ActionID string `json:"action_id"`
	ItemType string `json:"item_type"`
	Item     string `json:"item"`
	Ts       int64  `json:"ts"`
}

type testErr struct {
	ErrorCode int64  `json:"error_code"`
	Msg       string `json:"msg"`
}

type testLine struct {
	Common   *testCommon   `json:"common"`
	Start    *testStart    `json:"start"`
	Page     *testPage     `json:"page"`
	Displays []testDisplay `json:"displays"`
	Actions  []testAction  `json:"actions"`
	Err      *testErr      `json:"err"`
	Ts       int64         `json:"ts"`
}

func newGen(t testing.TB, cfg LogConfig) *LogGenerator {
	t.Helper()
	g, err := NewLogGenerator(cfg)
	if err != nil {
		t.Fatalf("NewLogGenerator(%+v): %v", cfg, err)
	}
	return g
}

// generate returns n lines as separate byte slices.
func generate(t testing.TB, cfg LogConfig, n int) [][]byte {
	t.Helper()
	g := newGen(t, cfg)
	lines := make([][]byte, n)
	var buf []byte
	for i := range lines {
		buf = g.Next(buf[:0])
		lines[i] = bytes.Clone(buf)
	}
	return lines
}

func decode(t testing.TB, i int, line []byte) testLine {
	t.Helper()
	if !json.Valid(line) {
		t.Fatalf("line %d is not valid JSON: %s", i, line)
	}
	var l testLine
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&l); err != nil {
		t.Fatalf("line %d: %v: %s", i, err, line)
	}
	return l
}

// topKeys returns the keys of the top-level object and of its "common"
// object, in document order.
func topKeys(t testing.TB, line []byte) (top, common []string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	tok := func() json.Token {
		tk, err := dec.Token()
		if err != nil {
			t.Fatalf("token: %v: %s", err, line)
		}
		return tk
	}
	// skip consumes one value whose first token is tk.
	var skip func(tk json.Token)
	skip = func(tk json.Token) {
		if d, ok := tk.(json.Delim); ok && (d == '{' || d == '[') {
			for dec.More() {
				if d == '{' {
					tok() // key
				}
				skip(tok())
			}
			tok() // closing delim
		}
	}
	if d := tok(); d != json.Delim('{') {
		t.Fatalf("line does not start an object: %s", line)
	}
	for dec.More() {
		k := tok().(string)
		top = append(top, k)
		v := tok()
		if k == "common" {
			for dec.More() {
				common = append(common, tok().(string))
				skip(tok())
			}
			tok()
			continue
		}
		skip(v)
	}
	return top, common
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	midRE    = regexp.MustCompile(`^mid_(\d+)$`)
	vcRE     = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)
	skuIDsRE = regexp.MustCompile(`^\d+(,\d+){0,2}$`)
)

func TestDefaults(t *testing.T) {
	c := LogConfig{}.withDefaults()
	if c.Seed != 1 || c.Date != "2026-11-21" || c.Devices != 1000 || c.Users != 500 || c.ErrRate != 0.03 || c.Location == nil {
		t.Fatalf("defaults: %+v", c)
	}
	if name := c.Location.String(); name != "Asia/Shanghai" && name != "CST" {
		t.Fatalf("default location %q", name)
	}
	if _, off := time.Date(2026, 11, 21, 0, 0, 0, 0, c.Location).Zone(); off != 8*3600 {
		t.Fatalf("default location offset %d", off)
	}
	// Zero config == explicit defaults, byte for byte.
	a := generate(t, LogConfig{}, 2000)
	b := generate(t, LogConfig{Seed: 1, Date: "2026-11-21", Devices: 1000, Users: 500, ErrRate: 0.03}, 2000)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("line %d differs between zero config and explicit defaults", i)
		}
	}
}

func TestDeterminism(t *testing.T) {
	const n = 10_000
	a := generate(t, LogConfig{Seed: 42}, n)
	b := generate(t, LogConfig{Seed: 42}, n)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("line %d differs for the same seed:\n%s\n%s", i, a[i], b[i])
		}
	}
	c := generate(t, LogConfig{Seed: 43}, n)
	same := 0
	for i := range a {
		if bytes.Equal(a[i], c[i]) {
			same++
		}
	}
	if same != 0 {
		t.Fatalf("%d of %d lines identical for different seeds", same, n)
	}
	// Next appends: it must keep what dst already holds.
	g := newGen(t, LogConfig{Seed: 42})
	out := g.Next([]byte("prefix"))
	if !bytes.Equal(out, append([]byte("prefix"), a[0]...)) {
		t.Fatalf("Next does not append to dst: %s", out)
	}
}

// TestLines checks every line's shape and content, and the session model.
func TestLines(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  LogConfig
	}{
		{"defaults", LogConfig{}},
		{"utc-small", LogConfig{Seed: 7, Date: "2024-02-29", Location: time.UTC, Devices: 50, Users: 20, ErrRate: 0.2}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkLines(t, tc.cfg, 50_000) })
	}
}

func checkLines(t *testing.T, cfg LogConfig, n int) {
	full := cfg.withDefaults()
	day, _ := time.ParseInLocation("2006-01-02", full.Date, full.Location)
	dayStart, dayEnd := day.UnixMilli(), day.AddDate(0, 0, 1).UnixMilli()

	type sessInfo struct {
		mid, isNew string
		uid        *string
		common     testCommon
		pages      []testLine
		startIdx   int
		nextTs     int64
	}
	sessions := map[string]*sessInfo{}
	var order []string
	g := newGen(t, cfg)
	var buf []byte
	prevTs := int64(math.MinInt64)
	errs := 0
	for i := range n {
		buf = g.Next(buf[:0])
		if bytes.IndexByte(buf, '\n') >= 0 {
			t.Fatalf("line %d contains a newline", i)
		}
		l := decode(t, i, buf)
		top, common := topKeys(t, buf)
		checkOrder(t, i, top, []string{"common", "start", "page", "displays", "actions", "err", "ts"})
		checkOrder(t, i, common, []string{"ar", "ba", "ch", "is_new", "md", "mid", "os", "sid", "uid", "vc"})
		if len(common) < 9 {
			t.Fatalf("line %d: common keys %v", i, common)
		}

		c := l.Common
		if c == nil {
			t.Fatalf("line %d has no common: %s", i, buf)
		}
		m := midRE.FindStringSubmatch(c.Mid)
		if m == nil {
			t.Fatalf("line %d: bad mid %q", i, c.Mid)
		}
		if id, _ := strconv.Atoi(m[1]); id < 1 || id > full.Devices {
			t.Fatalf("line %d: mid %q outside 1..%d", i, c.Mid, full.Devices)
		}
		if c.UID != nil {
			if id, err := strconv.Atoi(*c.UID); err != nil || id < 1 || id > full.Users {
				t.Fatalf("line %d: uid %q outside 1..%d", i, *c.UID, full.Users)
			}
		}
		if ar, err := strconv.Atoi(c.Ar); err != nil || ar < 1 || ar > 34 {
			t.Fatalf("line %d: ar %q", i, c.Ar)
		}
		if c.IsNew != "0" && c.IsNew != "1" {
			t.Fatalf("line %d: is_new %q", i, c.IsNew)
		}
		if !strings.Contains(" Appstore xiaomi oppo vivo huawei wandoujia web 360 ", " "+c.Ch+" ") {
			t.Fatalf("line %d: ch %q", i, c.Ch)
		}
		if !strings.HasPrefix(c.Md, c.Ba+" ") {
			t.Fatalf("line %d: model %q does not match brand %q", i, c.Md, c.Ba)
		}
		if (c.Ba == "iPhone") != strings.HasPrefix(c.Os, "iOS ") || !strings.HasPrefix(c.Os, "iOS ") && !strings.HasPrefix(c.Os, "Android ") {
			t.Fatalf("line %d: os %q for brand %q", i, c.Os, c.Ba)
		}
		if !vcRE.MatchString(c.Vc) || c.Sid == "" {
			t.Fatalf("line %d: vc %q sid %q", i, c.Vc, c.Sid)
		}

		if l.Ts < dayStart || l.Ts >= dayEnd {
			t.Fatalf("line %d: ts %d outside %s in %s", i, l.Ts, full.Date, full.Location)
		}
		if l.Ts < prevTs {
			t.Fatalf("line %d: ts %d < previous %d", i, l.Ts, prevTs)
		}
		prevTs = l.Ts
		if l.Err != nil {
			errs++
			if l.Err.ErrorCode < 1001 || l.Err.ErrorCode > 4000 || !strings.Contains(l.Err.Msg, "Exception") {
				t.Fatalf("line %d: err %+v", i, *l.Err)
			}
		}

		s := sessions[c.Sid]
		if (l.Start != nil) == (l.Page != nil) {
			t.Fatalf("line %d: exactly one of start and page expected: %s", i, buf)
		}
		if l.Start != nil {
			st := l.Start
			if s != nil {
				t.Fatalf("line %d: second start log for sid %s", i, c.Sid)
			}
			if l.Displays != nil || l.Actions != nil {
				t.Fatalf("line %d: start log with displays/actions: %s", i, buf)
			}
			if st.Entry != "icon" && st.Entry != "notice" && st.Entry != "install" ||
				st.LoadingTime == nil || st.OpenAdID == nil || st.OpenAdMs == nil || st.OpenAdSkipMs == nil ||
				*st.OpenAdSkipMs > *st.OpenAdMs {
				t.Fatalf("line %d: bad start %s", i, buf)
			}
			sessions[c.Sid] = &sessInfo{mid: c.Mid, isNew: c.IsNew, uid: c.UID, common: *c, startIdx: i, nextTs: l.Ts}
			order = append(order, c.Sid)
			continue
		}

		// Page log.
		if s == nil {
			t.Fatalf("line %d: page log of sid %s before its start log", i, c.Sid)
		}
		if cj, sj := mustJSON(t, c), mustJSON(t, &s.common); cj != sj {
			t.Fatalf("line %d: common changed within session %s", i, c.Sid)
		}
		p := l.Page
		if len(s.pages) == 0 {
			if p.LastPageID != nil {
				t.Fatalf("line %d: first page has last_page_id: %s", i, buf)
			}
			if l.Ts <= s.nextTs {
				t.Fatalf("line %d: first page not after the start log", i)
			}
		} else {
			prev := s.pages[len(s.pages)-1]
			if p.LastPageID == nil || *p.LastPageID != prev.Page.PageID {
				t.Fatalf("line %d: last_page_id %v, previous page %q", i, p.LastPageID, prev.Page.PageID)
			}
			if l.Ts != s.nextTs {
				t.Fatalf("line %d: ts %d, want previous page ts + during_time = %d", i, l.Ts, s.nextTs)
			}
		}
		nActs := int64(len(l.Actions))
		if p.DuringTime < 5000+2000*nActs || p.DuringTime > 20000+3000*nActs {
			t.Fatalf("line %d: during_time %d with %d actions", i, p.DuringTime, nActs)
		}
		s.nextTs = l.Ts + p.DuringTime
		checkItem(t, i, l, buf)
		switch p.PageID {
		case "home", "good_list", "good_detail", "search":
			if len(l.Displays) < 1 || len(l.Displays) > 10 {
				t.Fatalf("line %d: %d displays on %s", i, len(l.Displays), p.PageID)
			}
		default:
			if l.Displays != nil {
				t.Fatalf("line %d: displays on %s", i, p.PageID)
			}
		}
		for j, d := range l.Displays {
			id, err := strconv.Atoi(d.Item)
			if err != nil || d.PosID == nil || d.PosSeq == nil || *d.PosSeq != int64(j) ||
				!(d.ItemType == "sku_id" && id >= 1 && id <= 35 || d.ItemType == "activity_id" && id >= 1 && id <= 3) {
				t.Fatalf("line %d: bad display %+v", i, d)
			}
		}
		if l.Actions != nil && len(l.Actions) == 0 {
			t.Fatalf("line %d: empty actions array", i)
		}
		prevAct := l.Ts
		for _, a := range l.Actions {
			want := map[string]string{
				"favor_add": "good_detail", "cart_add": "good_detail", "get_coupon": "good_detail",
				"cart_add_num": "cart", "cart_minus_num": "cart", "cart_remove": "cart",
				"trade_add_address": "trade",
			}[a.ActionID]
			if want != p.PageID {
				t.Fatalf("line %d: action %q on page %q", i, a.ActionID, p.PageID)
			}
			if d := a.Ts - prevAct; d < 2000 || d > 3000 {
				t.Fatalf("line %d: action ts step %d", i, d)
			}
			prevAct = a.Ts
			if a.Ts > l.Ts+p.DuringTime {
				t.Fatalf("line %d: action after the page's time", i)
			}
			if _, err := strconv.Atoi(a.Item); err != nil || a.ItemType != "sku_id" && a.ItemType != "coupon_id" && a.ItemType != "address_id" {
				t.Fatalf("line %d: bad action %+v", i, a)
			}
		}
		s.pages = append(s.pages, l)
	}

	// err rate.
	if rate := float64(errs) / float64(n); math.Abs(rate-full.ErrRate) > 0.15*full.ErrRate+0.002 {
		t.Errorf("err rate %.4f, want about %.4f", rate, full.ErrRate)
	}

	// is_new: "1" on at most one session per mid, never on old devices, and
	// only on the mid's first session.
	firstSeen := map[string]bool{}
	newSessions := map[string]int{}
	oldDevices, newDevices := 0, 0
	for _, sid := range order {
		s := sessions[sid]
		var mid int
		fmt.Sscanf(s.mid, "mid_%d", &mid)
		first := !firstSeen[s.mid]
		firstSeen[s.mid] = true
		if s.isNew == "1" {
			newSessions[s.mid]++
			if !first || g.isOldDevice(mid) {
				t.Fatalf("is_new 1 on sid %s of %s: first=%v old=%v", sid, s.mid, first, g.isOldDevice(mid))
			}
		} else if first && !g.isOldDevice(mid) {
			t.Fatalf("first session %s of new device %s has is_new 0", sid, s.mid)
		}
		if first {
			if g.isOldDevice(mid) {
				oldDevices++
			} else {
				newDevices++
			}
		}
	}
	for mid, k := range newSessions {
		if k > 1 {
			t.Fatalf("is_new 1 on %d sessions of %s", k, mid)
		}
	}
	if frac := float64(oldDevices) / float64(oldDevices+newDevices); oldDevices+newDevices >= 500 && (frac < 0.06 || frac > 0.14) {
		t.Errorf("old devices %d of %d, want ~10%%", oldDevices, oldDevices+newDevices)
	}

	// Sessions started in the first half are complete by the end: check
	// paths against the weights of mock-log-path.json, and the login share.
	want := map[string]float64{}
	for _, p := range logPaths {
		var names []string
		for _, pg := range p.pages {
			names = append(names, pageNames[pg])
		}
		want[strings.Join(names, ">")] = float64(p.rate) / float64(logPathTotal)
	}
	got := map[string]int{}
	total, loggedIn := 0, 0
	for _, sid := range order {
		s := sessions[sid]
		if s.startIdx >= n/2 {
			break
		}
		var names []string
		for _, l := range s.pages {
			names = append(names, l.Page.PageID)
		}
		key := strings.Join(names, ">")
		if _, ok := want[key]; !ok {
			t.Fatalf("session %s has unknown path %q", sid, key)
		}
		got[key]++
		total++
		if s.uid != nil {
			loggedIn++
		}
	}
	if total < 1000 {
		t.Fatalf("only %d complete sessions", total)
	}
	best, bestN := "", 0
	for k, v := range got {
		if v > bestN {
			best, bestN = k, v
		}
	}
	if best != "home>good_detail" {
		t.Errorf("most frequent path %q (%d), want home>good_detail; counts %v", best, bestN, got)
	}
	for k, w := range want {
		frac := float64(got[k]) / float64(total)
		if math.Abs(frac-w) > 0.03 {
			t.Errorf("path %s: share %.3f, want %.3f", k, frac, w)
		}
	}
	if frac := float64(loggedIn) / float64(total); frac < 0.45 || frac > 0.55 {
		t.Errorf("logged-in share %.3f, want ~0.5", frac)
	}
}

// checkOrder asserts that keys appear in the relative order of want and are
// all known.
func checkOrder(t *testing.T, i int, keys, want []string) {
	t.Helper()
	pos := -1
	for _, k := range keys {
		j := 0
		for j < len(want) && want[j] != k {
			j++
		}
		if j == len(want) || j <= pos {
			t.Fatalf("line %d: key order %v, want a subsequence of %v", i, keys, want)
		}
		pos = j
	}
}

// checkItem asserts item_type/item of a page given the pages before it.
func checkItem(t *testing.T, i int, l testLine, line []byte) {
	t.Helper()
	p := l.Page
	if (p.ItemType == nil) != (p.Item == nil) {
		t.Fatalf("line %d: item_type without item or vice versa: %s", i, line)
	}
	itemType := ""
	if p.ItemType != nil {
		itemType = *p.ItemType
	}
	var last string
	if p.LastPageID != nil {
		last = *p.LastPageID
	}
	switch {
	case p.PageID == "good_detail":
		if id, err := strconv.Atoi(*p.Item); itemType != "sku_id" || err != nil || id < 1 || id > 35 {
			t.Fatalf("line %d: good_detail item: %s", i, line)
		}
	case p.PageID == "good_list" && last == "search":
		if itemType != "keyword" || *p.Item == "" {
			t.Fatalf("line %d: good_list after search without keyword: %s", i, line)
		}
	case p.PageID == "trade":
		if itemType != "sku_ids" || !skuIDsRE.MatchString(*p.Item) {
			t.Fatalf("line %d: trade item: %s", i, line)
		}
	case p.PageID == "payment":
		if _, err := strconv.Atoi(*p.Item); itemType != "order_id" || err != nil {
			t.Fatalf("line %d: payment item: %s", i, line)
		}
	default:
		if p.ItemType != nil {
			t.Fatalf("line %d: unexpected item on %s: %s", i, p.PageID, line)
		}
	}
	// from_pos_* locate the display the user clicked: only on a good_detail
	// page reached from a page with displays.
	fromDisplay := p.PageID == "good_detail" &&
		(last == "home" || last == "good_list" || last == "good_detail" || last == "search")
	if (p.FromPosID != nil) != fromDisplay || (p.FromPosSeq != nil) != fromDisplay {
		t.Fatalf("line %d: from_pos_*: %s", i, line)
	}
}

func TestValidate(t *testing.T) {
	good := []LogConfig{
		{},
		{Seed: -5, Date: "2020-01-31", Location: time.UTC, Devices: 1, Users: 1, ErrRate: 1},
		{ErrRate: 0.5},
	}
	for _, c := range good {
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(%+v) = %v, want nil", c, err)
		}
	}
	bad := []struct {
		cfg  LogConfig
		want string
	}{
		{LogConfig{Date: "2026-13-01"}, "Date"},
		{LogConfig{Date: "21/11/2026"}, "Date"},
		{LogConfig{Date: "2026-11-21 00:00:00"}, "Date"},
		{LogConfig{Devices: -1}, "Devices"},
		{LogConfig{Users: -3}, "Users"},
		{LogConfig{ErrRate: -0.1}, "ErrRate"},
		{LogConfig{ErrRate: 1.5}, "ErrRate"},
		{LogConfig{ErrRate: math.NaN()}, "ErrRate"},
	}
	for _, b := range bad {
		err := b.cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Validate(%+v) = %v, want an error about %s", b.cfg, err, b.want)
		}
		if g, err := NewLogGenerator(b.cfg); err == nil || g != nil {
			t.Errorf("NewLogGenerator(%+v) accepted a bad config", b.cfg)
		}
	}
	// Several problems are all reported.
	err := LogConfig{Devices: -1, Users: -1}.Validate()
	if err == nil || !strings.Contains(err.Error(), "Devices") || !strings.Contains(err.Error(), "Users") {
		t.Errorf("Validate with two problems = %v", err)
	}
}

// TestDaySpan checks the time scaling: about a million lines span the day.
func TestDaySpan(t *testing.T) {
	g := newGen(t, LogConfig{})
	var buf []byte
	var first, last testLine
	const n = 200_000
	for i := range n {
		buf = g.Next(buf[:0])
		if i == 0 {
			json.Unmarshal(buf, &first)
		}
		if i == n-1 {
			json.Unmarshal(buf, &last)
		}
	}
	span := float64(last.Ts-first.Ts) / float64(24*time.Hour/time.Millisecond)
	if span < 0.15 || span > 0.25 {
		t.Errorf("%d lines span %.3f days, want ~0.2", n, span)
	}
	if len(g.heap) > 1000 || len(g.free) > 1000 {
		t.Errorf("session pool grew: heap %d free %d", len(g.heap), len(g.free))
	}
}

func TestNoAllocs(t *testing.T) {
	g := newGen(t, LogConfig{})
	buf := make([]byte, 0, 8192)
	for range 10_000 {
		buf = g.Next(buf[:0])
	}
	allocs := testing.AllocsPerRun(10_000, func() { buf = g.Next(buf[:0]) })
	if allocs > 0.01 {
		t.Errorf("%.3f allocs per line", allocs)
	}
}

func BenchmarkLogGenerator(b *testing.B) {
	g := newGen(b, LogConfig{})
	buf := make([]byte, 0, 8192)
	var bytesOut int64
	b.ReportAllocs()
	for b.Loop() {
		buf = g.Next(buf[:0])
		bytesOut += int64(len(buf))
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "lines/s")
	b.ReportMetric(float64(bytesOut)/float64(b.N), "B/line")
}
