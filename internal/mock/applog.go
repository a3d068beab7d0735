package mock

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"sync"
	"time"
)

// Defaults applied by NewLogGenerator to zero-valued LogConfig fields.
const (
	defaultLogSeed    = 1
	defaultLogDate    = "2026-11-21"
	defaultLogDevices = 1000
	defaultLogUsers   = 500
	defaultLogErrRate = 0.03

	dateLayout = "2006-01-02"
)

// LogConfig configures the app-log simulator. Zero values get defaults:
//
//   - Seed 0: 1.
//   - Date "": "2026-11-21".
//   - Location nil: Asia/Shanghai (time.FixedZone("CST", 8*3600) if the
//     system has no tz database).
//   - Devices 0: 1000 devices, mids "mid_1".."mid_1000".
//   - Users 0: 500 users, uids "1".."500".
//   - ErrRate 0: 0.03. (A zero rate cannot be asked for directly; a tiny
//     rate such as 1e-12 gives no err in practice.)
type LogConfig struct {
	Seed     int64          // default 1
	Date     string         // business date "yyyy-MM-dd", default "2026-11-21"
	Location *time.Location // default Asia/Shanghai
	Devices  int            // number of distinct mids "mid_1".."mid_N", default 1000
	Users    int            // user ids 1..N for logged-in sessions, default 500
	ErrRate  float64        // fraction of logs carrying "err", default 0.03
}

// Validate reports a descriptive error for a configuration NewLogGenerator
// would reject: a Date that is not "yyyy-MM-dd", a negative Devices or Users,
// or an ErrRate outside [0,1] (NaN included). Zero values are valid: they
// stand for the defaults.
func (c LogConfig) Validate() error {
	var errs []error
	if c.Date != "" {
		if _, err := time.Parse(dateLayout, c.Date); err != nil {
			errs = append(errs, fmt.Errorf("mock: LogConfig.Date %q is not a yyyy-MM-dd date", c.Date))
		}
	}
	if c.Devices < 0 {
		errs = append(errs, fmt.Errorf("mock: LogConfig.Devices is %d, must be >= 0 (0 means %d)", c.Devices, defaultLogDevices))
	}
	if c.Users < 0 {
		errs = append(errs, fmt.Errorf("mock: LogConfig.Users is %d, must be >= 0 (0 means %d)", c.Users, defaultLogUsers))
	}
	if math.IsNaN(c.ErrRate) || c.ErrRate < 0 || c.ErrRate > 1 {
		errs = append(errs, fmt.Errorf("mock: LogConfig.ErrRate is %v, must be within [0,1] (0 means %v)", c.ErrRate, defaultLogErrRate))
	}
	return errors.Join(errs...)
}

var (
	shanghaiOnce sync.Once
	shanghaiLoc  *time.Location
)

// defaultLocation returns Asia/Shanghai, or a fixed +08:00 zone named CST
// when the tz database is missing.
func defaultLocation() *time.Location {
	shanghaiOnce.Do(func() {
		loc, err := time.LoadLocation("Asia/Shanghai")
		if err != nil {
			loc = time.FixedZone("CST", 8*3600)
		}
		shanghaiLoc = loc
	})
	return shanghaiLoc
}

// withDefaults returns c with every zero field replaced by its default.
func (c LogConfig) withDefaults() LogConfig {
	if c.Seed == 0 {
		c.Seed = defaultLogSeed
	}
	if c.Date == "" {
		c.Date = defaultLogDate
	}
	if c.Location == nil {
		c.Location = defaultLocation()
	}
	if c.Devices == 0 {
		c.Devices = defaultLogDevices
	}
	if c.Users == 0 {
		c.Users = defaultLogUsers
	}
	if c.ErrRate == 0 {
		c.ErrRate = defaultLogErrRate
	}
	return c
}

// ---------------------------------------------------------------------------
// Static data: pages, paths, devices, keywords.

// Page ids.
const (
	pHome uint8 = iota
	pSearch
	pGoodList
	pGoodDetail
	pLogin
	pCart
	pTrade
	pPayment
	pMine
	pOrdersUnpaid
	pGoodSpec
	pComment
	numPages
)

var pageNames = [numPages]string{
	pHome:         "home",
	pSearch:       "search",
	pGoodList:     "good_list",
	pGoodDetail:   "good_detail",
	pLogin:        "login",
	pCart:         "cart",
	pTrade:        "trade",
	pPayment:      "payment",
	pMine:         "mine",
	pOrdersUnpaid: "orders_unpaid",
	pGoodSpec:     "good_spec",
	pComment:      "comment",
}

// hasDisplays tells which pages show displays (1-10 of them).
var hasDisplays = [numPages]bool{pHome: true, pGoodList: true, pGoodDetail: true, pSearch: true}

// logPath is one weighted page path of the gmall mock (mock-log-path.json).
type logPath struct {
	pages []uint8
	rate  int
}

var logPaths = []logPath{
	{[]uint8{pHome, pGoodList, pGoodDetail, pCart, pTrade, pPayment}, 20},
	{[]uint8{pHome, pSearch, pGoodList, pGoodDetail, pLogin, pGoodDetail, pCart, pTrade, pPayment}, 50},
	{[]uint8{pHome, pMine, pOrdersUnpaid, pTrade, pPayment}, 10},
	{[]uint8{pHome, pMine, pOrdersUnpaid, pGoodDetail, pGoodSpec, pComment, pTrade, pPayment}, 5},
	{[]uint8{pHome, pMine, pOrdersUnpaid, pGoodDetail, pGoodSpec, pComment, pHome}, 5},
	{[]uint8{pHome, pGoodDetail}, 70},
	{[]uint8{pHome}, 10},
}

var (
	logPathCum   []int // cumulative rates of logPaths
	logPathTotal int
	// meanGapMs is the mean gap between two session starts so that about
	// linesPerDay lines span a day.
	meanGapMs int
)

const linesPerDay = 1_000_000

func init() {
	linesTimesRate := 0
	for _, p := range logPaths {
		logPathTotal += p.rate
		logPathCum = append(logPathCum, logPathTotal)
		linesTimesRate += (1 + len(p.pages)) * p.rate // start log + pages
	}
	meanLines := float64(linesTimesRate) / float64(logPathTotal)
	meanGapMs = int(math.Round(86_400_000 * meanLines / linesPerDay))
}

type deviceModel struct {
	brand, model string
	ios          bool
}

var deviceModels = []deviceModel{
	{"Xiaomi", "Xiaomi 13", false},
	{"Xiaomi", "Xiaomi 13 Pro", false},
	{"Xiaomi", "Xiaomi 12S", false},
	{"Redmi", "Redmi K50", false},
	{"Redmi", "Redmi Note 12", false},
	{"Huawei", "Huawei Mate 50", false},
	{"Huawei", "Huawei P60", false},
	{"Honor", "Honor 80", false},
	{"Honor", "Honor Magic5", false},
	{"iPhone", "iPhone 14", true},
	{"iPhone", "iPhone 14 Plus", true},
	{"iPhone", "iPhone 13", true},
	{"vivo", "vivo X90", false},
	{"vivo", "vivo IQOO Z6x", false},
	{"OPPO", "OPPO Find X6", false},
	{"OPPO", "OPPO Reno9", false},
}

var (
	androidVersions = []string{"Android 13.0", "Android 12.0", "Android 11.0", "Android 10.0"}
	iosVersions     = []string{"iOS 16.1", "iOS 16.3", "iOS 15.4", "iOS 13.3.1"}
	// Channels of Android devices; iPhones always come from "Appstore".
	androidChannels = []string{"xiaomi", "oppo", "vivo", "huawei", "wandoujia", "web", "360"}
	appVersions     = []string{"v2.1.134", "v2.1.132", "v2.1.111", "v2.0.1"}
	searchKeywords  = []string{"图书", "小米", "手机", "电视", "口红", "ps5", "联想", "笔记本", "衬衫", "苹果手机"}
)

// Ranges of ids that exist in the gmall seed data.
const (
	numProvinces  = 34
	numSkus       = 35
	numActivities = 3
	numCoupons    = 3
	numAddresses  = 100
	numPosIDs     = 5
	maxDisplays   = 10
	maxActions    = 3
)

// The err message of the gmall mock, already JSON-escaped, up to the line
// number; the error code closes it.
const errMsgPrefix = `" Exception in thread \\  java.net.SocketTimeoutException\\n \\tat com.atgugu.gmall2020.mock.bean.log.AppError.main(AppError.java:`

// ---------------------------------------------------------------------------
// Generator.

// session is one app session in flight.
type session struct {
	ts     int64  // ts of the session's next line
	seq    uint64 // creation order; breaks ts ties
	pages  []uint8
	step   int    // index in pages of the next page log
	isNew  bool   // common.is_new is "1"
	sku    int    // sku of the last good_detail page, 0 if none yet
	common []byte // the common object, built once per session
}

type action struct {
	id       string
	itemType string
	item     int
	ts       int64
}

// LogGenerator produces gmall topic_log lines. It is not safe for concurrent
// use. See the package documentation for the model.
type LogGenerator struct {
	rng      *rand.Rand
	devices  int
	users    int
	errRate  float64
	devKey   uint64 // mixes device attributes
	sidKey1  uint64
	sidKey2  uint64
	sessions uint64   // sessions started so far
	seen     []uint64 // bit per mid: the mid already had a session
	orderSeq int64

	nextStart int64      // ts of the next session start
	heap      []*session // sessions in flight, min-heap on (ts, seq)
	free      []*session

	acts  [maxActions]action // actions of the page being built
	nActs int
}

// NewLogGenerator validates cfg, applies the defaults and returns a generator
// whose first line is the start log of a session beginning at 00:00:00.000
// of cfg.Date in cfg.Location.
func NewLogGenerator(cfg LogConfig) (*LogGenerator, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	day, err := time.ParseInLocation(dateLayout, cfg.Date, cfg.Location)
	if err != nil { // unreachable after Validate
		return nil, fmt.Errorf("mock: LogConfig.Date %q: %w", cfg.Date, err)
	}
	seed := uint64(cfg.Seed)
	g := &LogGenerator{
		rng:       rand.New(rand.NewPCG(seed, mix64(seed^0x6d6f636b2d6c6f67))), // "mock-log"
		devices:   cfg.Devices,
		users:     cfg.Users,
		errRate:   cfg.ErrRate,
		devKey:    mix64(seed + 0x9e3779b97f4a7c15),
		sidKey1:   mix64(seed + 0x3c6ef372fe94f82a),
		sidKey2:   mix64(seed + 0xdaa66d2c7ddf743f),
		seen:      make([]uint64, (cfg.Devices+64)/64),
		nextStart: day.UnixMilli(),
	}
	return g, nil
}

// mix64 is the murmur3 64-bit finalizer: a bijection of uint64.
func mix64(x uint64) uint64 {
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return x
}

// Next appends the next app-log line (one JSON object, no trailing newline)
// to dst and returns it.
func (g *LogGenerator) Next(dst []byte) []byte {
	if len(g.heap) == 0 || g.nextStart <= g.heap[0].ts {
		s := g.newSession(g.nextStart)
		g.nextStart += int64(g.rng.IntN(2*meanGapMs + 1))
		dst = g.appendStart(dst, s)
		g.push(s)
		return dst
	}
	s := g.heap[0]
	dst = g.appendPage(dst, s)
	if s.step == len(s.pages) {
		g.pop()
		g.free = append(g.free, s)
	} else {
		heapDown(g.heap, 0, sessionLess)
	}
	return dst
}

// newSession starts a session at ts and builds its common object.
func (g *LogGenerator) newSession(ts int64) *session {
	var s *session
	if n := len(g.free); n > 0 {
		s = g.free[n-1]
		g.free = g.free[:n-1]
	} else {
		s = &session{common: make([]byte, 0, 256)}
	}
	r := g.rng
	seq := g.sessions
	g.sessions++
	x := r.IntN(logPathTotal)
	pi := 0
	for x >= logPathCum[pi] {
		pi++
	}
	*s = session{ts: ts, seq: seq, pages: logPaths[pi].pages, common: s.common[:0]}

	mid := 1 + r.IntN(g.devices)
	h := mix64(uint64(mid) ^ g.devKey)
	dm := &deviceModels[h%uint64(len(deviceModels))]
	var osName, ch string
	if dm.ios {
		osName = iosVersions[(h>>20)%uint64(len(iosVersions))]
		ch = "Appstore"
	} else {
		osName = androidVersions[(h>>20)%uint64(len(androidVersions))]
		ch = androidChannels[(h>>28)%uint64(len(androidChannels))]
	}
	isNew := !g.hasSeen(mid) && !g.isOldDevice(mid)
	g.seen[mid>>6] |= 1 << (mid & 63)

	c := s.common
	c = append(c, `{"ar":"`...)
	c = strconv.AppendInt(c, int64(1+r.IntN(numProvinces)), 10)
	c = append(c, `","ba":"`...)
	c = append(c, dm.brand...)
	c = append(c, `","ch":"`...)
	c = append(c, ch...)
	if isNew {
		c = append(c, `","is_new":"1","md":"`...)
	} else {
		c = append(c, `","is_new":"0","md":"`...)
	}
	c = append(c, dm.model...)
	c = append(c, `","mid":"mid_`...)
	c = strconv.AppendInt(c, int64(mid), 10)
	c = append(c, `","os":"`...)
	c = append(c, osName...)
	c = append(c, `","sid":"`...)
	c = g.appendSid(c, seq)
	if r.IntN(2) == 0 {
		c = append(c, `","uid":"`...)
		c = strconv.AppendInt(c, int64(1+r.IntN(g.users)), 10)
	}
	c = append(c, `","vc":"`...)
	c = append(c, appVersions[r.IntN(len(appVersions))]...)
	c = append(c, `"}`...)
	s.common = c
	s.isNew = isNew
	return s
}

func (g *LogGenerator) hasSeen(mid int) bool { return g.seen[mid>>6]&(1<<(mid&63)) != 0 }

// isOldDevice tells whether mid belongs to the ~10% of devices that were
// already known before this run: even their first session says is_new "0".
func (g *LogGenerator) isOldDevice(mid int) bool {
	return (mix64(uint64(mid)^g.devKey)>>40)%10 == 0
}

// appendSid appends a UUID-shaped session id. Its first 64 bits are a
// bijection of the session counter, so ids never repeat within a run.
func (g *LogGenerator) appendSid(dst []byte, seq uint64) []byte {
	const hex = "0123456789abcdef"
	hi := mix64(seq ^ g.sidKey1)
	lo := mix64(seq + g.sidKey2)
	for i := range 32 {
		var nib uint64
		if i < 16 {
			nib = hi >> (60 - 4*i) & 0xf
		} else {
			nib = lo >> (60 - 4*(i-16)) & 0xf
		}
		if i == 8 || i == 12 || i == 16 || i == 20 {
			dst = append(dst, '-')
		}
		dst = append(dst, hex[nib])
	}
	return dst
}

// appendStart appends the session's start log and schedules its first page.
func (g *LogGenerator) appendStart(dst []byte, s *session) []byte {
	r := g.rng
	// A new device most often starts from a fresh install.
	var entry string
	switch x := r.IntN(10); {
	case s.isNew && x < 6 || !s.isNew && x == 9:
		entry = "install"
	case x < 8:
		entry = "icon"
	default:
		entry = "notice"
	}
	loading := 1000 + r.IntN(19001)
	adID := 1 + r.IntN(20)
	adMs := 1000 + r.IntN(9001)
	skipMs := 0
	if r.IntN(2) == 0 {
		skipMs = 1000 + r.IntN(adMs-999)
	}
	dst = append(dst, `{"common":`...)
	dst = append(dst, s.common...)
	dst = append(dst, `,"start":{"entry":"`...)
	dst = append(dst, entry...)
	dst = append(dst, `","loading_time":`...)
	dst = strconv.AppendInt(dst, int64(loading), 10)
	dst = append(dst, `,"open_ad_id":`...)
	dst = strconv.AppendInt(dst, int64(adID), 10)
	dst = append(dst, `,"open_ad_ms":`...)
	dst = strconv.AppendInt(dst, int64(adMs), 10)
	dst = append(dst, `,"open_ad_skip_ms":`...)
	dst = strconv.AppendInt(dst, int64(skipMs), 10)
	dst = append(dst, '}')
	dst = g.appendErrAndTs(dst, s.ts)

	shown := adMs
	if skipMs > 0 {
		shown = skipMs
	}
	s.ts += int64(loading + shown)
	return dst
}

// appendPage appends the page log of s.pages[s.step] and schedules the next
// one.
func (g *LogGenerator) appendPage(dst []byte, s *session) []byte {
	r := g.rng
	page, last, next := pageAt(s.pages, s.step)
	ts := s.ts
	if page == pGoodDetail {
		s.sku = 1 + r.IntN(numSkus)
	}

	// Actions are drawn first: each adds 2-3 s to the page's time.
	g.nActs = 0
	switch page {
	case pGoodDetail:
		if r.IntN(10) < 3 {
			g.addAction("favor_add", "sku_id", s.sku)
		}
		cartPct := 3 // in tenths; likelier when the user goes to the cart next
		if next == pCart {
			cartPct = 8
		}
		if r.IntN(10) < cartPct {
			g.addAction("cart_add", "sku_id", s.sku)
		}
		if r.IntN(10) < 2 {
			g.addAction("get_coupon", "coupon_id", 1+r.IntN(numCoupons))
		}
	case pCart:
		if r.IntN(10) < 3 {
			g.addAction("cart_add_num", "sku_id", g.someSku(s))
		}
		if r.IntN(10) < 2 {
			g.addAction("cart_minus_num", "sku_id", g.someSku(s))
		}
		if r.IntN(10) < 1 {
			g.addAction("cart_remove", "sku_id", 1+r.IntN(numSkus))
		}
	case pTrade:
		if r.IntN(10) < 3 {
			g.addAction("trade_add_address", "address_id", 1+r.IntN(numAddresses))
		}
	}
	nActs := g.nActs
	view := 5000 + r.IntN(15001)
	at := ts
	for i := range nActs {
		at += int64(2000 + r.IntN(1001))
		g.acts[i].ts = at
	}
	during := int64(view) + (at - ts)

	dst, done := appendPageStart(dst, r, s.common, page, last, during, s.sku)
	switch {
	case done:
	case page == pTrade:
		dst = append(dst, `,"item_type":"sku_ids","item":"`...)
		dst = g.appendSkuIDs(dst, s.sku)
		dst = append(dst, '"')
	case page == pPayment:
		g.orderSeq++
		dst = append(dst, `,"item_type":"order_id","item":"`...)
		dst = strconv.AppendInt(dst, g.orderSeq, 10)
		dst = append(dst, '"')
	}
	dst = append(dst, '}')

	dst = appendDisplays(dst, r, page)

	dst = appendActions(dst, g.acts[:nActs])
	dst = g.appendErrAndTs(dst, ts)

	s.ts = ts + during
	s.step++
	return dst
}

func (g *LogGenerator) addAction(id, itemType string, item int) {
	g.acts[g.nActs] = action{id: id, itemType: itemType, item: item}
	g.nActs++
}

// someSku returns the session's current sku, or sometimes a random one.
func (g *LogGenerator) someSku(s *session) int {
	if s.sku != 0 && g.rng.IntN(2) == 0 {
		return s.sku
	}
	return 1 + g.rng.IntN(numSkus)
}

// appendSkuIDs appends 1-3 distinct comma-separated sku ids, first (when not
// 0) among them.
func (g *LogGenerator) appendSkuIDs(dst []byte, first int) []byte {
	var ids [3]int
	n := 1 + g.rng.IntN(len(ids))
	k := 0
	if first != 0 {
		ids[0] = first
		k = 1
	}
	for k < n {
		id := 1 + g.rng.IntN(numSkus)
		dup := false
		for _, v := range ids[:k] {
			dup = dup || v == id
		}
		if !dup {
			ids[k] = id
			k++
		}
	}
	for i, id := range ids[:k] {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = strconv.AppendInt(dst, int64(id), 10)
	}
	return dst
}

// appendErrAndTs appends the optional err object, the ts and the closing
// brace of the line.
func (g *LogGenerator) appendErrAndTs(dst []byte, ts int64) []byte {
	if g.rng.Float64() < g.errRate {
		dst = append(dst, `,"err":{"error_code":`...)
		dst = strconv.AppendInt(dst, int64(1001+g.rng.IntN(3000)), 10)
		dst = append(dst, `,"msg":`...)
		dst = append(dst, errMsgPrefix...)
		dst = strconv.AppendInt(dst, int64(1+g.rng.IntN(999999)), 10)
		dst = append(dst, `)"}`...)
	}
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, ts, 10)
	return append(dst, '}')
}

// ---------------------------------------------------------------------------
// Min-heap of sessions on (ts, seq).

func sessionLess(a, b *session) bool { return a.ts < b.ts || a.ts == b.ts && a.seq < b.seq }

func (g *LogGenerator) push(s *session) { g.heap = heapPush(g.heap, s, sessionLess) }

func (g *LogGenerator) pop() { g.heap, _ = heapPop(g.heap, sessionLess) }

// appendDisplays appends a page's "displays" array, if the page has one
// (its random draws are part of the generators' deterministic sequence).
func appendDisplays(dst []byte, r *rand.Rand, page uint8) []byte {
	if !hasDisplays[page] {
		return dst
	}
	n := 1 + r.IntN(maxDisplays)
	posID := 1 + r.IntN(numPosIDs)
	dst = append(dst, `,"displays":[`...)
	for i := range n {
		if i > 0 {
			dst = append(dst, ',')
		}
		if (page == pHome || page == pGoodList) && r.IntN(10) == 0 {
			dst = append(dst, `{"item_type":"activity_id","item":"`...)
			dst = strconv.AppendInt(dst, int64(1+r.IntN(numActivities)), 10)
		} else {
			dst = append(dst, `{"item_type":"sku_id","item":"`...)
			dst = strconv.AppendInt(dst, int64(1+r.IntN(numSkus)), 10)
		}
		dst = append(dst, `","pos_id":`...)
		dst = strconv.AppendInt(dst, int64(posID), 10)
		dst = append(dst, `,"pos_seq":`...)
		dst = strconv.AppendInt(dst, int64(i), 10)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendActions appends a page's "actions" array (none: nothing).
func appendActions(dst []byte, acts []action) []byte {
	if len(acts) == 0 {
		return dst
	}
	dst = append(dst, `,"actions":[`...)
	for i := range acts {
		a := &acts[i]
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"action_id":"`...)
		dst = append(dst, a.id...)
		dst = append(dst, `","item_type":"`...)
		dst = append(dst, a.itemType...)
		dst = append(dst, `","item":"`...)
		dst = strconv.AppendInt(dst, int64(a.item), 10)
		dst = append(dst, `","ts":`...)
		dst = strconv.AppendInt(dst, a.ts, 10)
		dst = append(dst, '}')
	}
	return append(dst, ']')
}

// appendPageStart appends a page log up to its page fields: common, page
// id, last page, during time, and the item of a detail page or of a
// search's result list (done: the caller adds no other item). Its random
// draws are part of the generators' deterministic sequence.
func appendPageStart(dst []byte, r *rand.Rand, common []byte, page, last uint8, during int64, sku int) ([]byte, bool) {
	dst = append(dst, `{"common":`...)
	dst = append(dst, common...)
	dst = append(dst, `,"page":{"page_id":"`...)
	dst = append(dst, pageNames[page]...)
	if last != numPages {
		dst = append(dst, `","last_page_id":"`...)
		dst = append(dst, pageNames[last]...)
	}
	dst = append(dst, `","during_time":`...)
	dst = strconv.AppendInt(dst, during, 10)
	switch {
	case page == pGoodDetail:
		dst = append(dst, `,"item_type":"sku_id","item":"`...)
		dst = strconv.AppendInt(dst, int64(sku), 10)
		dst = append(dst, '"')
		if last != numPages && hasDisplays[last] {
			dst = append(dst, `,"from_pos_id":`...)
			dst = strconv.AppendInt(dst, int64(1+r.IntN(numPosIDs)), 10)
			dst = append(dst, `,"from_pos_seq":`...)
			dst = strconv.AppendInt(dst, int64(r.IntN(maxDisplays)), 10)
		}
		return dst, true
	case page == pGoodList && last == pSearch:
		dst = append(dst, `,"item_type":"keyword","item":"`...)
		dst = append(dst, searchKeywords[r.IntN(len(searchKeywords))]...)
		return append(dst, '"'), true
	}
	return dst, false
}

// pageAt returns a session's page at step and its neighbours on the path
// (numPages where there is none).
func pageAt(pages []uint8, step int) (page, last, next uint8) {
	page, last, next = pages[step], numPages, numPages
	if step > 0 {
		last = pages[step-1]
	}
	if step+1 < len(pages) {
		next = pages[step+1]
	}
	return page, last, next
}
