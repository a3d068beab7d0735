package connector

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/rtdw/rtdw/internal/format"
	"github.com/rtdw/rtdw/internal/row"
)

// The filesystem connector's 'parquet' format, as Flink's
// (flink-parquet's ParquetRowDataBuilder / ParquetColumnarRowInputFormat),
// on arrow-go's low-level parquet file API.
//
// Writing follows Flink's schema: every column OPTIONAL, in a message
// named flink_schema; BOOLEAN; TINYINT and SMALLINT as INT32 annotated
// INT(8)/INT(16); INT as INT32 and BIGINT as INT64; FLOAT, DOUBLE;
// DECIMAL(p, s) as a FIXED_LEN_BYTE_ARRAY of the fewest bytes that hold
// p digits, annotated DECIMAL(p, s) (whatever p is, as Flink); CHAR,
// VARCHAR, STRING as BYTE_ARRAY UTF8; BINARY, VARBINARY, BYTES as
// BYTE_ARRAY; DATE as INT32 DATE; TIME as INT32 TIME_MILLIS; TIMESTAMP and
// TIMESTAMP_LTZ as INT96 (Julian day and nanoseconds of the day, nanos
// kept), or with 'parquet.write.int64.timestamp' as INT64 TIMESTAMP in
// 'parquet.timestamp.time.unit' (isAdjustedToUTC for TIMESTAMP_LTZ only).
// ARRAY is the standard three-level LIST (group (LIST) { repeated group
// list { optional element } }), MAP the standard MAP (repeated group
// key_value { required key; optional value }: a NULL map key cannot be
// written), ROW a group. MULTISET and INTERVAL types are refused.
//
// Reading maps the table's data columns to the file's top-level fields by
// name (exactly, then ignoring case); a column the file lacks is NULL.
// Physical types convert as they fit: integers of either width to any
// integer, floating or DECIMAL column (range-checked), DECIMAL from INT32,
// INT64, FIXED_LEN_BYTE_ARRAY or BYTE_ARRAY (rounded HALF_UP to the
// column's scale; an overflow fails the load), timestamps from INT96 and
// from INT64 TIMESTAMP in any unit (and the legacy TIMESTAMP_MILLIS /
// TIMESTAMP_MICROS), TIME from TIME in any unit, nested types from the
// standard LIST and MAP layouts and the legacy two-level ones.
//
// 'parquet.utc-timezone' (false by default, as Flink) says how a timestamp
// is stored: true stores the wall clock as if it were UTC (Hive 3,
// Spark, DuckDB read it back unchanged); false converts it from the local
// time zone to an instant, which for rtdw is the session time zone
// ('table.local-time-zone', UTC unless set; Flink uses the JVM's zone).

// pqIgnored are parquet-mr writer options rtdw accepts and does not use.
var pqIgnored = []string{"parquet.validation", "parquet.writer.max-padding", "parquet.page.size.row.check.min",
	"parquet.page.size.row.check.max", "parquet.page.size.check.estimate", "parquet.page.row.count.limit",
	"parquet.bloom.filter.enabled", "parquet.bloom.filter.expected.ndv", "parquet.bloom.filter.max.bytes",
	"parquet.statistics.truncate.length", "parquet.columnindex.truncate.length", "parquet.memory.pool.ratio",
	"parquet.summary.metadata.level", "parquet.enable.summary-metadata", "parquet.compression.codec.zstd.workers"}

// pqOptions are the parquet options rtdw uses, with their defaults.
var pqOptions = []string{"parquet.compression (SNAPPY)", "parquet.compression.codec.zstd.level (3)", "parquet.utc-timezone (false)",
	"parquet.write.int64.timestamp (false)", "parquet.timestamp.time.unit (micros)", "parquet.block.size (134217728)",
	"parquet.page.size (1048576)", "parquet.dictionary.page.size (1048576)", "parquet.enable.dictionary (true)",
	"parquet.writer.version (PARQUET_1_0)"}

// pqFormat is a table's parquet format: its data columns' file schema
// and the writer options.
type pqFormat struct {
	cols      *row.Schema // the data columns
	props     *parquet.WriterProperties
	blockSize int64 // bytes of values buffered before a row group is written
	utc       bool
	loc       *time.Location // the "local" zone of utc = false
	int64TS   bool
	unit      schema.TimeUnitType
}

func newParquetFormat(ctx *Context, t *Table, cols *row.Schema) (*pqFormat, error) {
	f := filesystemFactory
	pf := &pqFormat{cols: cols, blockSize: 128 << 20, unit: schema.TimeUnitMicros, loc: time.UTC}
	if ctx != nil && ctx.Loc != nil {
		pf.loc = ctx.Loc
	}
	if tz, ok := t.Options[format.LocalTimeZoneOption]; ok {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, fmt.Errorf("%s: '%s' = '%s': unknown time zone", where(f, t), format.LocalTimeZoneOption, tz)
		}
		pf.loc = loc
	}
	codec, level := compress.Codecs.Snappy, compress.DefaultCompressionLevel
	dict, pageSize, dictPage, version := true, int64(1<<20), int64(1<<20), parquet.V1_0
	var ignored []string
	keys := make([]string, 0, len(t.Options))
	for k := range t.Options {
		if strings.HasPrefix(k, "parquet.") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v := strings.TrimSpace(t.Options[k])
		bad := func(err any) error { return fmt.Errorf("%s: '%s' = '%s': %v", where(f, t), k, t.Options[k], err) }
		var err error
		switch k {
		case "parquet.compression":
			switch strings.ToUpper(v) {
			case "UNCOMPRESSED":
				codec = compress.Codecs.Uncompressed
			case "SNAPPY":
				codec = compress.Codecs.Snappy
			case "GZIP":
				codec = compress.Codecs.Gzip
			case "ZSTD":
				codec = compress.Codecs.Zstd
			case "BROTLI":
				codec = compress.Codecs.Brotli
			case "LZ4_RAW":
				codec = compress.Codecs.Lz4Raw
			case "LZO", "LZ4":
				return nil, bad("the codec is not supported (UNCOMPRESSED, SNAPPY, GZIP, ZSTD, BROTLI, LZ4_RAW)")
			default:
				return nil, bad("unknown codec (UNCOMPRESSED, SNAPPY, GZIP, ZSTD, BROTLI, LZ4_RAW)")
			}
		case "parquet.compression.codec.zstd.level":
			if level, err = strconv.Atoi(v); err != nil || level < 1 || level > 22 {
				return nil, bad("a zstd level from 1 to 22")
			}
		case "parquet.utc-timezone":
			pf.utc, err = row.ParseBool(v)
		case "parquet.write.int64.timestamp":
			pf.int64TS, err = row.ParseBool(v)
		case "parquet.timestamp.time.unit":
			switch strings.ToLower(v) {
			case "millis":
				pf.unit = schema.TimeUnitMillis
			case "micros":
				pf.unit = schema.TimeUnitMicros
			case "nanos":
				pf.unit = schema.TimeUnitNanos
			default:
				return nil, bad("millis, micros or nanos")
			}
		case "parquet.block.size", "parquet.page.size", "parquet.dictionary.page.size":
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil || n <= 0 {
				return nil, bad("a positive number of bytes")
			}
			switch k {
			case "parquet.block.size":
				pf.blockSize = n
			case "parquet.page.size":
				pageSize = n
			default:
				dictPage = n
			}
		case "parquet.enable.dictionary":
			dict, err = row.ParseBool(v)
		case "parquet.writer.version":
			switch strings.ToUpper(v) {
			case "PARQUET_1_0", "V1":
				version = parquet.V1_0
			case "PARQUET_2_0", "V2":
				version = parquet.V2_LATEST
			default:
				return nil, bad("PARQUET_1_0 or PARQUET_2_0")
			}
		default:
			if !slices.Contains(pqIgnored, k) {
				return nil, fmt.Errorf("%s: unsupported option '%s' (parquet options: %s; accepted and not used: %s)",
					where(f, t), k, strings.Join(pqOptions, ", "), strings.Join(pqIgnored, ", "))
			}
			ignored = append(ignored, k)
		}
		if err != nil {
			return nil, bad(err)
		}
	}
	if len(ignored) > 0 {
		logger(ctx).Info("ignoring parquet options rtdw does not need", "table", t.Name, "options", strings.Join(ignored, ", "))
	}
	opts := []parquet.WriterProperty{parquet.WithCompression(codec), parquet.WithDictionaryDefault(dict),
		parquet.WithDataPageSize(pageSize), parquet.WithDictionaryPageSizeLimit(dictPage), parquet.WithVersion(version),
		parquet.WithCreatedBy("rtdw"), parquet.WithRootName(pqRootName)}
	if _, ok := t.Options["parquet.compression.codec.zstd.level"]; ok && codec == compress.Codecs.Zstd {
		opts = append(opts, parquet.WithCompressionLevel(level))
	}
	pf.props = parquet.NewWriterProperties(opts...)
	// Every column must have a parquet type, for the source too (the
	// reader converts to the same types).
	if _, err := pf.schema(); err != nil {
		return nil, fmt.Errorf("%s: %w", where(f, t), err)
	}
	return pf, nil
}

// schema builds the file schema of the data columns (each writer gets its
// own: arrow-go's nodes are not documented as safe to share).
func (pf *pqFormat) schema() (*schema.GroupNode, error) {
	fields := make(schema.FieldList, pf.cols.Len())
	for i, c := range pf.cols.Columns() {
		n, err := pf.node(c.Name, c.Type, parquet.Repetitions.Optional)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		fields[i] = n
	}
	return schema.NewGroupNode(pqRootName, parquet.Repetitions.Required, fields, -1)
}

// pqRootName is the message name Flink writes.
const pqRootName = "flink_schema"

// decimalBytes is the fewest bytes of a two's-complement integer that
// holds every p-digit number (Flink's computeMinBytesForDecimalPrecision).
func decimalBytes(p int) int {
	n := 1
	limit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(p)), nil)
	for new(big.Int).Lsh(big.NewInt(1), uint(8*n-1)).Cmp(limit) < 0 {
		n++
	}
	return n
}

// node is the parquet schema node of a column or nested field.
func (pf *pqFormat) node(name string, t row.Type, rep parquet.Repetition) (schema.Node, error) {
	prim := func(lt schema.LogicalType, phys parquet.Type, length int) (schema.Node, error) {
		if lt == nil {
			lt = schema.NoLogicalType{}
		}
		return schema.NewPrimitiveNodeLogical(name, rep, lt, phys, length, -1)
	}
	switch t.Kind {
	case row.KindBoolean:
		return prim(nil, parquet.Types.Boolean, 0)
	case row.KindTinyInt:
		return prim(schema.NewIntLogicalType(8, true), parquet.Types.Int32, 0)
	case row.KindSmallInt:
		return prim(schema.NewIntLogicalType(16, true), parquet.Types.Int32, 0)
	case row.KindInt:
		return prim(nil, parquet.Types.Int32, 0)
	case row.KindBigInt:
		return prim(nil, parquet.Types.Int64, 0)
	case row.KindFloat:
		return prim(nil, parquet.Types.Float, 0)
	case row.KindDouble:
		return prim(nil, parquet.Types.Double, 0)
	case row.KindDecimal:
		return prim(schema.NewDecimalLogicalType(int32(t.Precision), int32(t.Scale)), parquet.Types.FixedLenByteArray, decimalBytes(t.Precision))
	case row.KindChar, row.KindVarChar:
		return prim(schema.StringLogicalType{}, parquet.Types.ByteArray, 0)
	case row.KindBinary, row.KindVarBinary:
		return prim(nil, parquet.Types.ByteArray, 0)
	case row.KindDate:
		return prim(schema.DateLogicalType{}, parquet.Types.Int32, 0)
	case row.KindTime:
		return prim(schema.NewTimeLogicalType(true, schema.TimeUnitMillis), parquet.Types.Int32, 0)
	case row.KindTimestamp, row.KindTimestampLTZ:
		if pf.int64TS {
			return prim(schema.NewTimestampLogicalTypeForce(t.Kind == row.KindTimestampLTZ, pf.unit), parquet.Types.Int64, 0)
		}
		return prim(nil, parquet.Types.Int96, 0)
	case row.KindArray:
		elem, err := pf.node("element", *t.Elem, parquet.Repetitions.Optional)
		if err != nil {
			return nil, err
		}
		list, err := schema.NewGroupNode("list", parquet.Repetitions.Repeated, schema.FieldList{elem}, -1)
		if err != nil {
			return nil, err
		}
		return schema.NewGroupNodeLogical(name, rep, schema.FieldList{list}, schema.ListLogicalType{}, -1)
	case row.KindMap:
		key, err := pf.node("key", *t.Key, parquet.Repetitions.Required)
		if err != nil {
			return nil, err
		}
		val, err := pf.node("value", *t.Elem, parquet.Repetitions.Optional)
		if err != nil {
			return nil, err
		}
		kv, err := schema.NewGroupNode("key_value", parquet.Repetitions.Repeated, schema.FieldList{key, val}, -1)
		if err != nil {
			return nil, err
		}
		return schema.NewGroupNodeLogical(name, rep, schema.FieldList{kv}, schema.MapLogicalType{}, -1)
	case row.KindRow:
		fields := make(schema.FieldList, len(t.Fields))
		for i, fl := range t.Fields {
			n, err := pf.node(fl.Name, fl.Type, parquet.Repetitions.Optional)
			if err != nil {
				return nil, err
			}
			fields[i] = n
		}
		if len(fields) == 0 {
			return nil, errors.New("a ROW without fields cannot be written as parquet")
		}
		return schema.NewGroupNode(name, rep, fields, -1)
	}
	return nil, fmt.Errorf("type %s cannot be written as parquet (the parquet format supports BOOLEAN, the integer types, FLOAT, DOUBLE, DECIMAL, the string and binary types, DATE, TIME, TIMESTAMP, TIMESTAMP_LTZ, ARRAY, MAP and ROW)", t)
}

// toInstant and fromInstant convert a TIMESTAMP's millis to and from the
// stored epoch millis ('parquet.utc-timezone').
func (pf *pqFormat) toInstant(millis int64) int64 {
	if pf.utc {
		return millis
	}
	return row.LocalToInstant(millis, pf.loc)
}

func (pf *pqFormat) fromInstant(millis int64) int64 {
	if pf.utc {
		return millis
	}
	return row.InstantToLocal(millis, pf.loc)
}

// julianEpochDay is the Julian day of 1970-01-01 (INT96 timestamps).
const julianEpochDay = 2440588

func floorDiv(a, b int64) (q, r int64) {
	q, r = a/b, a%b
	if r < 0 {
		q, r = q-1, r+b
	}
	return q, r
}

// --- writer ---

// pqWriter writes one parquet file: rows are shredded into column
// buffers (values with definition and repetition levels) and written as a
// row group when the buffers reach 'parquet.block.size' and at finish.
type pqWriter struct {
	pf     *pqFormat
	out    *pqSink
	w      *file.Writer
	cols   []*pqWNode
	leaves []*pqWLeaf
	rows   int
	size   int64
}

// pqSink is the file writer's output: it keeps the first write error
// (arrow-go's writer drops some) and is no io.Closer, so the caller
// closes the file.
type pqSink struct {
	w   io.Writer
	err error
}

func (s *pqSink) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	if err != nil {
		s.err = err
	}
	return n, err
}

type pqWNode struct {
	kind     byte // 'p' primitive, 'r' ROW, 'l' ARRAY, 'm' MAP
	name     string
	def      int16 // the node's definition level when present
	repRep   int16 // ARRAY and MAP: the repetition level of their repeated group
	optional bool
	leaf     *pqWLeaf
	children []*pqWNode // ROW fields; ARRAY: element; MAP: key, value
	leaves   []*pqWLeaf // every leaf under the node
}

type pqWLeaf struct {
	t        row.Type
	phys     parquet.Type
	maxRep   int16
	fixedLen int
	def, rep []int16
	bools    []bool
	i32      []int32
	i64      []int64
	f32      []float32
	f64      []float64
	bytes    []parquet.ByteArray
	fixed    []parquet.FixedLenByteArray
	i96      []parquet.Int96
	mark     [9]int // lens after the last whole row
}

func (pf *pqFormat) newWriter(w io.Writer) (*pqWriter, error) {
	root, err := pf.schema() // checked when the table was planned
	if err != nil {
		return nil, err
	}
	out := &pqSink{w: w}
	pw := &pqWriter{pf: pf, out: out, w: file.NewParquetWriter(out, root, file.WithWriterProps(pf.props))}
	for i := 0; i < root.NumFields(); i++ {
		pw.cols = append(pw.cols, pw.build(root.Field(i), pf.cols.Column(i).Type, 0, 0))
	}
	return pw, nil
}

// build mirrors a schema node with its levels; leaves are appended in
// the file's column order.
func (pw *pqWriter) build(n schema.Node, t row.Type, parentDef, parentRep int16) *pqWNode {
	wn := &pqWNode{name: n.Name(), optional: n.RepetitionType() == parquet.Repetitions.Optional, def: parentDef}
	if wn.optional {
		wn.def++
	}
	add := func(c *pqWNode) {
		wn.children = append(wn.children, c)
		wn.leaves = append(wn.leaves, c.leaves...)
	}
	switch t.Kind {
	case row.KindArray, row.KindMap:
		rg := n.(*schema.GroupNode).Field(0).(*schema.GroupNode)
		wn.kind, wn.repRep = 'l', parentRep+1
		if t.Kind == row.KindMap {
			wn.kind = 'm'
			add(pw.build(rg.Field(0), *t.Key, wn.def+1, wn.repRep))
		}
		add(pw.build(rg.Field(rg.NumFields()-1), *t.Elem, wn.def+1, wn.repRep))
	case row.KindRow:
		wn.kind = 'r'
		g := n.(*schema.GroupNode)
		for i := range t.Fields {
			add(pw.build(g.Field(i), t.Fields[i].Type, wn.def, parentRep))
		}
	default:
		p := n.(*schema.PrimitiveNode)
		wn.kind = 'p'
		wn.leaf = &pqWLeaf{t: t, phys: p.PhysicalType(), maxRep: parentRep, fixedLen: p.TypeLength()}
		wn.leaves = []*pqWLeaf{wn.leaf}
		pw.leaves = append(pw.leaves, wn.leaf)
	}
	return wn
}

// errPQWrite marks a failure to write the file, not a row that cannot be
// written.
var errPQWrite = errors.New("parquet write")

// write shreds one row of the data columns. A row that cannot be written
// (a NULL map key, a value out of range) is an error and leaves nothing
// behind; a failure to write the file wraps errPQWrite.
func (pw *pqWriter) write(r *row.Row) error {
	for i, c := range pw.cols {
		if err := pw.shred(c, r.Values[i], 0); err != nil {
			pw.rollback()
			return fmt.Errorf("column %s: %w", pw.pf.cols.Column(i).Name, err)
		}
	}
	pw.rows++
	for _, l := range pw.leaves {
		l.mark = l.lens()
	}
	if pw.size >= pw.pf.blockSize {
		if err := pw.flushRowGroup(); err != nil {
			return fmt.Errorf("%w: %w", errPQWrite, err)
		}
	}
	return nil
}

// catch turns a panic of arrow-go's writer (it panics on some misuse and
// some I/O failures) into an error.
func catch(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("parquet writer: %v", r)
	}
}

// rollback drops what a failed row appended to the leaves.
func (pw *pqWriter) rollback() {
	for _, l := range pw.leaves {
		m := l.mark
		l.def, l.rep = l.def[:m[0]], l.rep[:m[0]]
		l.bools, l.i32, l.i64, l.f32, l.f64 = l.bools[:m[1]], l.i32[:m[2]], l.i64[:m[3]], l.f32[:m[4]], l.f64[:m[5]]
		l.bytes, l.fixed, l.i96 = l.bytes[:m[6]], l.fixed[:m[7]], l.i96[:m[8]]
	}
}

func (l *pqWLeaf) lens() [9]int {
	return [9]int{len(l.def), len(l.bools), len(l.i32), len(l.i64), len(l.f32), len(l.f64), len(l.bytes), len(l.fixed), len(l.i96)}
}

func (pw *pqWriter) shred(n *pqWNode, v row.Value, rep int16) error {
	if v.IsNull() {
		if !n.optional {
			return fmt.Errorf("%s: a NULL cannot be written to parquet's required field (a NULL map key)", n.name)
		}
		for _, l := range n.leaves {
			l.def, l.rep = append(l.def, n.def-1), append(l.rep, rep)
		}
		return nil
	}
	switch n.kind {
	case 'r':
		for i, c := range n.children {
			if err := pw.shred(c, v.Elem(i), rep); err != nil {
				return err
			}
		}
	case 'l', 'm':
		count := v.Len()
		if count == 0 {
			for _, l := range n.leaves {
				l.def, l.rep = append(l.def, n.def), append(l.rep, rep)
			}
			return nil
		}
		for i := range count {
			r := rep
			if i > 0 {
				r = n.repRep
			}
			if n.kind == 'l' {
				if err := pw.shred(n.children[0], v.Elem(i), r); err != nil {
					return err
				}
				continue
			}
			if err := pw.shred(n.children[0], v.MapKey(i), r); err != nil {
				return err
			}
			if err := pw.shred(n.children[1], v.MapValue(i), r); err != nil {
				return err
			}
		}
	default:
		l := n.leaf
		l.def, l.rep = append(l.def, n.def), append(l.rep, rep)
		return pw.put(l, v)
	}
	return nil
}

// put appends a non-NULL value to a leaf's values.
func (pw *pqWriter) put(l *pqWLeaf, v row.Value) error {
	pw.size += 4
	switch l.t.Kind {
	case row.KindBoolean:
		l.bools = append(l.bools, v.Bool())
	case row.KindTinyInt, row.KindSmallInt, row.KindInt:
		l.i32 = append(l.i32, int32(v.Int64()))
	case row.KindDate:
		l.i32 = append(l.i32, v.Days())
	case row.KindTime:
		l.i32 = append(l.i32, int32(v.Int64()/row.NanosPerMilli))
	case row.KindBigInt:
		l.i64 = append(l.i64, v.Int64())
		pw.size += 4
	case row.KindFloat:
		l.f32 = append(l.f32, v.Float32())
	case row.KindDouble:
		l.f64 = append(l.f64, v.Float64())
		pw.size += 4
	case row.KindDecimal:
		d := v.Decimal()
		if d.Precision() != l.t.Precision || d.Scale() != l.t.Scale {
			var ok bool
			if d, ok = d.Rescale(l.t.Precision, l.t.Scale); !ok {
				return fmt.Errorf("%s does not fit %s", v.Decimal(), l.t)
			}
		}
		b := make([]byte, l.fixedLen)
		if u, ok := d.Unscaled(); ok {
			for i := l.fixedLen - 1; i >= 0; i-- {
				b[i] = byte(u)
				u >>= 8
			}
		} else {
			u := d.BigUnscaled()
			if u.Sign() < 0 { // two's complement: 2^(8n) + u
				u.Add(u, new(big.Int).Lsh(big.NewInt(1), uint(8*l.fixedLen)))
			}
			u.FillBytes(b)
		}
		l.fixed = append(l.fixed, b)
		pw.size += int64(l.fixedLen)
	case row.KindChar, row.KindVarChar, row.KindBinary, row.KindVarBinary:
		s := v.Str()
		l.bytes = append(l.bytes, parquet.ByteArray(s))
		pw.size += int64(len(s))
	case row.KindTimestamp, row.KindTimestampLTZ:
		millis, nanos := pw.pf.toInstant(v.Millis()), int64(v.NanosOfMilli())
		if l.phys == parquet.Types.Int96 {
			day, ms := floorDiv(millis, row.MillisPerDay)
			var x parquet.Int96
			binary.LittleEndian.PutUint64(x[:8], uint64(ms*row.NanosPerMilli+nanos))
			binary.LittleEndian.PutUint32(x[8:], uint32(day+julianEpochDay))
			l.i96 = append(l.i96, x)
			pw.size += 8
			break
		}
		var n int64
		switch pw.pf.unit {
		case schema.TimeUnitMillis:
			n = millis
		case schema.TimeUnitMicros:
			n = millis*1000 + nanos/1000
		default:
			const maxMs = math.MaxInt64 / row.NanosPerMilli
			n = millis*row.NanosPerMilli + nanos
			if millis > maxMs || millis < -maxMs || millis >= 0 && n < 0 {
				return fmt.Errorf("%s is out of the range of parquet's nanosecond timestamps (1677-09-21 to 2262-04-11)", v)
			}
		}
		l.i64 = append(l.i64, n)
		pw.size += 4
	default:
		return fmt.Errorf("type %s cannot be written as parquet", l.t)
	}
	return nil
}

// flushRowGroup writes the buffered rows as a row group.
func (pw *pqWriter) flushRowGroup() (err error) {
	defer catch(&err)
	if pw.rows == 0 {
		return nil
	}
	rgw := pw.w.AppendRowGroup()
	for _, l := range pw.leaves {
		cw, err := rgw.NextColumn()
		if err != nil {
			return err
		}
		reps := l.rep
		if l.maxRep == 0 {
			reps = nil
		}
		switch c := cw.(type) {
		case *file.BooleanColumnChunkWriter:
			_, err = c.WriteBatch(l.bools, l.def, reps)
		case *file.Int32ColumnChunkWriter:
			_, err = c.WriteBatch(l.i32, l.def, reps)
		case *file.Int64ColumnChunkWriter:
			_, err = c.WriteBatch(l.i64, l.def, reps)
		case *file.Float32ColumnChunkWriter:
			_, err = c.WriteBatch(l.f32, l.def, reps)
		case *file.Float64ColumnChunkWriter:
			_, err = c.WriteBatch(l.f64, l.def, reps)
		case *file.ByteArrayColumnChunkWriter:
			_, err = c.WriteBatch(l.bytes, l.def, reps)
		case *file.FixedLenByteArrayColumnChunkWriter:
			_, err = c.WriteBatch(l.fixed, l.def, reps)
		case *file.Int96ColumnChunkWriter:
			_, err = c.WriteBatch(l.i96, l.def, reps)
		default:
			err = fmt.Errorf("unexpected column writer %T", cw)
		}
		if cerr := cw.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		l.def, l.rep = l.def[:0], l.rep[:0]
		l.bools, l.i32, l.i64, l.f32, l.f64 = l.bools[:0], l.i32[:0], l.i64[:0], l.f32[:0], l.f64[:0]
		clear(l.bytes)
		clear(l.fixed)
		l.bytes, l.fixed, l.i96 = l.bytes[:0], l.fixed[:0], l.i96[:0]
		l.mark = [9]int{}
	}
	if err := rgw.Close(); err != nil {
		return err
	}
	pw.rows, pw.size = 0, 0
	return pw.out.err
}

// finish writes the last row group and the footer. The caller closes the
// file.
func (pw *pqWriter) finish() (err error) {
	defer catch(&err)
	if err := pw.flushRowGroup(); err != nil {
		return err
	}
	if err := pw.w.FlushWithFooter(); err != nil {
		return err
	}
	if err := pw.w.Close(); err != nil {
		return err
	}
	return pw.out.err
}

// --- reader ---

// pqRNode mirrors a file's schema node read as a column's type.
type pqRNode struct {
	kind     byte // 'p' primitive, 'r' ROW, 'l' ARRAY, 'm' MAP, 'x' absent (NULL)
	def      int16
	optional bool
	repDef   int16 // ARRAY, MAP: the repeated group's definition and repetition levels
	repRep   int16
	leaf     *pqRLeaf
	conv     func(l *pqRLeaf, i int) (row.Value, error) // 'p': value i of the leaf; nil: discarded
	children []*pqRNode
	out      []int // 'r': the output field of each child (-1: read to stay in step, discarded)
	nfields  int
	leaves   []*pqRLeaf
}

// pqRLeaf is one column chunk read whole: levels and the values present.
type pqRLeaf struct {
	col       int
	maxDef    int16
	def, rep  []int16
	pos, vpos int
	bools     []bool
	i32       []int32
	i64       []int64
	f32       []float32
	f64       []float64
	strs      []string // BYTE_ARRAY and FIXED_LEN_BYTE_ARRAY
	i96       []parquet.Int96
}

func (n *pqRNode) first() *pqRLeaf { return n.leaves[0] }

// skip consumes the one entry each leaf has for a NULL or empty node.
func (n *pqRNode) skip() {
	for _, l := range n.leaves {
		l.pos++
	}
}

func (n *pqRNode) read() (row.Value, error) {
	switch n.kind {
	case 'x':
		return row.Null(), nil
	case 'p':
		l := n.leaf
		if l.pos >= len(l.def) {
			return row.Null(), errors.New("corrupt column chunk: fewer levels than rows")
		}
		d := l.def[l.pos]
		l.pos++
		if d < l.maxDef {
			return row.Null(), nil
		}
		i := l.vpos
		l.vpos++
		if n.conv == nil {
			return row.Null(), nil
		}
		return n.conv(l, i)
	}
	f := n.first()
	if f.pos >= len(f.def) {
		return row.Null(), errors.New("corrupt column chunk: fewer levels than rows")
	}
	d := f.def[f.pos]
	if n.optional && d < n.def {
		n.skip()
		return row.Null(), nil
	}
	if n.kind == 'r' {
		fields := make([]row.Value, n.nfields)
		for i, c := range n.children {
			v, err := c.read()
			if err != nil {
				return row.Null(), err
			}
			if n.out[i] >= 0 {
				fields[n.out[i]] = v
			}
		}
		return row.Struct(fields), nil
	}
	var elems []row.Value
	if d >= n.repDef {
		for {
			for _, c := range n.children {
				v, err := c.read()
				if err != nil {
					return row.Null(), err
				}
				elems = append(elems, v)
			}
			if f.pos >= len(f.rep) || f.rep[f.pos] < n.repRep {
				break
			}
		}
	} else {
		n.skip() // empty
	}
	if n.kind == 'm' {
		for i := 0; i < len(elems); i += 2 {
			if elems[i].IsNull() {
				return row.Null(), errors.New("a map entry has a NULL key")
			}
		}
		return row.MapEntries(elems), nil
	}
	return row.Array(elems), nil
}

// fieldByName finds a group's field by name: exactly, then ignoring case.
func fieldByName(g *schema.GroupNode, name string) schema.Node {
	if i := g.FieldIndexByName(name); i >= 0 {
		return g.Field(i)
	}
	for i := 0; i < g.NumFields(); i++ {
		if strings.EqualFold(g.Field(i).Name(), name) {
			return g.Field(i)
		}
	}
	return nil
}

// pqReadPlan is how one file's columns are read.
type pqReadPlan struct {
	sch    *schema.Schema
	cols   []*pqRNode // one per data column
	leaves []*pqRLeaf // the column chunks read, in file order
}

// plan maps the data columns onto a file's schema.
func (pf *pqFormat) plan(sch *schema.Schema) (*pqReadPlan, error) {
	p := &pqReadPlan{sch: sch}
	root := sch.Root()
	for _, c := range pf.cols.Columns() {
		n := fieldByName(root, c.Name)
		if n == nil {
			p.cols = append(p.cols, &pqRNode{kind: 'x'})
			continue
		}
		if n.RepetitionType() == parquet.Repetitions.Repeated {
			return nil, fmt.Errorf("column %s: a repeated top-level field is not supported", c.Name)
		}
		rn, err := p.build(pf, n, &c.Type, 0, 0, c.Name)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", c.Name, err)
		}
		p.cols = append(p.cols, rn)
	}
	slices.SortFunc(p.leaves, func(a, b *pqRLeaf) int { return a.col - b.col })
	return p, nil
}

// listParts returns a LIST or MAP group's repeated child and the element
// node(s) under it, by parquet's backward-compatibility rules.
func listElement(g *schema.GroupNode) (rep schema.Node, elem schema.Node, err error) {
	if g.NumFields() != 1 || g.Field(0).RepetitionType() != parquet.Repetitions.Repeated {
		return nil, nil, errors.New("a LIST group must have exactly one repeated field")
	}
	rep = g.Field(0)
	rg, ok := rep.(*schema.GroupNode)
	if !ok || rg.NumFields() != 1 || rep.Name() == "array" || rep.Name() == g.Name()+"_tuple" {
		return rep, rep, nil // the repeated field is the element (legacy two-level lists)
	}
	return rep, rg.Field(0), nil
}

// build mirrors file node n read as type t (nil: read and discarded).
func (p *pqReadPlan) build(pf *pqFormat, n schema.Node, t *row.Type, parentDef, parentRep int16, path string) (*pqRNode, error) {
	rn := &pqRNode{def: parentDef, optional: n.RepetitionType() == parquet.Repetitions.Optional}
	repeated := n.RepetitionType() == parquet.Repetitions.Repeated
	if rn.optional || repeated {
		rn.def++
	}
	if repeated { // a repeated field read as its element: present whenever reached
		parentRep++
	}
	add := func(c *pqRNode) {
		rn.children = append(rn.children, c)
		rn.leaves = append(rn.leaves, c.leaves...)
	}
	if pn, ok := n.(*schema.PrimitiveNode); ok {
		if t != nil && (t.Kind == row.KindArray || t.Kind == row.KindMap || t.Kind == row.KindRow || t.Kind == row.KindMultiset) {
			return nil, fmt.Errorf("cannot read parquet %s as %s", pqTypeName(pn), t)
		}
		col := p.sch.ColumnIndexByNode(pn)
		l := &pqRLeaf{col: col, maxDef: rn.def}
		p.leaves = append(p.leaves, l)
		rn.kind, rn.leaf, rn.leaves = 'p', l, []*pqRLeaf{l}
		if t != nil {
			conv, err := pf.leafConv(pn, *t)
			if err != nil {
				return nil, err
			}
			rn.conv = conv
		}
		return rn, nil
	}
	g := n.(*schema.GroupNode)
	lt := g.LogicalType()
	isList := !repeated && (lt.Equals(schema.ListLogicalType{}) || g.ConvertedType() == schema.ConvertedTypes.List)
	isMap := !repeated && (lt.Equals(schema.MapLogicalType{}) || g.ConvertedType() == schema.ConvertedTypes.Map || g.ConvertedType() == schema.ConvertedTypes.MapKeyValue)
	switch {
	case isList && (t == nil || t.Kind == row.KindArray):
		rep, elem, err := listElement(g)
		if err != nil {
			return nil, err
		}
		rn.kind, rn.repDef, rn.repRep = 'l', rn.def+1, parentRep+1
		var et *row.Type
		if t != nil {
			et = t.Elem
		}
		var c *pqRNode
		if elem == rep {
			c, err = p.build(pf, rep, et, rn.def, parentRep, path+"[]")
		} else {
			c, err = p.build(pf, elem, et, rn.repDef, rn.repRep, path+"[]")
		}
		if err != nil {
			return nil, err
		}
		add(c)
		return rn, nil
	case isMap && (t == nil || t.Kind == row.KindMap):
		if g.NumFields() != 1 || g.Field(0).RepetitionType() != parquet.Repetitions.Repeated {
			return nil, errors.New("a MAP group must have exactly one repeated field")
		}
		kv, ok := g.Field(0).(*schema.GroupNode)
		if !ok || kv.NumFields() < 1 || kv.NumFields() > 2 {
			return nil, errors.New("a MAP's repeated group must hold a key and a value")
		}
		rn.kind, rn.repDef, rn.repRep = 'm', rn.def+1, parentRep+1
		var kt, vt *row.Type
		if t != nil {
			kt, vt = t.Key, t.Elem
		}
		k, err := p.build(pf, kv.Field(0), kt, rn.repDef, rn.repRep, path+".key")
		if err != nil {
			return nil, err
		}
		add(k)
		v := &pqRNode{kind: 'x'}
		if kv.NumFields() == 2 {
			if v, err = p.build(pf, kv.Field(1), vt, rn.repDef, rn.repRep, path+".value"); err != nil {
				return nil, err
			}
		}
		add(v)
		return rn, nil
	case !isList && !isMap && (t == nil || t.Kind == row.KindRow):
		rn.kind = 'r'
		if t == nil { // discarded: one field keeps the levels in step
			c, err := p.build(pf, g.Field(0), nil, rn.def, parentRep, path)
			if err != nil {
				return nil, err
			}
			add(c)
			rn.out = []int{-1}
			return rn, nil
		}
		rn.nfields = len(t.Fields)
		for i, fl := range t.Fields {
			fn := fieldByName(g, fl.Name)
			if fn == nil {
				add(&pqRNode{kind: 'x'})
				rn.out = append(rn.out, i)
				continue
			}
			c, err := p.build(pf, fn, &t.Fields[i].Type, rn.def, parentRep, path+"."+fl.Name)
			if err != nil {
				return nil, fmt.Errorf("field %s: %w", fl.Name, err)
			}
			add(c)
			rn.out = append(rn.out, i)
		}
		if len(rn.leaves) == 0 { // no field in the file: read one to know NULL from not
			c, err := p.build(pf, g.Field(0), nil, rn.def, parentRep, path)
			if err != nil {
				return nil, err
			}
			add(c)
			rn.out = append(rn.out, -1)
		}
		return rn, nil
	}
	what := "group"
	switch {
	case isList:
		what = "LIST"
	case isMap:
		what = "MAP"
	}
	return nil, fmt.Errorf("cannot read a parquet %s as %s", what, t)
}

func pqTypeName(n *schema.PrimitiveNode) string {
	s := n.PhysicalType().String()
	if lt := n.LogicalType(); lt != nil && !lt.IsNone() {
		s += " " + lt.String()
	}
	return s
}

// leafConv converts a primitive column's values to type t.
func (pf *pqFormat) leafConv(n *schema.PrimitiveNode, t row.Type) (func(l *pqRLeaf, i int) (row.Value, error), error) {
	phys, lt := n.PhysicalType(), n.LogicalType()
	cannot := fmt.Errorf("cannot read parquet %s as %s", pqTypeName(n), t)
	dec, isDec := lt.(schema.DecimalLogicalType)
	unsigned := false
	if it, ok := lt.(schema.IntLogicalType); ok {
		unsigned = !it.IsSigned()
	}
	// integer reads INT32 / INT64 as an int64.
	var integer func(l *pqRLeaf, i int) int64
	switch phys {
	case parquet.Types.Int32:
		integer = func(l *pqRLeaf, i int) int64 {
			if unsigned {
				return int64(uint32(l.i32[i]))
			}
			return int64(l.i32[i])
		}
	case parquet.Types.Int64:
		integer = func(l *pqRLeaf, i int) int64 { return l.i64[i] }
	}
	// unscaled reads a DECIMAL's (or an integer's) unscaled value.
	unscaled := func(l *pqRLeaf, i int) (*big.Int, int64, bool) {
		switch phys {
		case parquet.Types.Int32, parquet.Types.Int64:
			if unsigned && phys == parquet.Types.Int64 && l.i64[i] < 0 {
				return new(big.Int).SetUint64(uint64(l.i64[i])), 0, true
			}
			return nil, integer(l, i), true
		}
		b := []byte(l.strs[i])
		u := new(big.Int).SetBytes(b)
		if len(b) > 0 && b[0]&0x80 != 0 {
			u.Sub(u, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
		}
		return u, 0, true
	}
	isTemporal := func() bool {
		switch lt.(type) {
		case schema.DateLogicalType, schema.TimeLogicalType, schema.TimestampLogicalType:
			return true
		}
		return false
	}
	switch t.Kind {
	case row.KindBoolean:
		if phys != parquet.Types.Boolean {
			return nil, cannot
		}
		return func(l *pqRLeaf, i int) (row.Value, error) { return row.Bool(l.bools[i]), nil }, nil
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		if integer == nil || isTemporal() || isDec && dec.Scale() != 0 {
			return nil, cannot
		}
		lo, hi := pqIntRange(t.Kind)
		return func(l *pqRLeaf, i int) (row.Value, error) {
			if unsigned && phys == parquet.Types.Int64 && l.i64[i] < 0 {
				return row.Null(), fmt.Errorf("%d is out of the range of %s", uint64(l.i64[i]), t)
			}
			v := integer(l, i)
			if v < lo || v > hi {
				return row.Null(), fmt.Errorf("%d is out of the range of %s", v, t)
			}
			return pqIntValue(t.Kind, v), nil
		}, nil
	case row.KindFloat, row.KindDouble:
		var f func(l *pqRLeaf, i int) float64
		switch {
		case phys == parquet.Types.Float:
			f = func(l *pqRLeaf, i int) float64 { return float64(l.f32[i]) }
		case phys == parquet.Types.Double:
			f = func(l *pqRLeaf, i int) float64 { return l.f64[i] }
		case integer != nil && !isDec && !isTemporal():
			f = func(l *pqRLeaf, i int) float64 { return float64(integer(l, i)) }
		default:
			return nil, cannot
		}
		if t.Kind == row.KindFloat {
			return func(l *pqRLeaf, i int) (row.Value, error) { return row.Float(float32(f(l, i))), nil }, nil
		}
		return func(l *pqRLeaf, i int) (row.Value, error) { return row.Double(f(l, i)), nil }, nil
	case row.KindDecimal:
		scale := 0
		if isDec {
			scale = int(dec.Scale())
		} else if integer == nil || isTemporal() {
			return nil, cannot
		}
		if phys != parquet.Types.Int32 && phys != parquet.Types.Int64 && phys != parquet.Types.FixedLenByteArray && phys != parquet.Types.ByteArray {
			return nil, cannot
		}
		return func(l *pqRLeaf, i int) (row.Value, error) {
			b, u, _ := unscaled(l, i)
			var d row.Decimal
			var ok bool
			if b == nil {
				d, ok = row.NewDecimal(u, row.MaxDecimalPrecision, min(scale, row.MaxDecimalPrecision))
			} else {
				d, ok = row.DecimalFromBig(b, row.MaxDecimalPrecision, min(scale, row.MaxDecimalPrecision))
			}
			if ok {
				d, ok = d.Rescale(t.Precision, t.Scale)
			}
			if !ok {
				return row.Null(), fmt.Errorf("a decimal (scale %d) does not fit %s", scale, t)
			}
			return row.DecimalValue(d), nil
		}, nil
	case row.KindChar, row.KindVarChar:
		if phys != parquet.Types.ByteArray && phys != parquet.Types.FixedLenByteArray || isDec {
			return nil, cannot
		}
		if t.Kind == row.KindChar {
			return func(l *pqRLeaf, i int) (row.Value, error) { return row.Char(l.strs[i]), nil }, nil
		}
		return func(l *pqRLeaf, i int) (row.Value, error) { return row.String(l.strs[i]), nil }, nil
	case row.KindBinary, row.KindVarBinary:
		if phys != parquet.Types.ByteArray && phys != parquet.Types.FixedLenByteArray {
			return nil, cannot
		}
		return func(l *pqRLeaf, i int) (row.Value, error) { return row.BytesOf(l.strs[i]), nil }, nil
	case row.KindDate:
		_, isDate := lt.(schema.DateLogicalType)
		if phys != parquet.Types.Int32 || !isDate && !lt.IsNone() {
			return nil, cannot
		}
		return func(l *pqRLeaf, i int) (row.Value, error) { return row.Date(l.i32[i]), nil }, nil
	case row.KindTime:
		unit, ok := timeUnit(lt)
		if !ok || integer == nil {
			return nil, cannot
		}
		return func(l *pqRLeaf, i int) (row.Value, error) {
			nanos := integer(l, i) * unitNanos(unit)
			if nanos < 0 || nanos >= row.NanosPerDay {
				return row.Null(), fmt.Errorf("%d is not a time of day", integer(l, i))
			}
			return row.Time(row.TruncateTime(nanos, t.Precision)), nil
		}, nil
	case row.KindTimestamp, row.KindTimestampLTZ:
		mk := row.Timestamp
		if t.Kind == row.KindTimestampLTZ {
			mk = row.TimestampLTZ
		}
		ts := func(millis int64, nanos int32) (row.Value, error) {
			millis = pf.fromInstant(millis)
			if millis < row.MinMillis || millis > row.MaxMillis {
				return row.Null(), fmt.Errorf("timestamp %d ms is out of the range of %s", millis, t)
			}
			millis, nanos = row.TruncateTimestamp(millis, nanos, t.Precision)
			return mk(millis, nanos), nil
		}
		if phys == parquet.Types.Int96 {
			return func(l *pqRLeaf, i int) (row.Value, error) {
				x := l.i96[i]
				nod := int64(binary.LittleEndian.Uint64(x[:8]))
				day := int64(int32(binary.LittleEndian.Uint32(x[8:]))) - julianEpochDay
				ms, ns := floorDiv(nod, row.NanosPerMilli)
				return ts(day*row.MillisPerDay+ms, int32(ns))
			}, nil
		}
		tlt, ok := lt.(schema.TimestampLogicalType)
		if !ok || phys != parquet.Types.Int64 {
			return nil, cannot
		}
		unit := tlt.TimeUnit()
		return func(l *pqRLeaf, i int) (row.Value, error) {
			v := l.i64[i]
			switch unit {
			case schema.TimeUnitMillis:
				return ts(v, 0)
			case schema.TimeUnitMicros:
				ms, us := floorDiv(v, 1000)
				return ts(ms, int32(us*1000))
			default:
				ms, ns := floorDiv(v, row.NanosPerMilli)
				return ts(ms, int32(ns))
			}
		}, nil
	}
	return nil, cannot
}

func timeUnit(lt schema.LogicalType) (schema.TimeUnitType, bool) {
	if x, ok := lt.(schema.TimeLogicalType); ok {
		return x.TimeUnit(), true
	}
	return 0, false
}

func unitNanos(u schema.TimeUnitType) int64 {
	switch u {
	case schema.TimeUnitMillis:
		return row.NanosPerMilli
	case schema.TimeUnitMicros:
		return 1000
	}
	return 1
}

func pqIntRange(k row.Kind) (int64, int64) {
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

func pqIntValue(k row.Kind, v int64) row.Value {
	switch k {
	case row.KindTinyInt:
		return row.TinyInt(int8(v))
	case row.KindSmallInt:
		return row.SmallInt(int16(v))
	case row.KindInt:
		return row.Int(int32(v))
	}
	return row.BigInt(v)
}

// batchReader is a typed column chunk reader.
type batchReader[T any] interface {
	ReadBatch(batchSize int64, values []T, defLvls, repLvls []int16) (int64, int, error)
	HasNext() bool
}

// readChunk reads a column chunk of n level entries whole. keep, if not
// nil, is called with each batch's values before the next batch is read
// (byte arrays point into the page buffers, which are reused).
func readChunk[T any](r batchReader[T], n int64, keep func([]T)) (vals []T, def, rep []int16, err error) {
	vals, def, rep = make([]T, n), make([]int16, n), make([]int16, n)
	var total int64
	nv := 0
	for total < n && r.HasNext() {
		t, v, err := r.ReadBatch(n-total, vals[nv:], def[total:], rep[total:])
		if err != nil {
			return nil, nil, nil, err
		}
		if t == 0 {
			break
		}
		if keep != nil {
			keep(vals[nv : nv+v])
		}
		total += t
		nv += v
	}
	if total < n {
		return nil, nil, nil, fmt.Errorf("%d of %d values read", total, n)
	}
	return vals[:nv], def[:total], rep[:total], nil
}

// readFile reads a parquet file's rows as the data columns, calling emit
// with each row from the skip-th on.
func (pf *pqFormat) readFile(path string, skip int64, emit func(r *row.Row) error) (err error) {
	defer func() {
		if r := recover(); r != nil { // arrow-go panics on some corrupt input
			err = fmt.Errorf("parquet file %s: %v", path, r)
		}
	}()
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rdr, err := file.NewParquetReader(f)
	if err != nil {
		return fmt.Errorf("parquet file %s: %w", path, err)
	}
	defer rdr.Close()
	p, err := pf.plan(rdr.MetaData().Schema)
	if err != nil {
		return fmt.Errorf("parquet file %s: %w", path, err)
	}
	var out row.Row
	seen := int64(0)
	for g := 0; g < rdr.NumRowGroups(); g++ {
		rg := rdr.RowGroup(g)
		nrows := rg.NumRows()
		if seen+nrows <= skip {
			seen += nrows
			continue
		}
		for _, l := range p.leaves {
			if err := readLeaf(rg, l); err != nil {
				return fmt.Errorf("parquet file %s: column %s: %w", path, p.sch.Column(l.col).Path(), err)
			}
		}
		for range nrows {
			out.Reset(row.Insert, len(p.cols))
			for i, c := range p.cols {
				v, err := c.read()
				if err != nil {
					return fmt.Errorf("parquet file %s: row %d: column %s: %w", path, seen, pf.cols.Column(i).Name, err)
				}
				out.Values[i] = v
			}
			if seen >= skip {
				if err := emit(&out); err != nil {
					return err
				}
			}
			seen++
		}
	}
	return nil
}

// readLeaf reads a leaf's column chunk of a row group.
func readLeaf(rg *file.RowGroupReader, l *pqRLeaf) error {
	cc, err := rg.MetaData().ColumnChunk(l.col)
	if err != nil {
		return err
	}
	n := cc.NumValues()
	cr, err := rg.Column(l.col)
	if err != nil {
		return err
	}
	defer cr.Close()
	l.pos, l.vpos = 0, 0
	l.strs = l.strs[:0]
	switch r := cr.(type) {
	case *file.BooleanColumnChunkReader:
		l.bools, l.def, l.rep, err = readChunk(r, n, nil)
	case *file.Int32ColumnChunkReader:
		l.i32, l.def, l.rep, err = readChunk(r, n, nil)
	case *file.Int64ColumnChunkReader:
		l.i64, l.def, l.rep, err = readChunk(r, n, nil)
	case *file.Float32ColumnChunkReader:
		l.f32, l.def, l.rep, err = readChunk(r, n, nil)
	case *file.Float64ColumnChunkReader:
		l.f64, l.def, l.rep, err = readChunk(r, n, nil)
	case *file.Int96ColumnChunkReader:
		l.i96, l.def, l.rep, err = readChunk(r, n, nil)
	case *file.ByteArrayColumnChunkReader:
		_, l.def, l.rep, err = readChunk(r, n, func(vs []parquet.ByteArray) {
			for _, v := range vs {
				l.strs = append(l.strs, string(v))
			}
		})
	case *file.FixedLenByteArrayColumnChunkReader:
		_, l.def, l.rep, err = readChunk(r, n, func(vs []parquet.FixedLenByteArray) {
			for _, v := range vs {
				l.strs = append(l.strs, string(v))
			}
		})
	default:
		return fmt.Errorf("unsupported physical type %s", cr.Type())
	}
	return err
}
