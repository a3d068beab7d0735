package connector

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'nexmark' connector: Nexmark's Person/Auction/Bid events as a
// source, with the options of Flink's nexmark suite source (its
// ddl_gen.sql) and the generator of nexmark_gen.go.
//
// As datagen, the connector writes its events into an internal topic the
// job reads ("_rtdw-nexmark-<table>-<hash>"; the hash covers the schema
// and options, so a changed table starts a new topic), in rtdw's binary
// row encoding (the fastest for the source to decode). Event n goes to
// partition n % 'scan.parallelism' (default 1), keyed by n: each
// partition's events are in event-time order, as each of Flink's
// parallel generators, and a restart generates only the events after the
// last one each partition holds.
//
// Bounded ('events.num' > 0, or 'stop-at'): the events are written before
// the job starts (the Context's AddPrepare), as fast as possible (Flink's
// max-emit-speed). Unbounded ('events.num' = 0): a generator goroutine
// writes 'first-event.rate' events per second of wall-clock time while
// the process runs (rtdw keeps events in a durable log, so it does not
// generate them at full speed forever as Flink's unbounded source does).
// Event times follow from the event numbers and 'first-event.rate' either
// way, from 'base-time' (rtdw's option, default 2024-01-01 00:00:00;
// Flink uses the job's start time, which makes runs differ).
//
// The table's physical columns are Flink's: event_type INT, person
// ROW<id, name, emailAddress, creditCard, city, state, dateTime, extra>,
// auction ROW<id, itemName, description, initialBid, reserve, dateTime,
// expires, seller, category, extra>, bid ROW<auction, bidder, price,
// channel, url, dateTime, extra>. Columns and ROW fields are matched by
// name (case-insensitively), so a DDL may leave some out or reorder them;
// integer fields may be any integer type, strings CHAR/VARCHAR/STRING,
// times TIMESTAMP or TIMESTAMP_LTZ. The computed dateTime column and the
// watermark are the DDL's, as in Flink.

var nexmarkFactory = &Factory{
	Name: "nexmark",
	Doc:  "Nexmark's Person, Auction and Bid events, generated as Flink's nexmark source (its options, fields and defaults), seeded: the same events on every run.",
	Options: []OptionSpec{
		spec("first-event.rate", "10000", false, "Events per second of event time: event n happens n / rate seconds after 'base-time'; also the pace of an unbounded source."),
		spec("next-event.rate", "10000", false, "Accepted and not used (Flink's generator uses 'first-event.rate' only)."),
		spec("events.num", "0", false, "Events to generate: a bounded source; 0: unbounded."),
		spec("stop-at", "-1", false, "Stop after this many events (with 'events.num': the smaller); -1: no limit."),
		spec("person.proportion", "1", false, "People among every person + auction + bid proportion events."),
		spec("auction.proportion", "3", false, "Auctions among them."),
		spec("bid.proportion", "46", false, "Bids among them."),
		spec("person.avg-size", "200b", false, "Average size of a person: its 'extra' pads it ('200b', '1kb')."),
		spec("auction.avg-size", "500b", false, "Average size of an auction."),
		spec("bid.avg-size", "100b", false, "Average size of a bid."),
		spec("bid.hot-ratio.auctions", "2", false, "1 - 1/ratio of the bids are for a hot auction."),
		spec("bid.hot-ratio.bidders", "4", false, "1 - 1/ratio of the bids are by a hot bidder."),
		spec("auction.hot-ratio.sellers", "4", false, "1 - 1/ratio of the auctions are by a hot seller."),
		spec("seed", "0", false, "rtdw: seed of the random values; event n depends only on the seed, n and the options (Flink's generator is not seeded)."),
		spec("base-time", "2024-01-01 00:00:00", false, "rtdw: time of the first event: 'yyyy-MM-dd HH:mm:ss[.SSS]' (a TIMESTAMP, read as UTC) or epoch milliseconds (Flink: the job's start time)."),
		spec("scan.parallelism", "1", false, "Partitions of the generated topic (event n in partition n % parallelism), as Flink's parallel generators."),
		spec("rate.shape", "SQUARE", false, "Accepted and not used."),
		spec("rate.period", "600 s", false, "Accepted and not used."),
		spec("rate.limited", "false", false, "Accepted and not used: a bounded source is generated at once, an unbounded one at 'first-event.rate'."),
		spec("keep-alive", "false", false, "Accepted and not used."),
		spec("max-emit-speed", "true", false, "Accepted and not used (see 'rate.limited')."),
	},
}

func init() {
	nexmarkFactory.NewSource = newNexmark
	Register(nexmarkFactory)
}

type nexmarkSource struct {
	ctx        *Context
	t          *Table
	gen        *NexmarkGenerator
	enc        *nexmarkEncoder
	fast       bool  // Flink's DDL exactly: nexmark_codec.go's encoder and decoder
	events     int64 // -1: unbounded
	partitions int32
	topic      string
	started    bool
}

func newNexmark(ctx *Context, t *Table) (Source, error) {
	f := nexmarkFactory
	if err := checkOptions(ctx, f, t, nil); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	if err := l.noMetadata(f); err != nil {
		return nil, err
	}
	c := NexmarkDefaults()
	ints := []struct {
		key string
		dst *int64
	}{
		{"first-event.rate", &c.Rate},
		{"person.proportion", &c.PersonProportion},
		{"auction.proportion", &c.AuctionProportion},
		{"bid.proportion", &c.BidProportion},
	}
	for _, o := range ints {
		if *o.dst, err = intOpt(f, t, o.key, *o.dst); err != nil {
			return nil, err
		}
	}
	ratios := []struct {
		key string
		dst *int
	}{
		{"bid.hot-ratio.auctions", &c.HotAuctionRatio},
		{"bid.hot-ratio.bidders", &c.HotBiddersRatio},
		{"auction.hot-ratio.sellers", &c.HotSellersRatio},
	}
	for _, o := range ratios {
		n, err := intOpt(f, t, o.key, int64(*o.dst))
		if err != nil {
			return nil, err
		}
		if n <= 0 || n > 1<<30 {
			return nil, fmt.Errorf("%s: '%s' must be a positive integer", where(f, t), o.key)
		}
		*o.dst = int(n)
	}
	sizes := []struct {
		key string
		dst *int
	}{
		{"person.avg-size", &c.AvgPersonSize},
		{"auction.avg-size", &c.AvgAuctionSize},
		{"bid.avg-size", &c.AvgBidSize},
	}
	for _, o := range sizes {
		v, ok := t.Options[o.key]
		if !ok {
			continue
		}
		n, err := parseMemorySize(v)
		if err != nil {
			return nil, fmt.Errorf("%s: '%s' = '%s': %v", where(f, t), o.key, v, err)
		}
		*o.dst = int(min(n, 1<<30))
	}
	seed, err := intOpt(f, t, "seed", 0)
	if err != nil {
		return nil, err
	}
	c.Seed = uint64(seed)
	if v, ok := t.Options["base-time"]; ok {
		if c.BaseTime, err = ParseNexmarkBaseTime(v); err != nil {
			return nil, fmt.Errorf("%s: 'base-time' = '%s': %v", where(f, t), v, err)
		}
	}
	gen, err := NewNexmarkGenerator(c)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", where(f, t), err)
	}
	n := &nexmarkSource{ctx: ctx, t: t, gen: gen, events: -1}
	num, err := intOpt(f, t, "events.num", 0)
	if err != nil {
		return nil, err
	}
	stop, err := intOpt(f, t, "stop-at", -1)
	if err != nil {
		return nil, err
	}
	if num < 0 {
		return nil, fmt.Errorf("%s: 'events.num' must not be negative", where(f, t))
	}
	if num > 0 {
		n.events = num
	}
	if stop >= 0 && (n.events < 0 || stop < n.events) {
		n.events = stop
	}
	par, err := intOpt(f, t, "scan.parallelism", 1)
	if err != nil {
		return nil, err
	}
	if par < 1 || par > 1024 {
		return nil, fmt.Errorf("%s: 'scan.parallelism' must be from 1 to 1024", where(f, t))
	}
	n.partitions = int32(par)
	if n.enc, err = newNexmarkEncoder(t.Schema); err != nil {
		return nil, fmt.Errorf("%s: %v", where(f, t), err)
	}
	n.fast = n.enc.nexmarkCanonical()
	n.topic = internalTopicName("_rtdw-nexmark-", t)
	return n, nil
}

// parseMemorySize reads Flink's memory sizes: '200b', '1kb', '2 mb', '100'.
func parseMemorySize(v string) (int64, error) {
	s := strings.ToLower(strings.TrimSpace(v))
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil {
		return 0, fmt.Errorf("not a memory size (e.g. '200b', '1kb')")
	}
	mult := map[string]int64{"": 1, "b": 1, "bytes": 1, "k": 1 << 10, "kb": 1 << 10, "kibibytes": 1 << 10, "m": 1 << 20, "mb": 1 << 20, "mebibytes": 1 << 20}
	u, ok := mult[strings.TrimSpace(s[i:])]
	if !ok {
		return 0, fmt.Errorf("unknown memory unit %q", strings.TrimSpace(s[i:]))
	}
	return n * u, nil
}

// ParseNexmarkBaseTime reads 'base-time': epoch milliseconds or a
// timestamp text (UTC).
func ParseNexmarkBaseTime(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, nil
	}
	ms, _, err := row.ParseTimestamp(v)
	if err != nil {
		return 0, fmt.Errorf("want 'yyyy-MM-dd HH:mm:ss' or epoch milliseconds")
	}
	return ms, nil
}

// internalTopicName names a generated table's topic after the table and a
// hash of its schema and options.
func internalTopicName(prefix string, t *Table) string {
	h := sha256.New()
	h.Write([]byte(t.Schema.String()))
	keys := make([]string, 0, len(t.Options))
	for k := range t.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, t.Options[k])
	}
	name := []byte(t.ObjectName)
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			name[i] = '_'
		}
	}
	if len(name) > 150 {
		name = name[:150]
	}
	return prefix + string(name) + "-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// Mode: events are inserts.
func (n *nexmarkSource) Mode() ChangelogMode { return InsertOnly }

// Attach registers the generation (Context.AddPrepare) and reads the
// generated topic.
func (n *nexmarkSource) Attach(j *stream.Job, opts ...stream.SourceOption) (stream.Stream, error) {
	if n.ctx != nil && n.ctx.AddPrepare != nil && !n.started {
		n.started = true
		n.ctx.AddPrepare(n.prepare)
	}
	schema, fast := n.t.Schema, n.fast
	decode := stream.Decoded(func() stream.RowDecode {
		var r row.Row
		var d nexmarkDecoder
		return func(value []byte, emit func(*row.Row)) error {
			if fast && d.decode(value, &r) == nil {
				emit(&r)
				return nil
			}
			if err := row.DecodeRow(value, schema, &r); err != nil {
				return stream.BadInput("bad_row", "%v", err)
			}
			emit(&r)
			return nil
		}
	})
	return j.Source(n.topic, append(slices.Clone(opts), decode)...), nil
}

// prepare writes the bounded events, or starts the unbounded generator.
func (n *nexmarkSource) prepare() error {
	if n.ctx == nil || n.ctx.Log == nil {
		return fmt.Errorf("%s: needs the log to write its events to", where(nexmarkFactory, n.t))
	}
	ctx := context.Background()
	if _, err := rlog.EnsureTopic(ctx, n.ctx.Log, n.topic, rlog.TopicConfig{Partitions: n.partitions}); err != nil {
		return fmt.Errorf("nexmark %s: %w", n.t.Name, err)
	}
	next := make([]int64, n.partitions)
	for p := range n.partitions {
		var err error
		if next[p], err = n.written(ctx, p); err != nil {
			return fmt.Errorf("nexmark %s: %w", n.t.Name, err)
		}
	}
	if n.events < 0 {
		startNexmarkGenerator(n, next)
		return nil
	}
	var wg sync.WaitGroup
	errs := make([]error, n.partitions)
	for p := range n.partitions {
		wg.Go(func() { errs[p] = n.writeEvents(ctx, n.ctx.Log, p, next[p], n.events) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// written is the next event number partition p is due: the one after the
// event in the key of its last record.
func (n *nexmarkSource) written(ctx context.Context, p int32) (int64, error) {
	tp := rlog.TopicPartition{Topic: n.topic, Partition: p}
	start, end, err := n.ctx.Log.Offsets(ctx, tp)
	if err != nil {
		return 0, err
	}
	for off := end - 1; off >= start && off >= end-16; off-- {
		recs, err := n.ctx.Log.Fetch(ctx, tp, off, 1, 0)
		if err != nil {
			return 0, err
		}
		if len(recs) == 1 && len(recs[0].Key) == 8 {
			return int64(binary.BigEndian.Uint64(recs[0].Key)) + int64(n.partitions), nil
		}
	}
	return int64(p), nil
}

// nexmarkBatch is how many events one Produce call writes.
const nexmarkBatch = 4096

// writeEvents writes partition p's events from event number from (which
// must be in partition p) up to end (exclusive) into l, in batches.
func (n *nexmarkSource) writeEvents(ctx context.Context, l rlog.Log, p int32, from, end int64) error {
	step := int64(n.partitions)
	enc := n.enc.clone()
	recs := make([]rlog.Record, 0, nexmarkBatch)
	var buf []byte
	var ev NexmarkEvent
	var err error
	for i := from; i < end; i += step {
		if len(recs) == 0 {
			buf = make([]byte, 0, nexmarkBatch*160)
		}
		n.gen.Event(i, &ev)
		start := len(buf)
		buf = binary.BigEndian.AppendUint64(buf, uint64(i))
		vstart := len(buf)
		if n.fast {
			buf = appendCanonical(buf, &ev)
		} else if buf, err = enc.append(buf, &ev); err != nil {
			return fmt.Errorf("nexmark %s: event %d: %w", n.t.Name, i, err)
		}
		recs = append(recs, rlog.Record{Topic: n.topic, Partition: p, Key: buf[start:vstart:vstart],
			Value: buf[vstart:len(buf):len(buf)], Timestamp: ev.Time()})
		if len(recs) == nexmarkBatch || i+step >= end {
			if err := l.Produce(ctx, recs...); err != nil {
				return fmt.Errorf("nexmark %s: %w", n.t.Name, err)
			}
			recs = recs[:0]
		}
	}
	return nil
}

// Unbounded generators: one per log and topic in this process.
var (
	nexmarkGeneratorsMu sync.Mutex
	nexmarkGenerators   = map[generatorKey]bool{}
)

// startNexmarkGenerator writes first-event.rate events per second, from
// each partition's next event on, until the log refuses a write (it was
// closed).
func startNexmarkGenerator(n *nexmarkSource, next []int64) {
	key := generatorKey{n.ctx.Log, n.topic}
	nexmarkGeneratorsMu.Lock()
	defer nexmarkGeneratorsMu.Unlock()
	if nexmarkGenerators[key] {
		return
	}
	nexmarkGenerators[key] = true
	go func() {
		defer func() {
			nexmarkGeneratorsMu.Lock()
			delete(nexmarkGenerators, key)
			nexmarkGeneratorsMu.Unlock()
		}()
		const tick = 100 * time.Millisecond
		t := time.NewTicker(tick)
		defer t.Stop()
		step := int64(n.partitions)
		began := time.Now()
		// Events are due in number order: the first not yet written.
		base := slices.Min(next)
		rate := n.gen.Config().Rate
		for range t.C {
			due := base + int64(time.Since(began)/tick)*rate/int64(time.Second/tick)
			for p := range n.partitions {
				end := min(due, next[p]+100_000*step)
				if end <= next[p] {
					continue
				}
				if err := n.writeEvents(context.Background(), n.ctx.Log, p, next[p], end); err != nil {
					logger(n.ctx).Info("nexmark generator stopped", "table", n.t.Name, "err", err)
					return
				}
				// The first event of partition p at or after end.
				next[p] += (end - next[p] + step - 1) / step * step
			}
		}
	}()
}

// nexmarkEncoder writes events as binary rows of a table's schema: its
// columns and ROW fields matched to the events' fields by name.
type nexmarkEncoder struct {
	schema *row.Schema
	// cols[i] says what column i holds; person, auction, bid the ROW
	// columns' fields.
	cols                 []nexmarkCol
	person, auction, bid []nexmarkCol
	r                    row.Row
	fields               [3][]row.Value
}

// nexmarkCol is a column or ROW field: which event field (an index in the
// name lists below, or the ROW's kind) and its declared type.
type nexmarkCol struct {
	src  int
	kind row.Kind
	prec int // TIMESTAMP precision
}

var (
	nexmarkTopNames     = []string{"event_type", "person", "auction", "bid"}
	nexmarkPersonNames  = []string{"id", "name", "emailAddress", "creditCard", "city", "state", "dateTime", "extra"}
	nexmarkAuctionNames = []string{"id", "itemName", "description", "initialBid", "reserve", "dateTime", "expires", "seller", "category", "extra"}
	nexmarkBidNames     = []string{"auction", "bidder", "price", "channel", "url", "dateTime", "extra"}
	// The kinds of values of each field: 'i' integer, 's' string, 't' time.
	nexmarkPersonKinds  = "isssssts"
	nexmarkAuctionKinds = "issiittiis"
	nexmarkBidKinds     = "iiissts"
)

// NexmarkSchema is the physical schema of Flink's nexmark DDL.
func NexmarkSchema() *row.Schema {
	fields := func(names []string, kinds string) []row.Field {
		out := make([]row.Field, len(names))
		for i, n := range names {
			t := row.BigIntType
			switch kinds[i] {
			case 's':
				t = row.StringType
			case 't':
				t = row.TimestampOf(3)
			}
			out[i] = row.Field{Name: n, Type: t}
		}
		return out
	}
	return row.MustSchema(
		row.Column{Name: "event_type", Type: row.IntType},
		row.Column{Name: "person", Type: row.RowOf(fields(nexmarkPersonNames, nexmarkPersonKinds)...)},
		row.Column{Name: "auction", Type: row.RowOf(fields(nexmarkAuctionNames, nexmarkAuctionKinds)...)},
		row.Column{Name: "bid", Type: row.RowOf(fields(nexmarkBidNames, nexmarkBidKinds)...)},
	)
}

func nexmarkIndex(names []string, name string) int {
	for i, n := range names {
		if strings.EqualFold(n, name) {
			return i
		}
	}
	return -1
}

func nexmarkCheckType(what string, kind byte, t row.Type) error {
	ok := false
	switch kind {
	case 'i':
		ok = t.IsInteger()
	case 's':
		ok = t.IsString()
	case 't':
		ok = t.Kind == row.KindTimestamp || t.Kind == row.KindTimestampLTZ
	}
	if !ok {
		want := map[byte]string{'i': "an integer type (BIGINT)", 's': "a string type (VARCHAR)", 't': "TIMESTAMP(3) or TIMESTAMP_LTZ(3)"}[kind]
		return fmt.Errorf("column %s is %s: Nexmark's %s needs %s", what, t, what, want)
	}
	return nil
}

func newNexmarkEncoder(s *row.Schema) (*nexmarkEncoder, error) {
	e := &nexmarkEncoder{schema: s}
	for _, c := range s.Columns() {
		top := nexmarkIndex(nexmarkTopNames, c.Name)
		if top < 0 {
			return nil, fmt.Errorf("column %s is not a Nexmark column (event_type, person, auction, bid)", c.Name)
		}
		e.cols = append(e.cols, nexmarkCol{src: top, kind: c.Type.Kind})
		if top == 0 {
			if !c.Type.IsInteger() {
				return nil, fmt.Errorf("column event_type is %s: want INT", c.Type)
			}
			continue
		}
		if c.Type.Kind != row.KindRow {
			return nil, fmt.Errorf("column %s is %s: want a ROW of Nexmark's %s fields", c.Name, c.Type, nexmarkTopNames[top])
		}
		names, kinds := nexmarkPersonNames, nexmarkPersonKinds
		dst := &e.person
		switch top {
		case 2:
			names, kinds, dst = nexmarkAuctionNames, nexmarkAuctionKinds, &e.auction
		case 3:
			names, kinds, dst = nexmarkBidNames, nexmarkBidKinds, &e.bid
		}
		for _, fl := range c.Type.Fields {
			i := nexmarkIndex(names, fl.Name)
			if i < 0 {
				return nil, fmt.Errorf("field %s.%s is not a Nexmark field (%s)", c.Name, fl.Name, strings.Join(names, ", "))
			}
			if err := nexmarkCheckType(c.Name+"."+fl.Name, kinds[i], fl.Type); err != nil {
				return nil, err
			}
			*dst = append(*dst, nexmarkCol{src: i, kind: fl.Type.Kind, prec: fl.Type.Precision})
		}
		e.fields[top-1] = make([]row.Value, len(c.Type.Fields))
	}
	return e, nil
}

// clone returns an encoder of the same layout with its own buffers (an
// encoder is used by one goroutine at a time).
func (e *nexmarkEncoder) clone() *nexmarkEncoder {
	c := &nexmarkEncoder{schema: e.schema, cols: e.cols, person: e.person, auction: e.auction, bid: e.bid}
	for i, f := range e.fields {
		c.fields[i] = make([]row.Value, len(f))
	}
	return c
}

func nexmarkInt(c *nexmarkCol, x int64) row.Value { return intOf(c.kind, x) }

func nexmarkTime(c *nexmarkCol, ms int64) row.Value {
	if c.prec < 3 {
		ms, _ = row.TruncateTimestamp(ms, 0, c.prec)
	}
	if c.kind == row.KindTimestampLTZ {
		return row.TimestampLTZ(ms, 0)
	}
	return row.Timestamp(ms, 0)
}

func nexmarkStr(c *nexmarkCol, s string) row.Value {
	if c.kind == row.KindChar {
		return row.Char(s)
	}
	return row.String(s)
}

// values sets the encoder's row to event e.
func (e *nexmarkEncoder) values(ev *NexmarkEvent) *row.Row {
	e.r.Reset(row.Insert, len(e.cols))
	for i := range e.cols {
		c := &e.cols[i]
		switch {
		case c.src == 0:
			e.r.Values[i] = nexmarkInt(c, int64(ev.Type))
		case c.src-1 != ev.Type:
			// NULL: the event is of another type.
		case c.src == 1:
			vals, p := e.fields[0], &ev.Person
			for k := range e.person {
				f := &e.person[k]
				var v row.Value
				switch f.src {
				case 0:
					v = nexmarkInt(f, p.ID)
				case 1:
					v = nexmarkStr(f, p.Name)
				case 2:
					v = nexmarkStr(f, p.EmailAddress)
				case 3:
					v = nexmarkStr(f, p.CreditCard)
				case 4:
					v = nexmarkStr(f, p.City)
				case 5:
					v = nexmarkStr(f, p.State)
				case 6:
					v = nexmarkTime(f, p.DateTime)
				case 7:
					v = nexmarkStr(f, p.Extra)
				}
				vals[k] = v
			}
			e.r.Values[i] = row.Struct(vals)
		case c.src == 2:
			vals, a := e.fields[1], &ev.Auction
			for k := range e.auction {
				f := &e.auction[k]
				var v row.Value
				switch f.src {
				case 0:
					v = nexmarkInt(f, a.ID)
				case 1:
					v = nexmarkStr(f, a.ItemName)
				case 2:
					v = nexmarkStr(f, a.Description)
				case 3:
					v = nexmarkInt(f, a.InitialBid)
				case 4:
					v = nexmarkInt(f, a.Reserve)
				case 5:
					v = nexmarkTime(f, a.DateTime)
				case 6:
					v = nexmarkTime(f, a.Expires)
				case 7:
					v = nexmarkInt(f, a.Seller)
				case 8:
					v = nexmarkInt(f, a.Category)
				case 9:
					v = nexmarkStr(f, a.Extra)
				}
				vals[k] = v
			}
			e.r.Values[i] = row.Struct(vals)
		default:
			vals, b := e.fields[2], &ev.Bid
			for k := range e.bid {
				f := &e.bid[k]
				var v row.Value
				switch f.src {
				case 0:
					v = nexmarkInt(f, b.Auction)
				case 1:
					v = nexmarkInt(f, b.Bidder)
				case 2:
					v = nexmarkInt(f, b.Price)
				case 3:
					v = nexmarkStr(f, b.Channel)
				case 4:
					v = nexmarkStr(f, b.URL)
				case 5:
					v = nexmarkTime(f, b.DateTime)
				case 6:
					v = nexmarkStr(f, b.Extra)
				}
				vals[k] = v
			}
			e.r.Values[i] = row.Struct(vals)
		}
	}
	return &e.r
}

// append appends event e as a binary row of the table's schema.
func (e *nexmarkEncoder) append(dst []byte, ev *NexmarkEvent) ([]byte, error) {
	return row.AppendRow(dst, e.schema, e.values(ev))
}
