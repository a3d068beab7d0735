package mock

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"time"
)

// ShopConfig configures the shop simulator. Zero values get defaults.
type ShopConfig struct {
	Seed     int64          // default 1
	Date     string         // business date yyyy-MM-dd, default "2026-11-21"
	Location *time.Location // default Asia/Shanghai
	// Users is the number of users registered before the run (ids 1..Users);
	// default 1000. Half the sessions are of these users, logged in.
	Users int
	// Devices is the number of distinct mids, default 2000.
	Devices int
	// Sessions is the number of sessions, spread evenly (at random) over 24
	// hours from Start; default 10000.
	Sessions int
	// Start is the time of the first session, epoch ms; default 00:00 of Date.
	Start int64
	// ErrRate is the fraction of app logs with an "err" block, default 0.03.
	ErrRate float64
	// Bootstrap emits the seed dimension rows and the existing users first,
	// as Maxwell's bootstrap of each table (bootstrap-start, -insert...,
	// -complete), as the warehouse needs them before any fact.
	Bootstrap bool
	// Disorder, if > 0, delays each app log by a random 0..Disorder in the
	// output order (its ts unchanged): bounded out-of-orderness for tests.
	// Database changes stay in commit order, as a binlog has them.
	Disorder time.Duration
	// IDBase is the largest id already used per table (ids continue after
	// it): a run against a database that has rows from earlier runs.
	IDBase map[string]int64
}

// Validate reports a configuration NewShop would reject.
func (c ShopConfig) Validate() error {
	var errs []error
	if c.Date != "" {
		if _, err := time.Parse(dateLayout, c.Date); err != nil {
			errs = append(errs, fmt.Errorf("mock: date %q is not a yyyy-MM-dd date", c.Date))
		}
	}
	if c.Users < 0 || c.Devices < 0 || c.Sessions < 0 {
		errs = append(errs, errors.New("mock: users, devices and sessions must be >= 0 (0: default)"))
	}
	if !(c.ErrRate >= 0 && c.ErrRate <= 1) {
		errs = append(errs, fmt.Errorf("mock: error rate %v must be within [0,1]", c.ErrRate))
	}
	if c.Disorder < 0 {
		errs = append(errs, errors.New("mock: disorder must be >= 0"))
	}
	return errors.Join(errs...)
}

// Event is one output of the shop: an app-log line or a database
// transaction, in event-time order (see ShopConfig.Disorder).
type Event struct {
	TS  int64  // event time, epoch ms
	Log []byte // a topic_log line, or nil; valid until the next call to Next
	Mid int    // the log's device: common.mid is "mid_<Mid>"
	Txn *Txn   // a business transaction, or nil
}

// TableStats counts the row changes emitted for one table.
type TableStats struct{ Inserts, Updates, Deletes, Bootstrap int64 }

// Stats counts what a Shop emitted so far.
type Stats struct {
	Sessions, Logs, ErrLogs int64
	Txns, Changes           int64 // transactions and row changes (bootstrap records included)
	Tables                  map[string]*TableStats
}

// Rows returns the number of rows the table holds after the run, counting
// its seed (bootstrap) rows: inserts - deletes + bootstrap inserts.
func (s *Stats) Rows(table string) int64 {
	t := s.Tables[table]
	if t == nil {
		return 0
	}
	return t.Bootstrap + t.Inserts - t.Deletes
}

// Shop simulates the gmall shop: users, devices and sessions producing app
// logs, and the business lifecycle of SPEC §6 producing row changes. It is
// deterministic for a given configuration and not safe for concurrent use.
type Shop struct {
	cfg ShopConfig
	cat *catalogue
	lg  *LogGenerator // shares rng; lends device, session-id, start-log and err helpers
	rng *rand.Rand
	loc *time.Location

	tasks   []*task // min-heap on (ts, seq)
	outs    []*out  // min-heap on (key, seq)
	seq     uint64
	boot    []*Txn
	started int
	gapMs   int
	xid     int64
	ids     map[*Table]int64
	users   []*user // index id-1; existing users made on first use
	stats   Stats
	line    []byte
	disMs   int64

	dtSec   int64 // cache of the last formatted second
	dtValue Value

	t tables
}

// tables caches the tables the simulator writes.
type tables struct {
	user, favor, cart, couponUse, order, detail, detailAct, detailCoupon,
	payment, refund, refundPay, comment *Table
}

type user struct {
	id      int64
	name    string
	nick    string
	cart    []*cartItem
	coupons []*couponHeld
	unpaid  []*order
}

type cartItem struct {
	sku *skuItem
	row Row
}

type couponHeld struct {
	def *couponDef
	row Row
}

type orderLine struct {
	sku                      *skuItem
	num                      int64
	amount, act, coupon      int64 // hundredths
	activity                 *activityDef
	rule                     *activityRule
	row                      Row
	couponApplies, actApplys bool
}

type order struct {
	id       int64
	u        *user
	row      Row
	lines    []*orderLine
	coupon   *couponHeld
	cancelAt int64
	paying   bool
	payRow   Row
	refLine  *orderLine
	refRow   Row
	rpRow    Row
}

// task kinds
const (
	kArrive uint8 = iota
	kPage
	kCallback
	kCancel
	kFinish
	kComment
	kRefund
	kRefundApprove
	kRefundPay
	kRefundDone
)

type task struct {
	ts   int64
	seq  uint64
	kind uint8
	s    *shopSession
	o    *order
}

type out struct {
	key int64
	seq uint64
	ev  Event
	buf []byte
}

type shopSession struct {
	session
	mid      int
	ar       int
	dm       *deviceModel
	osName   string
	ch       string
	vc       string
	sid      []byte
	uid      int64
	u        *user
	pay      *order     // order paid on this session's payment page
	plan     []planLine // order to create on the payment page
	buyOrder *order
}

type planLine struct {
	sku  *skuItem
	num  int64
	cart *cartItem
}

// Defaults of ShopConfig.
const (
	defaultShopUsers    = 1000
	defaultShopDevices  = 2000
	defaultShopSessions = 10000
)

// NewShop validates cfg and returns a simulator.
func NewShop(cfg ShopConfig) (*Shop, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = defaultLogSeed
	}
	if cfg.Date == "" {
		cfg.Date = defaultLogDate
	}
	if cfg.Location == nil {
		cfg.Location = defaultLocation()
	}
	if cfg.Users == 0 {
		cfg.Users = defaultShopUsers
	}
	if cfg.Devices == 0 {
		cfg.Devices = defaultShopDevices
	}
	if cfg.Sessions == 0 {
		cfg.Sessions = defaultShopSessions
	}
	if cfg.ErrRate == 0 {
		cfg.ErrRate = defaultLogErrRate
	}
	day, _ := time.ParseInLocation(dateLayout, cfg.Date, cfg.Location)
	if cfg.Start == 0 {
		cfg.Start = day.UnixMilli()
	}
	lg, err := NewLogGenerator(LogConfig{Seed: cfg.Seed, Date: cfg.Date, Location: cfg.Location, Devices: cfg.Devices, Users: cfg.Users, ErrRate: cfg.ErrRate})
	if err != nil {
		return nil, err
	}
	seed := uint64(cfg.Seed)
	// The shop's own stream, distinct from `mock logs` for the same seed.
	lg.rng = rand.New(rand.NewPCG(seed, mix64(seed^0x73686f702d73696d))) // "shop-sim"
	sh := &Shop{
		cfg:   cfg,
		cat:   shopCatalogue(),
		lg:    lg,
		rng:   lg.rng,
		loc:   cfg.Location,
		gapMs: int(86_400_000 / int64(cfg.Sessions)),
		ids:   map[*Table]int64{},
		users: make([]*user, cfg.Users),
		stats: Stats{Tables: map[string]*TableStats{}},
		disMs: cfg.Disorder.Milliseconds(),
		dtSec: -1,
	}
	sh.t = tables{
		user: TableByName("user_info"), favor: TableByName("favor_info"), cart: TableByName("cart_info"),
		couponUse: TableByName("coupon_use"), order: TableByName("order_info"), detail: TableByName("order_detail"),
		detailAct: TableByName("order_detail_activity"), detailCoupon: TableByName("order_detail_coupon"),
		payment: TableByName("payment_info"), refund: TableByName("order_refund_info"),
		refundPay: TableByName("refund_payment"), comment: TableByName("comment_info"),
	}
	for name, base := range cfg.IDBase {
		if t := TableByName(name); t != nil {
			sh.ids[t] = base
		}
	}
	if _, ok := cfg.IDBase["user_info"]; !ok {
		sh.ids[sh.t.user] = int64(cfg.Users)
	}
	if cfg.Bootstrap {
		sh.boot = BootstrapTxns(cfg.Users, cfg.Start, cfg.Location)
	}
	sh.push(&task{ts: cfg.Start, kind: kArrive})
	return sh, nil
}

// BootstrapTxns returns Maxwell's bootstrap of every seed table and of
// users 1..users (one Txn per table), stamped at ts.
func BootstrapTxns(users int, ts int64, loc *time.Location) []*Txn {
	var out []*Txn
	add := func(t *Table, rows []Row) {
		tx := &Txn{TS: ts, Bootstrap: true}
		tx.Changes = append(tx.Changes, Change{Table: t, Type: TypeBootstrapStart})
		for _, r := range rows {
			tx.Changes = append(tx.Changes, Change{Table: t, Type: TypeBootstrapInsert, Data: r})
		}
		tx.Changes = append(tx.Changes, Change{Table: t, Type: TypeBootstrapComplete})
		out = append(out, tx)
	}
	for _, st := range Seed() {
		add(st.Table, st.Rows)
	}
	rows := make([]Row, users)
	for i := range rows {
		rows[i] = ExistingUserRow(int64(i+1), ts, loc)
	}
	add(TableByName("user_info"), rows)
	return out
}

// Stats returns the counters of what was emitted so far.
func (sh *Shop) Stats() *Stats { return &sh.stats }

// Clock returns the simulated time reached, epoch ms.
func (sh *Shop) Clock() int64 {
	if len(sh.tasks) > 0 {
		return sh.tasks[0].ts
	}
	return 0
}

// Next returns the next event, or false when the day's sessions and every
// follow-up (payments, cancels, refunds, comments) are done.
func (sh *Shop) Next() (Event, bool) {
	if len(sh.boot) > 0 {
		tx := sh.boot[0]
		sh.boot = sh.boot[1:]
		sh.count(tx)
		return Event{TS: tx.TS, Txn: tx}, true
	}
	for {
		if len(sh.outs) > 0 && (len(sh.tasks) == 0 || sh.outs[0].key <= sh.tasks[0].ts) {
			o := sh.popOut()
			ev := o.ev
			if ev.Txn != nil {
				sh.xid++
				ev.Txn.Xid = sh.xid
				sh.count(ev.Txn)
			} else {
				sh.line = append(sh.line[:0], o.buf...)
				ev.Log = sh.line
				sh.stats.Logs++
				if bytes.Contains(ev.Log, []byte(`,"err":{`)) {
					sh.stats.ErrLogs++
				}
			}
			return ev, true
		}
		if len(sh.tasks) == 0 {
			return Event{}, false
		}
		sh.run(sh.popTask())
	}
}

func (sh *Shop) count(tx *Txn) {
	sh.stats.Txns++
	for i := range tx.Changes {
		c := &tx.Changes[i]
		sh.stats.Changes++
		ts := sh.stats.Tables[c.Table.Name]
		if ts == nil {
			ts = &TableStats{}
			sh.stats.Tables[c.Table.Name] = ts
		}
		switch c.Type {
		case TypeInsert:
			ts.Inserts++
		case TypeUpdate:
			ts.Updates++
		case TypeDelete:
			ts.Deletes++
		case TypeBootstrapInsert:
			ts.Bootstrap++
		}
	}
}

// ---------------------------------------------------------------------------
// Helpers.

func (sh *Shop) nextID(t *Table) int64 {
	sh.ids[t]++
	return sh.ids[t]
}

// dt formats epoch ms as a DATETIME in the business time zone.
func (sh *Shop) dt(ms int64) Value {
	sec := ms / 1000
	if sec != sh.dtSec {
		sh.dtSec = sec
		sh.dtValue = Str(time.Unix(sec, 0).In(sh.loc).Format(datetimeLayout))
	}
	return sh.dtValue
}

func (sh *Shop) between(lo, hi time.Duration) int64 {
	return lo.Milliseconds() + sh.rng.Int64N((hi-lo).Milliseconds()+1)
}

// emitTxn queues a transaction at ts.
func (sh *Shop) emitTxn(ts int64, changes ...Change) {
	sh.pushOut(&out{key: ts, ev: Event{TS: ts, Txn: &Txn{TS: ts, Changes: changes}}})
}

// insert builds an insert change of row.
func insert(t *Table, row Row) Change { return Change{Table: t, Type: TypeInsert, Data: row} }

// update returns the change that sets cols (name, value pairs) on *row, and
// makes *row the new row (rows in changes are never modified in place).
func update(t *Table, row *Row, kv ...any) Change {
	old := *row
	nr := old.Clone()
	for i := 0; i < len(kv); i += 2 {
		nr[t.Col(kv[i].(string))] = kv[i+1].(Value)
	}
	*row = nr
	return Change{Table: t, Type: TypeUpdate, Data: nr, Old: old}
}

func (sh *Shop) userByID(id int64) *user {
	if id <= int64(len(sh.users)) {
		u := sh.users[id-1]
		if u == nil {
			r := ExistingUserRow(id, sh.cfg.Start, sh.loc)
			u = &user{id: id, name: r[sh.t.user.Col("name")].String(), nick: r[sh.t.user.Col("nick_name")].String()}
			sh.users[id-1] = u
		}
		return u
	}
	return nil
}

// ---------------------------------------------------------------------------
// Tasks.

func (sh *Shop) schedule(ts int64, kind uint8, s *shopSession, o *order) {
	sh.push(&task{ts: ts, kind: kind, s: s, o: o})
}

func (sh *Shop) run(t *task) {
	switch t.kind {
	case kArrive:
		sh.arrive(t.ts)
	case kPage:
		sh.page(t.s)
	case kCallback:
		sh.callback(t.ts, t.o)
	case kCancel:
		sh.cancel(t.ts, t.o)
	case kFinish:
		sh.finish(t.ts, t.o)
	case kComment:
		sh.comment(t.ts, t.o)
	case kRefund:
		sh.refundStart(t.ts, t.o)
	case kRefundApprove:
		sh.refundApprove(t.ts, t.o)
	case kRefundPay:
		sh.refundPay(t.ts, t.o)
	case kRefundDone:
		sh.refundDone(t.ts, t.o)
	}
}

// arrive starts a session at ts and schedules the next arrival.
func (sh *Shop) arrive(ts int64) {
	r := sh.rng
	s := &shopSession{}
	seq := sh.lg.sessions
	sh.lg.sessions++
	x := r.IntN(logPathTotal)
	pi := 0
	for x >= logPathCum[pi] {
		pi++
	}
	s.session = session{ts: ts, seq: seq, pages: logPaths[pi].pages}
	s.mid = 1 + r.IntN(sh.cfg.Devices)
	h := mix64(uint64(s.mid) ^ sh.lg.devKey)
	s.dm = &deviceModels[h%uint64(len(deviceModels))]
	if s.dm.ios {
		s.osName = iosVersions[(h>>20)%uint64(len(iosVersions))]
		s.ch = "Appstore"
	} else {
		s.osName = androidVersions[(h>>20)%uint64(len(androidVersions))]
		s.ch = androidChannels[(h>>28)%uint64(len(androidChannels))]
	}
	s.isNew = !sh.lg.hasSeen(s.mid) && !sh.lg.isOldDevice(s.mid)
	sh.lg.seen[s.mid>>6] |= 1 << (s.mid & 63)
	s.ar = 1 + r.IntN(numProvinces)
	s.sid = sh.lg.appendSid(nil, seq)
	if r.IntN(2) == 0 {
		s.u = sh.userByID(1 + r.Int64N(int64(sh.cfg.Users)))
		s.uid = s.u.id
	}
	s.vc = appVersions[r.IntN(len(appVersions))]
	sh.buildCommon(s)
	sh.stats.Sessions++

	buf := sh.lg.appendStart(nil, &s.session) // advances s.ts past the ad
	sh.pushLog(ts, s.mid, buf)
	sh.schedule(s.ts, kPage, s, nil)

	sh.started++
	if sh.started < sh.cfg.Sessions {
		sh.schedule(ts+int64(r.IntN(2*sh.gapMs+1)), kArrive, nil, nil)
	}
}

func (sh *Shop) pushLog(ts int64, mid int, buf []byte) {
	key := ts
	if sh.disMs > 0 {
		key += sh.rng.Int64N(sh.disMs + 1)
	}
	sh.pushOut(&out{key: key, ev: Event{TS: ts, Mid: mid}, buf: buf})
}

func (sh *Shop) buildCommon(s *shopSession) {
	c := s.common[:0]
	c = append(c, `{"ar":"`...)
	c = strconv.AppendInt(c, int64(s.ar), 10)
	c = append(c, `","ba":"`...)
	c = append(c, s.dm.brand...)
	c = append(c, `","ch":"`...)
	c = append(c, s.ch...)
	if s.isNew {
		c = append(c, `","is_new":"1","md":"`...)
	} else {
		c = append(c, `","is_new":"0","md":"`...)
	}
	c = append(c, s.dm.model...)
	c = append(c, `","mid":"mid_`...)
	c = strconv.AppendInt(c, int64(s.mid), 10)
	c = append(c, `","os":"`...)
	c = append(c, s.osName...)
	c = append(c, `","sid":"`...)
	c = append(c, s.sid...)
	if s.uid != 0 {
		c = append(c, `","uid":"`...)
		c = strconv.AppendInt(c, s.uid, 10)
	}
	c = append(c, `","vc":"`...)
	c = append(c, s.vc...)
	c = append(c, `"}`...)
	s.common = c
}
