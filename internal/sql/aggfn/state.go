package aggfn

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// ErrCorruptState reports bytes an accumulator's Unmarshal cannot read as
// its state: a wrong version, truncated or trailing bytes, values of the
// wrong type, or a state no sequence of Add/Retract/Merge produces (an
// unsorted MIN/MAX map, a zero count).
var ErrCorruptState = errors.New("aggfn: corrupt accumulator state")

// stateVersion is the first byte of every built-in accumulator's state.
// A new layout gets a new version and Unmarshal keeps reading the old ones,
// since state outlives a binary upgrade.
const stateVersion byte = 1

func corrupt(name, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrCorruptState, name, fmt.Sprintf(format, args...))
}

// reader reads a state Marshal wrote; the first failure sticks.
type reader struct {
	name string
	b    []byte
	off  int
	err  error
}

// newReader checks the version byte.
func newReader(name string, src []byte) *reader {
	r := &reader{name: name, b: src}
	if len(src) == 0 {
		r.err = corrupt(name, "empty state")
	} else if src[0] != stateVersion {
		r.err = corrupt(name, "unknown state version %d", src[0])
	} else {
		r.off = 1
	}
	return r
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = corrupt(r.name, format, args...)
	}
}

func (r *reader) byte1() byte {
	if r.err != nil {
		return 0
	}
	if r.off >= len(r.b) {
		r.fail("truncated")
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *reader) f64() float64 {
	b := r.bytes(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)-r.off) {
		r.fail("truncated")
		return nil
	}
	b := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return b
}

// sized reads a uvarint length and that many bytes.
func (r *reader) sized() []byte {
	return r.bytes(r.uvarint())
}

// rest returns the bytes not read yet.
func (r *reader) rest() []byte {
	if r.err != nil {
		return nil
	}
	b := r.b[r.off:]
	r.off = len(r.b)
	return b
}

// rowOf decodes the rest of the state as one row of s.
func (r *reader) rowOf(s *row.Schema) []row.Value {
	b := r.rest()
	if r.err != nil {
		return nil
	}
	var out row.Row
	if err := row.DecodeRow(b, s, &out); err != nil {
		r.err = fmt.Errorf("%w: %s: %w", ErrCorruptState, r.name, err)
		return nil
	}
	return out.Values
}

// done reports the first error, or trailing bytes.
func (r *reader) done() error {
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d bytes after the state", len(r.b)-r.off)
	}
	return r.err
}

// appendValues appends the binary row of vals (one per column of s).
// A value that does not fit its column breaks Add's contract (arguments
// are values of the bound argument types), which Marshal cannot report:
// it panics naming the function.
func appendValues(dst []byte, name string, s *row.Schema, vals []row.Value) []byte {
	r := row.NewRow(row.Insert, vals...)
	out, err := row.AppendRow(dst, s, &r)
	if err != nil {
		panic(fmt.Sprintf("aggfn: %s: an argument value does not fit the bound argument type: %v", name, err))
	}
	return out
}

// stateSchema is the schema of a state row: one ARRAY column per type,
// named c0, c1, ...
func stateSchema(types ...row.Type) (*row.Schema, error) {
	cols := make([]row.Column, len(types))
	for i, t := range types {
		cols[i] = row.Column{Name: fmt.Sprintf("c%d", i), Type: row.ArrayOf(t.WithNotNull(false)).WithNotNull(true)}
	}
	return row.NewSchema(cols...)
}

// counts returns the counts as BIGINT values.
func countValues(ns []int64) []row.Value {
	out := make([]row.Value, len(ns))
	for i, n := range ns {
		out[i] = row.BigInt(n)
	}
	return out
}

// cloneValue copies a string or bytes value's text, so that a value kept
// in state does not hold on to the input row's whole string (decoders put
// every string of a row in one allocation).
func cloneValue(v row.Value) row.Value {
	switch v.Kind() {
	case row.KindChar:
		return row.Char(strings.Clone(v.Str()))
	case row.KindVarChar:
		return row.String(strings.Clone(v.Str()))
	case row.KindBinary, row.KindVarBinary:
		return row.BytesOf(strings.Clone(v.Str()))
	}
	return v
}
