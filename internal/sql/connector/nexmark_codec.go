package connector

import (
	"encoding/binary"
	"errors"

	"github.com/rtdw/rtdw/internal/row"
)

// The fast path of the nexmark connector's rows: for a table with Flink's
// DDL exactly (event_type INT, person, auction and bid ROWs of BIGINT,
// VARCHAR/STRING and TIMESTAMP(3) fields in Flink's order, as
// NexmarkSchema), events are encoded straight into rtdw's binary row
// encoding and decoded straight out of it, without the generic codec's
// per-field type dispatch. The bytes are exactly row.AppendRow's (a test
// checks it), so either decoder reads either encoder's records.

// nexmarkCanonical reports whether the encoder's layout is Flink's DDL.
func (e *nexmarkEncoder) nexmarkCanonical() bool {
	if len(e.cols) != 4 {
		return false
	}
	for i, c := range e.cols {
		if c.src != i {
			return false
		}
	}
	if e.cols[0].kind != row.KindInt {
		return false
	}
	same := func(fs []nexmarkCol, kinds string) bool {
		if len(fs) != len(kinds) {
			return false
		}
		for i, f := range fs {
			if f.src != i {
				return false
			}
			switch kinds[i] {
			case 'i':
				if f.kind != row.KindBigInt {
					return false
				}
			case 's':
				if f.kind != row.KindVarChar {
					return false
				}
			case 't':
				if f.kind != row.KindTimestamp || f.prec != 3 {
					return false
				}
			}
		}
		return true
	}
	return same(e.person, nexmarkPersonKinds) && same(e.auction, nexmarkAuctionKinds) && same(e.bid, nexmarkBidKinds)
}

func appendStr(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendTS(dst []byte, ms int64) []byte {
	return append(binary.AppendVarint(dst, ms), 0)
}

// appendCanonical appends ev as a binary row of NexmarkSchema.
func appendCanonical(dst []byte, ev *NexmarkEvent) []byte {
	// version, +I, the null bitmap of the 4 columns (two of the ROWs are
	// NULL), event_type.
	nulls := byte(0b1110) &^ (1 << (ev.Type + 1))
	dst = append(dst, row.BinaryVersion, byte(row.Insert), nulls)
	dst = binary.AppendVarint(dst, int64(ev.Type))
	switch ev.Type {
	case NexmarkPersonEvent:
		p := &ev.Person
		dst = append(dst, 0) // no NULL field
		dst = binary.AppendVarint(dst, p.ID)
		dst = appendStr(dst, p.Name)
		dst = appendStr(dst, p.EmailAddress)
		dst = appendStr(dst, p.CreditCard)
		dst = appendStr(dst, p.City)
		dst = appendStr(dst, p.State)
		dst = appendTS(dst, p.DateTime)
		dst = appendStr(dst, p.Extra)
	case NexmarkAuctionEvent:
		a := &ev.Auction
		dst = append(dst, 0, 0) // 10 fields, none NULL
		dst = binary.AppendVarint(dst, a.ID)
		dst = appendStr(dst, a.ItemName)
		dst = appendStr(dst, a.Description)
		dst = binary.AppendVarint(dst, a.InitialBid)
		dst = binary.AppendVarint(dst, a.Reserve)
		dst = appendTS(dst, a.DateTime)
		dst = appendTS(dst, a.Expires)
		dst = binary.AppendVarint(dst, a.Seller)
		dst = binary.AppendVarint(dst, a.Category)
		dst = appendStr(dst, a.Extra)
	default:
		b := &ev.Bid
		dst = append(dst, 0)
		dst = binary.AppendVarint(dst, b.Auction)
		dst = binary.AppendVarint(dst, b.Bidder)
		dst = binary.AppendVarint(dst, b.Price)
		dst = appendStr(dst, b.Channel)
		dst = appendStr(dst, b.URL)
		dst = appendTS(dst, b.DateTime)
		dst = appendStr(dst, b.Extra)
	}
	return dst
}

var errNexmarkRow = errors.New("not a canonical nexmark row")

// nexmarkDecoder decodes canonical rows; anything else (a record it cannot
// read) is left to row.DecodeRow, which reports the error.
type nexmarkDecoder struct {
	src   []byte
	pos   int
	arena string // src[base:] as a string: the row's strings share it
	base  int
}

func (d *nexmarkDecoder) varint() (int64, bool) {
	v, n := binary.Varint(d.src[d.pos:])
	if n <= 0 {
		return 0, false
	}
	d.pos += n
	return v, true
}

func (d *nexmarkDecoder) str() (row.Value, bool) {
	n, k := binary.Uvarint(d.src[d.pos:])
	if k <= 0 || n > uint64(len(d.src)-d.pos-k) {
		return row.Value{}, false
	}
	d.pos += k
	off := d.pos - d.base
	d.pos += int(n)
	return row.String(d.arena[off : off+int(n)]), true
}

func (d *nexmarkDecoder) ts() (row.Value, bool) {
	ms, ok := d.varint()
	if !ok || d.pos >= len(d.src) || d.src[d.pos] != 0 {
		return row.Value{}, false
	}
	d.pos++
	return row.Timestamp(ms, 0), true
}

func (d *nexmarkDecoder) bigint() (row.Value, bool) {
	v, ok := d.varint()
	return row.BigInt(v), ok
}

// decode reads src, a binary row of NexmarkSchema, into r.
func (d *nexmarkDecoder) decode(src []byte, r *row.Row) error {
	if len(src) < 5 || src[0] != row.BinaryVersion || src[1] != byte(row.Insert) || src[3]&1 != 0 || src[3] >= 6 {
		return errNexmarkRow
	}
	typ := int(src[3] >> 1) // the zigzag varint of a small event_type
	if src[2] != byte(0b1110)&^(1<<(typ+1)) {
		return errNexmarkRow
	}
	kinds := nexmarkPersonKinds
	switch typ {
	case NexmarkAuctionEvent:
		kinds = nexmarkAuctionKinds
	case NexmarkBidEvent:
		kinds = nexmarkBidKinds
	}
	d.src, d.pos = src, 4
	nullBytes := (len(kinds) + 7) / 8
	for i := range nullBytes {
		if d.pos+i >= len(src) || src[d.pos+i] != 0 {
			return errNexmarkRow
		}
	}
	d.pos += nullBytes
	// One string for all the row's strings.
	d.base, d.arena = d.pos, string(src[d.pos:])
	vals := make([]row.Value, len(kinds))
	ok := true
	for i := 0; ok && i < len(kinds); i++ {
		switch kinds[i] {
		case 'i':
			vals[i], ok = d.bigint()
		case 's':
			vals[i], ok = d.str()
		default:
			vals[i], ok = d.ts()
		}
	}
	if !ok || d.pos != len(src) {
		return errNexmarkRow
	}
	r.Reset(row.Insert, 4)
	r.Values[0] = row.Int(int32(typ))
	r.Values[typ+1] = row.Struct(vals)
	return nil
}
