package connector

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"sync"

	"github.com/rtdw/rtdw/internal/row"
)

// The Nexmark event generator, written for rtdw from the Nexmark
// specification as Flink's nexmark suite (github.com/nexmark/nexmark) and
// Beam's sdks/java/testing/nexmark describe it. An online auction: people
// (sellers and bidders) open auctions and bid on them.
//
// Events are numbered 0, 1, 2, ... (event number = event id, as Beam's
// generator with one split). Of every person+auction+bid proportion ids
// (1 + 3 + 46 = 50 by default), the first person-proportion ids are
// people, the next auction-proportion ids auctions, the rest bids: the
// 2 % / 6 % / 92 % mix. Ids count up from FIRST_PERSON_ID and
// FIRST_AUCTION_ID (1000): event n's person id is the number of people
// before it, so ids follow from n alone. Event n happens at
// base time + n * (10^6 / first-event.rate) microseconds (in
// milliseconds, truncated), so the events are in event-time order.
//
// Per the specification:
//   - a person has a random name (first and last from fixed lists), email
//     (7 + 5 random letters), credit card (four 4-digit groups), one of 10
//     cities and 6 states, and an 'extra' string padding it to about
//     person.avg-size bytes;
//   - an auction has a random item name (up to 20 letters) and description
//     (up to 100), a category of 5 starting at FIRST_CATEGORY_ID (10), an
//     initial bid and a reserve (initial + another price; a price is
//     round(10^(6u) * 100) for u uniform in [0, 1)), an expiry one to two
//     "100 in-flight auctions ahead" horizons after its time, and a seller:
//     with probability 1 - 1/auction.hot-ratio.sellers (3/4) a hot seller
//     (the first person of the current batch of 100), else any of the 1000
//     most recent people plus 10 ids ahead;
//   - a bid is for a hot auction (the first of the current batch of 100)
//     with probability 1 - 1/bid.hot-ratio.auctions (1/2), else for any of
//     the 100 most recent auctions plus 10 ahead; by a hot bidder (the
//     second person of the current batch of 100) with probability
//     1 - 1/bid.hot-ratio.bidders (3/4), else as a seller is chosen; at a
//     random price; on one of 4 hot channels (Google, Facebook, Baidu,
//     Apple, each with a fixed URL) half of the time, else on one of 10000
//     channels "channel-<i>" whose URL carries "&channel_id=<i reversed>"
//     9 times out of 10 (Flink's extension for q21/q22);
//   - each event's 'extra' is a run of random letters of the size that
//     brings the event to its average size, +-20 %.
//
// rtdw's generator is deterministic: event n draws its random values from
// a generator seeded with ('seed', n) only, so the events are the same on
// every run and machine, and any range of events can be generated without
// the ones before it (Flink's and Beam's generators are seeded randomly).
// Where Flink's and Beam's generators differ, rtdw follows Beam: a bid's
// bidder is FIRST_PERSON_ID + the base-0 person id (Flink's BidGenerator
// adds FIRST_PERSON_ID twice, so its bidders are 1000 above the person
// ids and bids never join a person).

// Nexmark's fixed parameters (Beam's and Flink's NexmarkConfiguration and
// generators).
const (
	NexmarkFirstPersonID   = 1000
	NexmarkFirstAuctionID  = 1000
	NexmarkFirstCategoryID = 10

	nexmarkNumCategories       = 5
	nexmarkPersonIDLead        = 10
	nexmarkAuctionIDLead       = 10
	nexmarkHotBatch            = 100 // hot sellers, bidders, auctions: the first of each batch of 100
	nexmarkNumActivePeople     = 1000
	nexmarkNumInFlightAuctions = 100
	nexmarkMinStringLength     = 3
	nexmarkChannels            = 10000
	nexmarkExtraPool           = 1 << 16
)

// Event types: the event_type column.
const (
	NexmarkPersonEvent  = 0
	NexmarkAuctionEvent = 1
	NexmarkBidEvent     = 2
)

// NexmarkConfig configures the generator; NexmarkDefaults gives Flink's
// nexmark source defaults.
type NexmarkConfig struct {
	Seed     uint64
	BaseTime int64 // event 0's time, epoch milliseconds (a TIMESTAMP(3) read as UTC)
	// Rate is first-event.rate: events per second of event time.
	Rate int64
	// Proportions of people, auctions and bids (1, 3, 46).
	PersonProportion, AuctionProportion, BidProportion int64
	// Average sizes in bytes the 'extra' fields pad the events to.
	AvgPersonSize, AvgAuctionSize, AvgBidSize int
	// Hot ratios: 1 - 1/ratio of the choices are hot.
	HotAuctionRatio, HotBiddersRatio, HotSellersRatio int
}

// NexmarkDefaultBaseTime is the default time of event 0:
// 2024-01-01 00:00:00.000.
const NexmarkDefaultBaseTime int64 = 1704067200000

// NexmarkDefaults are Flink's nexmark source defaults, with seed 0 and
// the base time NexmarkDefaultBaseTime.
func NexmarkDefaults() NexmarkConfig {
	return NexmarkConfig{
		BaseTime: NexmarkDefaultBaseTime, Rate: 10000,
		PersonProportion: 1, AuctionProportion: 3, BidProportion: 46,
		AvgPersonSize: 200, AvgAuctionSize: 500, AvgBidSize: 100,
		HotAuctionRatio: 2, HotBiddersRatio: 4, HotSellersRatio: 4,
	}
}

// Validate checks the configuration.
func (c NexmarkConfig) Validate() error {
	switch {
	case c.Rate <= 0:
		return errors.New("the event rate must be positive")
	case c.PersonProportion < 0 || c.AuctionProportion < 0 || c.BidProportion < 0:
		return errors.New("proportions must not be negative")
	case c.PersonProportion+c.AuctionProportion+c.BidProportion <= 0:
		return errors.New("the proportions must not all be 0")
	case c.PersonProportion+c.AuctionProportion+c.BidProportion > 1<<20:
		return errors.New("the proportions add up to more than 1048576")
	case c.HotAuctionRatio <= 0 || c.HotBiddersRatio <= 0 || c.HotSellersRatio <= 0:
		return errors.New("hot ratios must be positive")
	case c.AvgPersonSize < 0 || c.AvgAuctionSize < 0 || c.AvgBidSize < 0:
		return errors.New("average sizes must not be negative")
	case c.AvgPersonSize > nexmarkExtraPool/4 || c.AvgAuctionSize > nexmarkExtraPool/4 || c.AvgBidSize > nexmarkExtraPool/4:
		return fmt.Errorf("average sizes must be at most %d bytes", nexmarkExtraPool/4)
	}
	return nil
}

// NexmarkPerson, NexmarkAuction and NexmarkBid are the events' fields, as
// the ROW columns person, auction and bid of Flink's nexmark DDL; times
// are epoch milliseconds.
type NexmarkPerson struct {
	ID                                   int64
	Name, EmailAddress, CreditCard, City string
	State                                string
	DateTime                             int64
	Extra                                string
}

type NexmarkAuction struct {
	ID                    int64
	ItemName, Description string
	InitialBid, Reserve   int64
	DateTime, Expires     int64
	Seller, Category      int64
	Extra                 string
}

type NexmarkBid struct {
	Auction, Bidder, Price int64
	Channel, URL           string
	DateTime               int64
	Extra                  string
}

// NexmarkEvent is one event: Type says which of the three is set.
type NexmarkEvent struct {
	Type    int
	Person  NexmarkPerson
	Auction NexmarkAuction
	Bid     NexmarkBid
}

// Time is the event's time (the DDL's computed dateTime column).
func (e *NexmarkEvent) Time() int64 {
	switch e.Type {
	case NexmarkPersonEvent:
		return e.Person.DateTime
	case NexmarkAuctionEvent:
		return e.Auction.DateTime
	}
	return e.Bid.DateTime
}

// NexmarkGenerator makes the events of a configuration. It is safe for
// concurrent use (it holds no per-event state).
type NexmarkGenerator struct {
	c     NexmarkConfig
	total int64
}

// NewNexmarkGenerator checks c and returns its generator.
func NewNexmarkGenerator(c NexmarkConfig) (*NexmarkGenerator, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	nexmarkTablesOnce.Do(nexmarkTables)
	return &NexmarkGenerator{c: c, total: c.PersonProportion + c.AuctionProportion + c.BidProportion}, nil
}

// Config returns the generator's configuration.
func (g *NexmarkGenerator) Config() NexmarkConfig { return g.c }

// TypeOf is the type of event n.
func (g *NexmarkGenerator) TypeOf(n int64) int {
	rem := n % g.total
	switch {
	case rem < g.c.PersonProportion:
		return NexmarkPersonEvent
	case rem < g.c.PersonProportion+g.c.AuctionProportion:
		return NexmarkAuctionEvent
	}
	return NexmarkBidEvent
}

// TimeOf is event n's time: base + n * 10^6/rate microseconds, in
// milliseconds.
func (g *NexmarkGenerator) TimeOf(n int64) int64 {
	hi, lo := bits.Mul64(uint64(n), 1_000_000)
	if hi == 0 && lo < 1<<63 {
		return g.c.BaseTime + int64(lo)/g.c.Rate/1000
	}
	return g.c.BaseTime + int64(float64(n)*(1e6/float64(g.c.Rate))/1000) // beyond 9.2e12 events
}

// lastPerson is the base-0 id of the last person at or before event n.
func (g *NexmarkGenerator) lastPerson(n int64) int64 {
	epoch, off := n/g.total, n%g.total
	if off >= g.c.PersonProportion {
		off = g.c.PersonProportion - 1
	}
	return epoch*g.c.PersonProportion + off
}

// lastAuction is the base-0 id of the last auction at or before event n.
func (g *NexmarkGenerator) lastAuction(n int64) int64 {
	epoch, off := n/g.total, n%g.total
	switch {
	case off < g.c.PersonProportion:
		epoch--
		off = g.c.AuctionProportion - 1
	case off >= g.c.PersonProportion+g.c.AuctionProportion:
		off = g.c.AuctionProportion - 1
	default:
		off -= g.c.PersonProportion
	}
	return epoch*g.c.AuctionProportion + off
}

// randomPerson is a base-0 person id among the active people, or a few
// ahead of the last one.
func (g *NexmarkGenerator) randomPerson(n int64, r *nexmarkRand) int64 {
	people := g.lastPerson(n) + 1
	active := min(people, nexmarkNumActivePeople)
	return people - active + r.int63n(active+nexmarkPersonIDLead)
}

// randomAuction is a base-0 auction id among those likely in flight, or a
// few ahead of the last one.
func (g *NexmarkGenerator) randomAuction(n int64, r *nexmarkRand) int64 {
	last := g.lastAuction(n)
	lo := max(last-nexmarkNumInFlightAuctions, 0)
	return lo + r.int63n(last-lo+1+nexmarkAuctionIDLead)
}

// Event fills e with event n (n >= 0). Strings share memory with the
// generator's tables: they are immutable.
func (g *NexmarkGenerator) Event(n int64, e *NexmarkEvent) {
	r := newNexmarkRand(g.c.Seed, uint64(n))
	ts := g.TimeOf(n)
	e.Type = g.TypeOf(n)
	switch e.Type {
	case NexmarkPersonEvent:
		g.person(n, ts, &r, &e.Person)
	case NexmarkAuctionEvent:
		g.auction(n, ts, &r, &e.Auction)
	default:
		g.bid(n, ts, &r, &e.Bid)
	}
}

var (
	nexmarkStates     = []string{"AZ", "CA", "ID", "OR", "WA", "WY"}
	nexmarkCities     = []string{"Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"}
	nexmarkFirstNames = []string{"Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"}
	nexmarkLastNames  = []string{"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"}
	nexmarkHotChannel = []string{"Google", "Facebook", "Baidu", "Apple"}

	nexmarkTablesOnce sync.Once
	// nexmarkNames holds every "first last" name; nexmarkHotURLs the hot
	// channels' URLs; nexmarkChannelNames/URLs the 10000 other channels;
	// nexmarkExtra the letters 'extra' strings are cut from.
	nexmarkNames        []string
	nexmarkHotURLs      []string
	nexmarkChannelNames []string
	nexmarkChannelURLs  []string
	nexmarkExtra        string
)

// nexmarkTables builds the fixed tables, from a fixed seed: the same on
// every run, whatever the events' seed.
func nexmarkTables() {
	for _, f := range nexmarkFirstNames {
		for _, l := range nexmarkLastNames {
			nexmarkNames = append(nexmarkNames, f+" "+l)
		}
	}
	r := newNexmarkRand(0x6e65786d61726b, 0) // "nexmark"
	for range nexmarkHotChannel {
		nexmarkHotURLs = append(nexmarkHotURLs, nexmarkBaseURL(&r))
	}
	nexmarkChannelNames = make([]string, nexmarkChannels)
	nexmarkChannelURLs = make([]string, nexmarkChannels)
	for i := range nexmarkChannels {
		url := nexmarkBaseURL(&r)
		if r.intn(10) > 0 {
			// Flink: Math.abs(Integer.reverse(i)).
			rev := int32(bits.Reverse32(uint32(i)))
			url += "&channel_id=" + strconv.FormatInt(abs64(int64(rev)), 10)
		}
		nexmarkChannelNames[i] = "channel-" + strconv.Itoa(i)
		nexmarkChannelURLs[i] = url
	}
	b := make([]byte, nexmarkExtraPool)
	for i := range b {
		b[i] = byte('a' + r.intn(26))
	}
	nexmarkExtra = string(b)
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func nexmarkBaseURL(r *nexmarkRand) string {
	b := []byte("https://www.nexmark.com/")
	for range 3 {
		b = r.appendString(b, 5, '_')
		b = append(b, '/')
	}
	return string(append(b, "item.htm?query=1"...))
}

// price is a random price: round(10^(6u) * 100), u uniform in [0, 1).
func (r *nexmarkRand) price() int64 {
	return int64(math.Round(math.Pow(10, r.float64()*6) * 100))
}

func (g *NexmarkGenerator) person(n, ts int64, r *nexmarkRand, p *NexmarkPerson) {
	p.ID = g.lastPerson(n) + NexmarkFirstPersonID
	p.Name = nexmarkNames[r.intn(len(nexmarkNames))]
	var b [32]byte
	email := r.appendString(b[:0], 7, ' ')
	email = append(email, '@')
	email = r.appendString(email, 5, ' ')
	p.EmailAddress = string(append(email, ".com"...))
	cc := b[:0]
	for i := range 4 {
		if i > 0 {
			cc = append(cc, ' ')
		}
		d := r.intn(10000)
		cc = append(cc, byte('0'+d/1000), byte('0'+d/100%10), byte('0'+d/10%10), byte('0'+d%10))
	}
	p.CreditCard = string(cc)
	p.City = nexmarkCities[r.intn(len(nexmarkCities))]
	p.State = nexmarkStates[r.intn(len(nexmarkStates))]
	p.DateTime = ts
	size := 8 + len(p.Name) + len(p.EmailAddress) + len(p.CreditCard) + len(p.City) + len(p.State)
	p.Extra = r.extra(size, g.c.AvgPersonSize)
}

func (g *NexmarkGenerator) auction(n, ts int64, r *nexmarkRand, a *NexmarkAuction) {
	a.ID = g.lastAuction(n) + NexmarkFirstAuctionID
	if r.intn(g.c.HotSellersRatio) > 0 {
		a.Seller = g.lastPerson(n) / nexmarkHotBatch * nexmarkHotBatch
	} else {
		a.Seller = g.randomPerson(n, r)
	}
	a.Seller += NexmarkFirstPersonID
	a.Category = NexmarkFirstCategoryID + int64(r.intn(nexmarkNumCategories))
	a.InitialBid = r.price()
	a.DateTime = ts
	a.Expires = ts + g.auctionLength(n, ts, r)
	var b [128]byte
	a.ItemName = string(r.appendString(b[:0], 20, ' '))
	a.Description = string(r.appendString(b[:0], 100, ' '))
	a.Reserve = a.InitialBid + r.price()
	size := 8 + len(a.ItemName) + len(a.Description) + 8*5
	a.Extra = r.extra(size, g.c.AvgAuctionSize)
}

// auctionLength is a random auction length in milliseconds, averaging the
// event time until the numInFlightAuctions-th next auction.
func (g *NexmarkGenerator) auctionLength(n, ts int64, r *nexmarkRand) int64 {
	ahead := int64(1)
	if g.c.AuctionProportion > 0 {
		ahead = nexmarkNumInFlightAuctions * g.total / g.c.AuctionProportion
	}
	horizon := g.TimeOf(n+ahead) - ts
	return 1 + r.int63n(max(horizon*2, 1))
}

func (g *NexmarkGenerator) bid(n, ts int64, r *nexmarkRand, b *NexmarkBid) {
	if r.intn(g.c.HotAuctionRatio) > 0 {
		b.Auction = g.lastAuction(n) / nexmarkHotBatch * nexmarkHotBatch
	} else {
		b.Auction = g.randomAuction(n, r)
	}
	b.Auction += NexmarkFirstAuctionID
	if r.intn(g.c.HotBiddersRatio) > 0 {
		b.Bidder = g.lastPerson(n)/nexmarkHotBatch*nexmarkHotBatch + 1
	} else {
		b.Bidder = g.randomPerson(n, r)
	}
	b.Bidder += NexmarkFirstPersonID
	b.Price = r.price()
	if r.intn(2) > 0 {
		i := r.intn(len(nexmarkHotChannel))
		b.Channel, b.URL = nexmarkHotChannel[i], nexmarkHotURLs[i]
	} else {
		i := r.intn(nexmarkChannels)
		b.Channel, b.URL = nexmarkChannelNames[i], nexmarkChannelURLs[i]
	}
	b.DateTime = ts
	b.Extra = r.extra(32, g.c.AvgBidSize)
}

// nexmarkRand is a SplitMix64 sequence seeded with (seed, n).
type nexmarkRand struct{ s uint64 }

const nexmarkGolden = 0x9e3779b97f4a7c15

func nexmarkMix(z uint64) uint64 {
	z = (z ^ z>>30) * 0xbf58476d1ce4e5b9
	z = (z ^ z>>27) * 0x94d049bb133111eb
	return z ^ z>>31
}

func newNexmarkRand(seed, n uint64) nexmarkRand {
	return nexmarkRand{s: nexmarkMix(seed*nexmarkGolden+0x6a09e667f3bcc909) ^ nexmarkMix(n+nexmarkGolden)}
}

func (r *nexmarkRand) next() uint64 {
	r.s += nexmarkGolden
	return nexmarkMix(r.s)
}

// intn is uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is
// below 2^-32).
func (r *nexmarkRand) intn(n int) int {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int(hi)
}

// int63n is uniform in [0, n), n > 0.
func (r *nexmarkRand) int63n(n int64) int64 {
	hi, _ := bits.Mul64(r.next(), uint64(n))
	return int64(hi)
}

// float64 is uniform in [0, 1).
func (r *nexmarkRand) float64() float64 {
	return float64(r.next()>>11) / (1 << 53)
}

// appendString appends a random string of 3 to maxLength-1 characters:
// lowercase letters, with special one time in 13, trimmed of spaces.
func (r *nexmarkRand) appendString(dst []byte, maxLength int, special byte) []byte {
	n := nexmarkMinStringLength + r.intn(maxLength-nexmarkMinStringLength)
	start := len(dst)
	for range n {
		if r.intn(13) == 0 {
			dst = append(dst, special)
		} else {
			dst = append(dst, byte('a'+r.intn(26)))
		}
	}
	// Trim spaces as Java's String.trim.
	s := dst[start:]
	i, j := 0, len(s)
	for i < j && s[i] == ' ' {
		i++
	}
	for j > i && s[j-1] == ' ' {
		j--
	}
	if i > 0 {
		copy(s, s[i:j])
	}
	return dst[:start+j-i]
}

// extra is the padding string that brings an event of size bytes to avg
// on average (+-20 %): a slice of the shared random letters.
func (r *nexmarkRand) extra(size, avg int) string {
	if size > avg {
		return ""
	}
	want := avg - size
	delta := int(math.Round(float64(want) * 0.2))
	n := want - delta
	if delta > 0 {
		n += r.intn(2 * delta)
	}
	off := r.intn(len(nexmarkExtra) - n)
	return nexmarkExtra[off : off+n]
}

// The JSON lines `rtdw mock nexmark` writes: one object per event with
// event_type, person, auction and bid (two of them null), as Flink's json
// format writes a row of the nexmark DDL; timestamps are
// "yyyy-MM-dd HH:mm:ss.SSS".

// AppendJSON appends e as one JSON object (no newline).
func (e *NexmarkEvent) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"event_type":`...)
	dst = strconv.AppendInt(dst, int64(e.Type), 10)
	dst = append(dst, `,"person":`...)
	if e.Type == NexmarkPersonEvent {
		p := &e.Person
		dst = append(dst, `{"id":`...)
		dst = strconv.AppendInt(dst, p.ID, 10)
		dst = appendJSONField(dst, "name", p.Name)
		dst = appendJSONField(dst, "emailAddress", p.EmailAddress)
		dst = appendJSONField(dst, "creditCard", p.CreditCard)
		dst = appendJSONField(dst, "city", p.City)
		dst = appendJSONField(dst, "state", p.State)
		dst = appendJSONTime(dst, "dateTime", p.DateTime)
		dst = appendJSONField(dst, "extra", p.Extra)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"auction":`...)
	if e.Type == NexmarkAuctionEvent {
		a := &e.Auction
		dst = append(dst, `{"id":`...)
		dst = strconv.AppendInt(dst, a.ID, 10)
		dst = appendJSONField(dst, "itemName", a.ItemName)
		dst = appendJSONField(dst, "description", a.Description)
		dst = appendJSONInt(dst, "initialBid", a.InitialBid)
		dst = appendJSONInt(dst, "reserve", a.Reserve)
		dst = appendJSONTime(dst, "dateTime", a.DateTime)
		dst = appendJSONTime(dst, "expires", a.Expires)
		dst = appendJSONInt(dst, "seller", a.Seller)
		dst = appendJSONInt(dst, "category", a.Category)
		dst = appendJSONField(dst, "extra", a.Extra)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"bid":`...)
	if e.Type == NexmarkBidEvent {
		b := &e.Bid
		dst = append(dst, `{"auction":`...)
		dst = strconv.AppendInt(dst, b.Auction, 10)
		dst = appendJSONInt(dst, "bidder", b.Bidder)
		dst = appendJSONInt(dst, "price", b.Price)
		dst = appendJSONField(dst, "channel", b.Channel)
		dst = appendJSONField(dst, "url", b.URL)
		dst = appendJSONTime(dst, "dateTime", b.DateTime)
		dst = appendJSONField(dst, "extra", b.Extra)
		dst = append(dst, '}')
	} else {
		dst = append(dst, "null"...)
	}
	return append(dst, '}')
}

func appendJSONInt(dst []byte, name string, v int64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':')
	return strconv.AppendInt(dst, v, 10)
}

func appendJSONTime(dst []byte, name string, ms int64) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':', '"')
	dst = row.AppendTimestamp(dst, ms, 0, 3)
	return append(dst, '"')
}

func appendJSONField(dst []byte, name, s string) []byte {
	dst = append(dst, ',', '"')
	dst = append(dst, name...)
	dst = append(dst, '"', ':', '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, `\u00`...)
			dst = append(dst, "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
