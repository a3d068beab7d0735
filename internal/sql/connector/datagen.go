package connector

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'datagen' connector: a source of generated rows, as Flink's, for
// tests and benchmarks.
//
// rtdw's engine reads topics, so the generator writes its rows into an
// internal topic that the job reads ("_rtdw-datagen-<table>-<hash>", one
// partition; the hash covers the schema and options, so a changed table
// starts a new topic). Row i is a function of the seed and i only: every
// field draws from a random generator seeded with ('seed', i), or is
// start + i for a sequence, so the rows are the same on every run and
// every machine (Flink's datagen is unseeded). Each record's key holds its
// row number, and the generator writes only the rows beyond the last one
// the topic holds: a restart neither repeats nor skips rows, and the job
// reads them exactly once from its checkpointed position.
//
// Bounded: with 'number-of-rows' (or a sequence field, which ends the
// source at its end), the rows are written before the job starts (the
// Context's AddPrepare), all at once: 'rows-per-second' does not pace a
// bounded source. Unbounded (no 'number-of-rows'): a generator goroutine
// started at the same point writes 'rows-per-second' rows per second, in
// batches every 100 ms, for as long as the process's log is open (one
// generator per topic and process; it stops when the log is closed). A
// drained run (--drain) reads the rows generated before it started.
//
// Random values: integers and DECIMAL uniformly in ['min', 'max'] (default
// the type's range), FLOAT and DOUBLE likewise (default Flink's:
// [MIN_VALUE, MAX_VALUE]), strings and bytes of 'length' (default 100)
// random hexadecimal characters or bytes ('var-len': a random length up to
// it), BOOLEAN, TIME and DATE uniformly, TIMESTAMP and TIMESTAMP_LTZ the
// generation time minus a random duration up to 'max-past' (default 0),
// ARRAY, MAP and MULTISET of 'length' (default 3) random elements, ROW of
// random fields. 'null-rate' makes a field NULL with that probability.
// Sequences take integer, DECIMAL, FLOAT, DOUBLE and string columns.

var datagenFactory = &Factory{
	Name: "datagen",
	Doc:  "Generated rows for tests and benchmarks, seeded: the same rows on every run.",
	Options: []OptionSpec{
		spec("number-of-rows", "", false, "Rows to generate: a bounded source. Without it (and without sequences) the source is unbounded."),
		spec("rows-per-second", "10000", false, "Rate of an unbounded source (a bounded source is generated at once)."),
		spec("seed", "0", false, "rtdw: seed of the random values; row i depends only on the seed and i (Flink's datagen is not seeded)."),
		spec("fields.#.kind", "random", false, "random or sequence."),
		spec("fields.#.min", "", false, "Smallest random value of a numeric column (default: the type's)."),
		spec("fields.#.max", "", false, "Largest random value of a numeric column (default: the type's)."),
		spec("fields.#.max-past", "0", false, "Random TIMESTAMP/TIMESTAMP_LTZ: up to this long before the generation time ('1 h', '10 min')."),
		spec("fields.#.length", "100", false, "Length of random strings and bytes (default 100), elements of collections (default 3)."),
		spec("fields.#.var-len", "false", false, "Random strings and bytes of a random length up to 'length'."),
		spec("fields.#.start", "", false, "First value of a sequence."),
		spec("fields.#.end", "", false, "Last value of a sequence."),
		spec("fields.#.null-rate", "0", false, "Probability of NULL (0 to 1)."),
		spec("scan.parallelism", "", false, "Accepted and not used: the generated topic has one partition."),
	},
}

func init() {
	datagenFactory.NewSource = newDatagen
	Register(datagenFactory)
}

// fieldGen generates one column.
type fieldGen struct {
	t          row.Type
	seq        bool
	start      float64 // sequence start of FLOAT and DOUBLE
	startI     int64   // of the other types: exact integers
	frac       bool    // a sequence from start (FLOAT, DOUBLE, DECIMAL from a fraction)
	count      int64   // a sequence's length
	min, max   *float64
	minI, maxI int64
	maxPast    time.Duration
	length     int
	varLen     bool
	nullRate   float64
	loc        *time.Location // the session zone: DATE, TIME and TIMESTAMP are its wall clock
}

type datagen struct {
	ctx     *Context
	t       *Table
	schema  *row.Schema
	fields  []fieldGen
	rows    int64 // -1: unbounded
	rate    int64
	seed    uint64
	topic   string
	started bool
}

func newDatagen(ctx *Context, t *Table) (Source, error) {
	f := datagenFactory
	if err := checkOptions(ctx, f, t, []string{"scan.parallelism"}); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	if err := l.noMetadata(f); err != nil {
		return nil, err
	}
	d := &datagen{ctx: ctx, t: t, schema: t.Schema, rows: -1}
	if d.rate, err = intOpt(f, t, "rows-per-second", 10000); err != nil {
		return nil, err
	}
	if d.rate <= 0 {
		return nil, fmt.Errorf("%s: 'rows-per-second' must be positive", where(f, t))
	}
	seed, err := intOpt(f, t, "seed", 0)
	if err != nil {
		return nil, err
	}
	d.seed = uint64(seed)
	if _, ok := t.Options["number-of-rows"]; ok {
		if d.rows, err = intOpt(f, t, "number-of-rows", 0); err != nil {
			return nil, err
		}
		if d.rows < 0 {
			return nil, fmt.Errorf("%s: 'number-of-rows' must not be negative", where(f, t))
		}
	}
	for _, col := range t.Schema.Columns() {
		g, err := d.field(col)
		if err != nil {
			return nil, err
		}
		if g.seq {
			if d.rows < 0 || g.count < d.rows {
				d.rows = g.count // a sequence ends the source
			}
		}
		d.fields = append(d.fields, g)
	}
	d.topic = d.topicName()
	return d, nil
}

// field reads the options of one column.
func (d *datagen) field(col row.Column) (fieldGen, error) {
	f, t := datagenFactory, d.t
	p := "fields." + col.Name + "."
	// Options are keyed by the name as written; look them up as given.
	get := func(name string) (string, bool) {
		for k, v := range t.Options {
			if strings.EqualFold(k, p+name) {
				return v, true
			}
		}
		return "", false
	}
	g := fieldGen{t: col.Type, length: -1, loc: d.ctx.Loc}
	kind, _ := get("kind")
	switch strings.ToLower(kind) {
	case "", "random":
	case "sequence":
		g.seq = true
	default:
		return g, fmt.Errorf("%s: '%skind' = '%s': want random or sequence", where(f, t), p, kind)
	}
	num := func(name string) (*float64, error) {
		v, ok := get(name)
		if !ok {
			return nil, nil
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil {
			return nil, fmt.Errorf("%s: '%s%s' = '%s': not a number", where(f, t), p, name, v)
		}
		return &x, nil
	}
	// integer reads an option of an integer column (or an integer
	// sequence) exactly, within the column's type, as Flink reads it.
	integer := func(name string, lo, hi int64) (*int64, error) {
		v, ok := get(name)
		if !ok {
			return nil, nil
		}
		x, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || x < lo || x > hi {
			return nil, fmt.Errorf("%s: Could not parse value '%s' for key '%s%s' (an integer within %s)", where(f, t), v, p, name, col.Type)
		}
		return &x, nil
	}
	var err error
	if v, ok := get("null-rate"); ok {
		if g.nullRate, err = strconv.ParseFloat(v, 64); err != nil || g.nullRate < 0 || g.nullRate > 1 {
			return g, fmt.Errorf("%s: '%snull-rate' = '%s': want a number from 0 to 1", where(f, t), p, v)
		}
	}
	if v, ok := get("length"); ok {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			return g, fmt.Errorf("%s: '%slength' = '%s': want a non-negative integer", where(f, t), p, v)
		}
		g.length = n
	}
	if v, ok := get("var-len"); ok {
		if g.varLen, err = row.ParseBool(v); err != nil {
			return g, fmt.Errorf("%s: '%svar-len' = '%s': %v", where(f, t), p, v, err)
		}
	}
	if v, ok := get("max-past"); ok {
		if g.maxPast, err = ParseDuration(v); err != nil {
			return g, fmt.Errorf("%s: '%smax-past' = '%s': %v", where(f, t), p, v, err)
		}
	}
	k := col.Type.Kind
	if g.seq {
		if !(col.Type.IsNumeric() || col.Type.IsString()) {
			return g, fmt.Errorf("%s: column %s: a sequence needs a numeric or string column, not %s", where(f, t), col.Name, col.Type)
		}
		if _, ok := get("start"); !ok {
			return g, fmt.Errorf("%s: column %s: a sequence needs '%sstart' and '%send'", where(f, t), col.Name, p, p)
		}
		if _, ok := get("end"); !ok {
			return g, fmt.Errorf("%s: column %s: a sequence needs '%sstart' and '%send'", where(f, t), col.Name, p, p)
		}
		sv, _ := get("start")
		ev, _ := get("end")
		_, errS := strconv.ParseInt(strings.TrimSpace(sv), 10, 64)
		_, errE := strconv.ParseInt(strings.TrimSpace(ev), 10, 64)
		fraction := k == row.KindDecimal && (errS != nil || errE != nil) // DECIMAL from 0.5: steps of 1 from there
		if k == row.KindFloat || k == row.KindDouble || fraction {
			g.frac = true
			s, err := num("start")
			if err != nil {
				return g, err
			}
			e, err := num("end")
			if err != nil {
				return g, err
			}
			if *e < *s || *e-*s >= 1<<53 {
				return g, fmt.Errorf("%s: column %s: the sequence's end is before its start, or too far from it", where(f, t), col.Name)
			}
			g.start, g.count = *s, int64(*e-*s)+1
		} else {
			lo, hi := int64(math.MinInt64), int64(math.MaxInt64)
			if col.Type.IsInteger() {
				lo, hi = intRange(k)
			}
			s, err := integer("start", lo, hi)
			if err != nil {
				return g, err
			}
			e, err := integer("end", lo, hi)
			if err != nil {
				return g, err
			}
			if *e < *s || *e-*s < 0 || *e-*s == math.MaxInt64 {
				return g, fmt.Errorf("%s: column %s: the sequence's end is before its start, or too far from it", where(f, t), col.Name)
			}
			g.startI, g.count = *s, *e-*s+1
		}
		for _, o := range []string{"min", "max", "length", "var-len", "max-past"} {
			if _, ok := get(o); ok {
				return g, fmt.Errorf("%s: '%s%s' is for random fields, not sequences", where(f, t), p, o)
			}
		}
		return g, nil
	}
	for _, o := range []string{"start", "end"} {
		if _, ok := get(o); ok {
			return g, fmt.Errorf("%s: '%s%s' needs '%skind' = 'sequence'", where(f, t), p, o, p)
		}
	}
	if g.min, err = num("min"); err != nil {
		return g, err
	}
	if g.max, err = num("max"); err != nil {
		return g, err
	}
	if (g.min != nil || g.max != nil) && !col.Type.IsNumeric() {
		return g, fmt.Errorf("%s: '%smin' and '%smax' are for numeric columns, not %s", where(f, t), p, p, col.Type)
	}
	if col.Type.IsInteger() {
		lo, hi := intRange(k)
		g.minI, g.maxI = lo, hi
		mn, err := integer("min", lo, hi)
		if err != nil {
			return g, err
		}
		mx, err := integer("max", lo, hi)
		if err != nil {
			return g, err
		}
		if mn != nil {
			g.minI = *mn
		}
		if mx != nil {
			g.maxI = *mx
		}
		if g.minI > g.maxI {
			return g, fmt.Errorf("%s: column %s: random range [%d, %d] is empty", where(f, t), col.Name, g.minI, g.maxI)
		}
	}
	if g.min != nil && g.max != nil && *g.min > *g.max {
		return g, fmt.Errorf("%s: column %s: 'min' is above 'max'", where(f, t), col.Name)
	}
	if err := checkGenerable(col.Type); err != nil {
		return g, fmt.Errorf("%s: column %s: %v", where(f, t), col.Name, err)
	}
	return g, nil
}

func checkGenerable(t row.Type) error {
	switch t.Kind {
	case row.KindNull:
		return errors.New("cannot generate NULL-typed values")
	case row.KindArray, row.KindMultiset:
		return checkGenerable(*t.Elem)
	case row.KindMap:
		if err := checkGenerable(*t.Key); err != nil {
			return err
		}
		return checkGenerable(*t.Elem)
	case row.KindRow:
		for _, f := range t.Fields {
			if err := checkGenerable(f.Type); err != nil {
				return err
			}
		}
	}
	return nil
}

func intRange(k row.Kind) (int64, int64) {
	switch k {
	case row.KindTinyInt:
		return math.MinInt8, math.MaxInt8
	case row.KindSmallInt:
		return math.MinInt16, math.MaxInt16
	case row.KindInt:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// topicName is the internal topic of the table's generated rows: named
// after the table and a hash of its schema and options.
func (d *datagen) topicName() string {
	h := sha256.New()
	h.Write([]byte(d.schema.String()))
	keys := make([]string, 0, len(d.t.Options))
	for k := range d.t.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, d.t.Options[k])
	}
	name := []byte(d.t.ObjectName)
	for i, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			name[i] = '_'
		}
	}
	if len(name) > 150 {
		name = name[:150]
	}
	return "_rtdw-datagen-" + string(name) + "-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// Mode: generated rows are inserts.
func (d *datagen) Mode() ChangelogMode { return InsertOnly }

// Attach registers the generation (Context.AddPrepare) and reads the
// generated topic.
func (d *datagen) Attach(j *stream.Job, opts ...stream.SourceOption) (stream.Stream, error) {
	// The log is needed when the job runs and the rows are written (a
	// plan that is only explained has none).
	if d.ctx == nil {
		return stream.Stream{}, fmt.Errorf("%s: needs the log to write its rows to", where(datagenFactory, d.t))
	}
	if d.ctx.AddPrepare != nil && !d.started {
		d.started = true
		d.ctx.AddPrepare(d.prepare)
	}
	schema := d.schema
	decode := stream.Decoded(func() stream.RowDecode {
		var r row.Row
		return func(value []byte, emit func(*row.Row)) error {
			if err := row.DecodeRow(value, schema, &r); err != nil {
				return stream.BadInput("bad_row", "%v", err)
			}
			emit(&r)
			return nil
		}
	})
	return j.Source(d.topic, append(slices.Clone(opts), decode)...), nil
}

// prepare writes the bounded rows, or starts the unbounded generator.
func (d *datagen) prepare() error {
	ctx := context.Background()
	l := d.ctx.Log
	if l == nil {
		return fmt.Errorf("%s: needs the log to write its rows to", where(datagenFactory, d.t))
	}
	if _, err := rlog.EnsureTopic(ctx, l, d.topic, rlog.TopicConfig{Partitions: 1}); err != nil {
		return fmt.Errorf("datagen %s: %w", d.t.Name, err)
	}
	next, err := d.written(ctx)
	if err != nil {
		return err
	}
	if d.rows >= 0 {
		for next < d.rows {
			n := min(d.rows-next, 1000)
			if err := d.produce(ctx, next, n); err != nil {
				return err
			}
			next += n
		}
		return nil
	}
	startGenerator(d, next)
	return nil
}

// written is the number of rows the topic holds: the row number in the
// key of its last record, plus one.
func (d *datagen) written(ctx context.Context) (int64, error) {
	tp := rlog.TopicPartition{Topic: d.topic}
	start, end, err := d.ctx.Log.Offsets(ctx, tp)
	if err != nil {
		return 0, err
	}
	if end == start {
		return 0, nil
	}
	for off := max(start, end-16); off >= start; off -= 16 {
		recs, err := d.ctx.Log.Fetch(ctx, tp, off, 16, 0)
		if err != nil {
			return 0, err
		}
		for i := len(recs) - 1; i >= 0; i-- {
			if len(recs[i].Key) == 8 {
				return int64(binary.BigEndian.Uint64(recs[i].Key)) + 1, nil
			}
		}
		if off == start {
			break
		}
	}
	return 0, nil
}

// produce writes rows first .. first+n-1.
func (d *datagen) produce(ctx context.Context, first, n int64) error {
	now := time.Now
	if d.ctx.Now != nil {
		now = d.ctx.Now
	}
	ts := now()
	recs := make([]rlog.Record, 0, n)
	var r row.Row
	var buf []byte
	for i := first; i < first+n; i++ {
		d.generate(i, ts, &r)
		var err error
		start := len(buf)
		if buf, err = row.AppendRow(buf, d.schema, &r); err != nil {
			return fmt.Errorf("datagen %s: row %d: %w", d.t.Name, i, err)
		}
		recs = append(recs, rlog.Record{Topic: d.topic, Partition: 0, Key: binary.BigEndian.AppendUint64(nil, uint64(i)),
			Value: buf[start:len(buf):len(buf)], Timestamp: ts.UnixMilli()})
	}
	if err := d.ctx.Log.Produce(ctx, recs...); err != nil {
		return fmt.Errorf("datagen %s: %w", d.t.Name, err)
	}
	return nil
}

// generate makes row i, generated at now.
func (d *datagen) generate(i int64, now time.Time, r *row.Row) {
	rng := rand.New(rand.NewPCG(d.seed, uint64(i)))
	r.Reset(row.Insert, len(d.fields))
	for c := range d.fields {
		g := &d.fields[c]
		if g.nullRate > 0 && rng.Float64() < g.nullRate {
			continue
		}
		if g.seq {
			r.Values[c] = sequenceValue(g, i)
			continue
		}
		r.Values[c] = randomValue(rng, g, g.t, now, true)
	}
}

func sequenceValue(g *fieldGen, i int64) row.Value {
	t := g.t
	switch {
	case t.IsInteger():
		return intOf(t.Kind, g.startI+i)
	case t.Kind == row.KindFloat:
		return row.Float(float32(g.start + float64(i)))
	case t.Kind == row.KindDouble:
		return row.Double(g.start + float64(i))
	case t.Kind == row.KindDecimal && g.frac:
		dec, ok := row.DecimalFromFloat(g.start+float64(i), t.Precision, t.Scale)
		if !ok {
			return row.Null()
		}
		return row.DecimalValue(dec)
	case t.Kind == row.KindDecimal:
		dec, ok := row.DecimalFromInt64(g.startI+i, t.Precision, t.Scale)
		if !ok {
			return row.Null()
		}
		return row.DecimalValue(dec)
	default: // strings
		return row.String(strconv.FormatInt(g.startI+i, 10))
	}
}

func intOf(k row.Kind, x int64) row.Value {
	switch k {
	case row.KindTinyInt:
		return row.TinyInt(int8(x))
	case row.KindSmallInt:
		return row.SmallInt(int16(x))
	case row.KindInt:
		return row.Int(int32(x))
	}
	return row.BigInt(x)
}

const hexDigits = "0123456789abcdef"

// randomValue draws a value of t; top says whether g's options apply
// (nested element types use the defaults).
func randomValue(rng *rand.Rand, g *fieldGen, t row.Type, now time.Time, top bool) row.Value {
	length := func(def int) int {
		n := def
		if top && g.length >= 0 {
			n = g.length
		}
		if (t.Kind == row.KindChar || t.Kind == row.KindVarChar || t.Kind == row.KindBinary || t.Kind == row.KindVarBinary) && t.Precision > 0 {
			n = min(n, t.Precision)
		}
		if top && g.varLen && n > 0 {
			n = 1 + rng.IntN(n)
		}
		return n
	}
	switch t.Kind {
	case row.KindBoolean:
		return row.Bool(rng.IntN(2) == 1)
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		lo, hi := intRange(t.Kind)
		if top {
			lo, hi = g.minI, g.maxI
		}
		return intOf(t.Kind, randInt(rng, lo, hi))
	case row.KindFloat, row.KindDouble:
		lo, hi := math.SmallestNonzeroFloat64, math.MaxFloat64
		if t.Kind == row.KindFloat {
			lo, hi = math.SmallestNonzeroFloat32, math.MaxFloat32
		}
		if top && g.min != nil {
			lo = *g.min
		}
		if top && g.max != nil {
			hi = *g.max
		}
		x := lo + rng.Float64()*(hi/2-lo/2)*2
		if t.Kind == row.KindFloat {
			return row.Float(float32(x))
		}
		return row.Double(x)
	case row.KindDecimal:
		limit := math.Pow10(t.Precision-t.Scale) - math.Pow10(-t.Scale)
		lo, hi := -limit, limit
		if top && g.min != nil {
			lo = max(lo, *g.min)
		}
		if top && g.max != nil {
			hi = min(hi, *g.max)
		}
		dec, ok := row.DecimalFromFloat(lo+rng.Float64()*(hi-lo), t.Precision, t.Scale)
		if !ok {
			return row.Null()
		}
		return row.DecimalValue(dec)
	case row.KindChar, row.KindVarChar:
		b := make([]byte, length(100))
		for i := range b {
			b[i] = hexDigits[rng.IntN(16)]
		}
		if t.Kind == row.KindChar {
			return row.Char(string(b))
		}
		return row.String(string(b))
	case row.KindBinary, row.KindVarBinary:
		b := make([]byte, length(100))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		return row.Bytes(b)
	case row.KindDate: // today, as Flink's (the session zone's date)
		days, _ := floorDiv(row.InstantToLocal(now.UnixMilli(), g.loc), row.MillisPerDay)
		return row.Date(int32(days))
	case row.KindTime: // the time now, as Flink's
		_, ms := floorDiv(row.InstantToLocal(now.UnixMilli(), g.loc), row.MillisPerDay)
		return row.Time(row.TruncateTime(ms*row.NanosPerMilli, t.Precision))
	case row.KindTimestamp, row.KindTimestampLTZ:
		var past int64
		if top && g.maxPast > 0 {
			past = rng.Int64N(g.maxPast.Milliseconds() + 1)
		}
		ms := now.UnixMilli() - past
		if t.Kind == row.KindTimestamp {
			ms = row.InstantToLocal(ms, g.loc) // the session zone's wall clock
		}
		ms, _ = row.TruncateTimestamp(ms, 0, t.Precision)
		if t.Kind == row.KindTimestamp {
			return row.Timestamp(ms, 0)
		}
		return row.TimestampLTZ(ms, 0)
	case row.KindIntervalYearMonth:
		return row.IntervalMonths(int32(rng.IntN(1200)))
	case row.KindIntervalDayTime:
		return row.IntervalMillis(rng.Int64N(1000 * row.MillisPerDay))
	case row.KindArray, row.KindMultiset:
		n := length(3)
		elems := make([]row.Value, n)
		for i := range elems {
			elems[i] = randomValue(rng, g, *t.Elem, now, false)
		}
		if t.Kind == row.KindArray {
			return row.Array(elems)
		}
		return row.Multiset(elems)
	case row.KindMap:
		n := length(3)
		kv := make([]row.Value, 0, 2*n)
		for range n {
			kv = append(kv, randomValue(rng, g, *t.Key, now, false), randomValue(rng, g, *t.Elem, now, false))
		}
		return row.MapEntries(kv)
	case row.KindRow:
		fields := make([]row.Value, len(t.Fields))
		for i, f := range t.Fields {
			fields[i] = randomValue(rng, g, f.Type, now, false)
		}
		return row.Struct(fields)
	}
	return row.Null()
}

// randInt draws uniformly from [lo, hi].
func randInt(rng *rand.Rand, lo, hi int64) int64 {
	span := uint64(hi) - uint64(lo)
	if span == math.MaxUint64 {
		return int64(rng.Uint64())
	}
	return lo + int64(rng.Uint64N(span+1))
}

// Unbounded generators: one per log and topic in this process.
var (
	generatorsMu sync.Mutex
	generators   = map[generatorKey]bool{}
)

type generatorKey struct {
	log   rlog.Log
	topic string
}

// startGenerator writes rate rows per second, from row next on, until the
// log refuses a write (it was closed).
func startGenerator(d *datagen, next int64) {
	key := generatorKey{d.ctx.Log, d.topic}
	generatorsMu.Lock()
	defer generatorsMu.Unlock()
	if generators[key] {
		return
	}
	generators[key] = true
	go func() {
		defer func() {
			generatorsMu.Lock()
			delete(generators, key)
			generatorsMu.Unlock()
		}()
		const tick = 100 * time.Millisecond
		t := time.NewTicker(tick)
		defer t.Stop()
		began, base := time.Now(), next
		for range t.C {
			due := base + int64(time.Since(began)/tick)*d.rate/int64(time.Second/tick)
			if n := min(due-next, 100_000); n > 0 {
				if err := d.produce(context.Background(), next, n); err != nil {
					logger(d.ctx).Info("datagen generator stopped", "table", d.t.Name, "err", err)
					return
				}
				next += n
			}
		}
	}()
}
