package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fastjson"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/embedded"
	"github.com/rtdw/rtdw/internal/row"
)

func testNexmarkGen(t testing.TB, c NexmarkConfig) *NexmarkGenerator {
	t.Helper()
	g, err := NewNexmarkGenerator(c)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// The specification's invariants over the first 100000 events.
func TestNexmarkGeneratorSpec(t *testing.T) {
	g := testNexmarkGen(t, NexmarkDefaults())
	const n = 100_000
	var counts [3]int
	var people, auctions int64
	var ev NexmarkEvent
	hotAuctionBids, hotBidderBids, hotSellers, channels := 0, 0, 0, map[string]bool{}
	var sizes [3]int
	prevTime := int64(-1)
	for i := int64(0); i < n; i++ {
		g.Event(i, &ev)
		counts[ev.Type]++
		// 1 person, then 3 auctions, then 46 bids, in every 50 events.
		want := NexmarkBidEvent
		switch r := i % 50; {
		case r < 1:
			want = NexmarkPersonEvent
		case r < 4:
			want = NexmarkAuctionEvent
		}
		if ev.Type != want {
			t.Fatalf("event %d: type %d, want %d", i, ev.Type, want)
		}
		// Time: base + i * 100 µs at the default 10000 events/s.
		if got, want := ev.Time(), NexmarkDefaultBaseTime+i/10; got != want {
			t.Fatalf("event %d: time %d, want %d", i, got, want)
		}
		if ev.Time() < prevTime {
			t.Fatalf("event %d: time goes back", i)
		}
		prevTime = ev.Time()
		switch ev.Type {
		case NexmarkPersonEvent:
			p := ev.Person
			if p.ID != NexmarkFirstPersonID+people {
				t.Fatalf("event %d: person id %d, want %d", i, p.ID, NexmarkFirstPersonID+people)
			}
			people++
			if !strings.Contains(p.EmailAddress, "@") || !strings.HasSuffix(p.EmailAddress, ".com") || len(p.CreditCard) != 19 || !strings.Contains(p.Name, " ") {
				t.Fatalf("event %d: person %+v", i, p)
			}
			sizes[0] += 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State) + len(p.Extra)
		case NexmarkAuctionEvent:
			a := ev.Auction
			if a.ID != NexmarkFirstAuctionID+auctions {
				t.Fatalf("event %d: auction id %d, want %d", i, a.ID, NexmarkFirstAuctionID+auctions)
			}
			auctions++
			if a.Category < 10 || a.Category > 14 || a.Expires <= a.DateTime || a.Reserve < a.InitialBid || a.InitialBid < 100 || a.InitialBid > 100_000_000 {
				t.Fatalf("event %d: auction %+v", i, a)
			}
			// The seller is an existing person or one of the 10 ahead.
			if a.Seller < NexmarkFirstPersonID || a.Seller >= NexmarkFirstPersonID+people+10 {
				t.Fatalf("event %d: seller %d with %d people", i, a.Seller, people)
			}
			if (a.Seller-NexmarkFirstPersonID)%100 == 0 {
				hotSellers++
			}
			sizes[1] += 8 + len(a.ItemName) + len(a.Description) + 40 + len(a.Extra)
		default:
			b := ev.Bid
			if b.Auction < NexmarkFirstAuctionID || b.Auction >= NexmarkFirstAuctionID+auctions+10 {
				t.Fatalf("event %d: bid for auction %d with %d auctions", i, b.Auction, auctions)
			}
			if b.Bidder < NexmarkFirstPersonID || b.Bidder >= NexmarkFirstPersonID+people+10 {
				t.Fatalf("event %d: bidder %d with %d people", i, b.Bidder, people)
			}
			if (b.Auction-NexmarkFirstAuctionID)%100 == 0 {
				hotAuctionBids++
			}
			if (b.Bidder-NexmarkFirstPersonID)%100 == 1 {
				hotBidderBids++
			}
			if !strings.HasPrefix(b.URL, "https://www.nexmark.com/") || b.Price < 100 || b.Price > 100_000_000 {
				t.Fatalf("event %d: bid %+v", i, b)
			}
			channels[b.Channel] = true
			sizes[2] += 32 + len(b.Extra)
		}
	}
	if counts != [3]int{n / 50, 3 * n / 50, 46 * n / 50} {
		t.Errorf("counts %v", counts)
	}
	// Hot ratios: about 1/2 of the bids for hot auctions, 3/4 by hot
	// bidders, 3/4 of the auctions by hot sellers (a little more: the
	// random choices hit hot ids too).
	within := func(what string, got, of int, lo, hi float64) {
		if f := float64(got) / float64(of); f < lo || f > hi {
			t.Errorf("%s: %.3f, want %.2f..%.2f", what, f, lo, hi)
		}
	}
	within("hot auction bids", hotAuctionBids, counts[2], 0.48, 0.55)
	within("hot bidder bids", hotBidderBids, counts[2], 0.73, 0.78)
	within("hot sellers", hotSellers, counts[1], 0.73, 0.78)
	within("person size / 200", sizes[0]/counts[0], 200, 0.95, 1.05)
	within("auction size / 500", sizes[1]/counts[1], 500, 0.95, 1.05)
	within("bid size / 100", sizes[2]/counts[2], 100, 0.95, 1.05)
	for _, c := range nexmarkHotChannel {
		if !channels[c] {
			t.Errorf("no bid on channel %s", c)
		}
	}
	if len(channels) < 1000 {
		t.Errorf("%d channels", len(channels))
	}
}

// Event n depends on the seed and n only.
func TestNexmarkGeneratorDeterministic(t *testing.T) {
	c := NexmarkDefaults()
	a, b := testNexmarkGen(t, c), testNexmarkGen(t, c)
	c.Seed = 7
	other := testNexmarkGen(t, c)
	var e1, e2, e3 NexmarkEvent
	same := 0
	for _, i := range []int64{0, 1, 4, 5, 49, 50, 12345, 999_999_999} {
		a.Event(i, &e1)
		b.Event(i, &e2)
		if e1 != e2 {
			t.Fatalf("event %d differs between generators: %+v vs %+v", i, e1, e2)
		}
		other.Event(i, &e3)
		if e1 == e3 {
			same++
		}
	}
	if same > 0 {
		t.Errorf("%d events equal under another seed", same)
	}
}

func TestNexmarkJSON(t *testing.T) {
	g := testNexmarkGen(t, NexmarkDefaults())
	var ev NexmarkEvent
	var p fastjson.Parser
	for _, i := range []int64{0, 1, 10} {
		g.Event(i, &ev)
		line := ev.AppendJSON(nil)
		var m map[string]any
		if err := json.Unmarshal(line, &m); err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		v, err := p.ParseBytes(line)
		if err != nil {
			t.Fatal(err)
		}
		if v.GetInt("event_type") != ev.Type {
			t.Errorf("%s: event_type", line)
		}
		for k, name := range []string{"person", "auction", "bid"} {
			if isNull := v.Get(name).Type() == fastjson.TypeNull; isNull != (k != ev.Type) {
				t.Errorf("%s: %s null = %v", line, name, isNull)
			}
		}
	}
	g.Event(0, &ev)
	want := `{"event_type":0,"person":{"id":1000,"name":"` + ev.Person.Name + `","emailAddress":"` + ev.Person.EmailAddress +
		`","creditCard":"` + ev.Person.CreditCard + `","city":"` + ev.Person.City + `","state":"` + ev.Person.State +
		`","dateTime":"2024-01-01 00:00:00.000","extra":"` + ev.Person.Extra + `"},"auction":null,"bid":null}`
	if got := string(ev.AppendJSON(nil)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// The connector writes the events of Flink's DDL into its topic, each
// partition resuming after its last event.
func TestNexmarkSourceTopic(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	schema := NexmarkSchema()
	tbl := &Table{Name: "nexmark", ObjectName: "nexmark", Schema: schema, Options: map[string]string{
		"connector": "nexmark", "events.num": "1000", "scan.parallelism": "3", "seed": "5"}}
	src, err := newNexmark(&Context{Log: l}, tbl)
	if err != nil {
		t.Fatal(err)
	}
	n := src.(*nexmarkSource)
	ctx := context.Background()
	// A partial earlier run: partition 1 has its first 10 events.
	if _, err := rlog.EnsureTopic(ctx, l, n.topic, rlog.TopicConfig{Partitions: 3}); err != nil {
		t.Fatal(err)
	}
	if err := n.writeEvents(ctx, l, 1, 1, 30); err != nil {
		t.Fatal(err)
	}
	if err := n.prepare(); err != nil {
		t.Fatal(err)
	}
	if err := n.prepare(); err != nil { // again: nothing more
		t.Fatal(err)
	}
	gen := n.gen
	var ev NexmarkEvent
	var r row.Row
	total := 0
	for p := int32(0); p < 3; p++ {
		tp := rlog.TopicPartition{Topic: n.topic, Partition: p}
		_, end, err := l.Offsets(ctx, tp)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := l.Fetch(ctx, tp, 0, int(end)+1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for k, rec := range recs {
			i := int64(p) + 3*int64(k)
			if got := rowKeyNum(rec.Key); got != i {
				t.Fatalf("partition %d record %d: event %d, want %d", p, k, got, i)
			}
			if err := row.DecodeRow(rec.Value, schema, &r); err != nil {
				t.Fatal(err)
			}
			gen.Event(i, &ev)
			if got := r.Values[0].Int64(); got != int64(ev.Type) {
				t.Fatalf("event %d: type %d, want %d", i, got, ev.Type)
			}
			if ev.Type == NexmarkBidEvent {
				b := r.Values[3].Elems()
				if b[0].Int64() != ev.Bid.Auction || b[2].Int64() != ev.Bid.Price || b[4].Str() != ev.Bid.URL || b[5].Millis() != ev.Bid.DateTime || !r.Values[1].IsNull() {
					t.Fatalf("event %d: %v, want %+v", i, r, ev.Bid)
				}
			}
			total++
		}
	}
	if total != 1000 {
		t.Errorf("%d events in the topic, want 1000", total)
	}
}

func rowKeyNum(k []byte) int64 {
	var n int64
	for _, b := range k {
		n = n<<8 | int64(b)
	}
	return n
}

func TestNexmarkSchemaChecks(t *testing.T) {
	bad := []struct{ ddl, err string }{
		{"event_type INT, other INT", "column other is not a Nexmark column"},
		{"event_type INT, bid ROW<auction BIGINT, price STRING>", "column bid.price is STRING"},
		{"event_type STRING", "column event_type is STRING"},
		{"bid ROW<nope BIGINT>", "field bid.nope is not a Nexmark field"},
	}
	for _, c := range bad {
		s, err := row.ParseSchema(c.ddl)
		if err != nil {
			t.Fatal(err)
		}
		_, err = newNexmark(&Context{}, &Table{Name: "t", ObjectName: "t", Schema: s, Options: map[string]string{"connector": "nexmark"}})
		if err == nil || !strings.Contains(err.Error(), c.err) {
			t.Errorf("%s: error %v, want %q", c.ddl, err, c.err)
		}
	}
	// A subset, reordered, with other integer and time types.
	s := row.MustParseSchema("bid ROW<price INT, dateTime TIMESTAMP_LTZ(3), auction BIGINT>, event_type TINYINT")
	src, err := newNexmark(&Context{}, &Table{Name: "t", ObjectName: "t", Schema: s, Options: map[string]string{"connector": "nexmark"}})
	if err != nil {
		t.Fatal(err)
	}
	enc := src.(*nexmarkSource).enc
	var ev NexmarkEvent
	src.(*nexmarkSource).gen.Event(10, &ev)
	b, err := enc.append(nil, &ev)
	if err != nil {
		t.Fatal(err)
	}
	var r row.Row
	if err := row.DecodeRow(b, s, &r); err != nil {
		t.Fatal(err)
	}
	if got := r.String(); !strings.HasPrefix(got, "+I[(") || !strings.HasSuffix(got, ", 2]") || !bytes.Contains([]byte(got), []byte("Z")) {
		t.Errorf("row %s", got)
	}
}

func BenchmarkNexmarkGenerate(b *testing.B) {
	g := testNexmarkGen(b, NexmarkDefaults())
	var ev NexmarkEvent
	for i := range b.N {
		g.Event(int64(i), &ev)
	}
}

func BenchmarkNexmarkGenerateEncode(b *testing.B) {
	g := testNexmarkGen(b, NexmarkDefaults())
	enc, err := newNexmarkEncoder(NexmarkSchema())
	if err != nil {
		b.Fatal(err)
	}
	var ev NexmarkEvent
	var buf []byte
	for i := range b.N {
		g.Event(int64(i), &ev)
		if buf, err = enc.append(buf[:0], &ev); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(buf)))
}

func BenchmarkNexmarkDecode(b *testing.B) {
	g := testNexmarkGen(b, NexmarkDefaults())
	schema := NexmarkSchema()
	enc, _ := newNexmarkEncoder(schema)
	var ev NexmarkEvent
	recs := make([][]byte, 1000)
	for i := range recs {
		g.Event(int64(i), &ev)
		recs[i], _ = enc.append(nil, &ev)
	}
	var r row.Row
	b.ResetTimer()
	for i := range b.N {
		if err := row.DecodeRow(recs[i%len(recs)], schema, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNexmarkJSON(b *testing.B) {
	g := testNexmarkGen(b, NexmarkDefaults())
	var ev NexmarkEvent
	var buf []byte
	for i := range b.N {
		g.Event(int64(i), &ev)
		buf = ev.AppendJSON(buf[:0])
	}
}

// The whole connector path: generate, encode and write into an embedded
// log (what the generator-alone baseline of rtdw bench nexmark measures).
func BenchmarkNexmarkWriteEvents(b *testing.B) {
	l, err := embedded.Open(embedded.Options{Dir: b.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	tbl := &Table{Name: "nexmark", ObjectName: "nexmark", Schema: NexmarkSchema(), Options: map[string]string{"connector": "nexmark"}}
	src, err := newNexmark(&Context{Log: l}, tbl)
	if err != nil {
		b.Fatal(err)
	}
	n := src.(*nexmarkSource)
	ctx := context.Background()
	if _, err := rlog.EnsureTopic(ctx, l, n.topic, rlog.TopicConfig{Partitions: 1}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	if err := n.writeEvents(ctx, l, 0, 0, int64(b.N)); err != nil {
		b.Fatal(err)
	}
}

// The fast codec writes exactly row.AppendRow's bytes, and reads them as
// row.DecodeRow does.
func TestNexmarkCanonicalCodec(t *testing.T) {
	g := testNexmarkGen(t, NexmarkDefaults())
	schema := NexmarkSchema()
	enc, err := newNexmarkEncoder(schema)
	if err != nil {
		t.Fatal(err)
	}
	if !enc.nexmarkCanonical() {
		t.Fatal("Flink's schema is not canonical")
	}
	var ev NexmarkEvent
	var a, b row.Row
	var d nexmarkDecoder
	for i := int64(0); i < 5000; i++ {
		g.Event(i, &ev)
		want, err := enc.append(nil, &ev)
		if err != nil {
			t.Fatal(err)
		}
		got := appendCanonical(nil, &ev)
		if !bytes.Equal(got, want) {
			t.Fatalf("event %d: fast encoding %x, AppendRow %x", i, got, want)
		}
		if err := d.decode(got, &a); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
		if err := row.DecodeRow(got, schema, &b); err != nil {
			t.Fatal(err)
		}
		if !a.Equal(&b) || a.String() != b.String() {
			t.Fatalf("event %d: fast decoder %v, DecodeRow %v", i, a, b)
		}
		// Truncated or altered bytes are refused (DecodeRow then reports why).
		for _, bad := range [][]byte{got[:len(got)-1], append(append([]byte{}, got...), 0), append([]byte{9}, got[1:]...)} {
			if d.decode(bad, &a) == nil {
				t.Fatalf("event %d: decoded bad bytes %x", i, bad)
			}
		}
	}
	// A reordered schema is not canonical.
	s := row.MustParseSchema("event_type INT, bid ROW<bidder BIGINT, auction BIGINT>")
	if e, _ := newNexmarkEncoder(s); e.nexmarkCanonical() {
		t.Error("a partial schema is canonical")
	}
}

func BenchmarkNexmarkCanonicalEncode(b *testing.B) {
	g := testNexmarkGen(b, NexmarkDefaults())
	var ev NexmarkEvent
	var buf []byte
	for i := range b.N {
		g.Event(int64(i), &ev)
		buf = appendCanonical(buf[:0], &ev)
	}
}

func BenchmarkNexmarkCanonicalDecode(b *testing.B) {
	g := testNexmarkGen(b, NexmarkDefaults())
	var ev NexmarkEvent
	recs := make([][]byte, 1000)
	for i := range recs {
		g.Event(int64(i), &ev)
		recs[i] = appendCanonical(nil, &ev)
	}
	var r row.Row
	var d nexmarkDecoder
	b.ResetTimer()
	for i := range b.N {
		if err := d.decode(recs[i%len(recs)], &r); err != nil {
			b.Fatal(err)
		}
	}
}

// Without events.num the generator writes first-event.rate events per
// second while the log is open, in event order.
func TestNexmarkUnbounded(t *testing.T) {
	l, err := embedded.Open(embedded.Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	tbl := &Table{Name: "nexmark", ObjectName: "nexmark", Schema: NexmarkSchema(), Options: map[string]string{
		"connector": "nexmark", "first-event.rate": "2000"}}
	src, err := newNexmark(&Context{Log: l}, tbl)
	if err != nil {
		t.Fatal(err)
	}
	n := src.(*nexmarkSource)
	if err := n.prepare(); err != nil {
		t.Fatal(err)
	}
	tp := rlog.TopicPartition{Topic: n.topic}
	ctx := context.Background()
	deadline := time.Now().Add(10 * time.Second)
	var end int64
	for end < 400 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
		if _, end, err = l.Offsets(ctx, tp); err != nil {
			t.Fatal(err)
		}
	}
	recs, err := l.Fetch(ctx, tp, 0, int(end), 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) < 400 {
		t.Fatalf("%d events after 10 s at 2000/s", len(recs))
	}
	for i, r := range recs {
		if got := rowKeyNum(r.Key); got != int64(i) {
			t.Fatalf("record %d holds event %d", i, got)
		}
	}
	l.Close() // the generator stops at its next write
}
