package connector

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// rtdw-olap as a lookup table: point queries on the OLAP table
// ('table-name', default the table's name) of the OLAP rtdw.yaml
// configures (the caller's open backend, Context.OLAPSink, or the one the
// sink opens, once per process), so a job can enrich its rows with what
// other jobs (or the built-in warehouse) loaded there.
//
// One query per key (cached per task by the lookup.cache options):
// SELECT the DDL's columns WHERE key = literal AND ..., values written as
// SQL literals (the OLAP Querier of every backend takes literals; strings
// quoted and escaped for the backend's dialect). DECIMAL columns are read
// as text, so no digit is lost on the way. The answer is read into the
// DDL's types as the jdbc connector does (sqlValue); a value that does not
// fit dead-letters the input row (lookup_bad_value), a query error is a
// retryable store error.
//
// The lookup options are validated here, with the sink's options, so that
// one DDL serves both roles.

func init() {
	olapFactory.NewLookup = newOLAPLookup
}

// olapLookupFactory is rtdw-olap with the lookup options, for validating a
// looked-up table's options (the sink's factory lists the sink's).
func olapLookupFactory() *Factory {
	f := *olapFactory
	f.Options = append(slices.Clone(olapFactory.Options), lookupOptionSpecs()...)
	return &f
}

type olapLookup struct {
	t       *Table
	kind    string
	q       olap.Querier
	loc     *time.Location
	prefix  string   // SELECT ... WHERE
	keys    []string // quoted key columns
	keyCols []int
	cols    []int
	opts    LookupOptions
}

func newOLAPLookup(ctx *Context, t *Table, keyCols []int) (LookupSource, error) {
	f := olapLookupFactory()
	if err := checkOptions(ctx, f, t, []string{"sink.parallelism", "sink.buffer-flush.*"}); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	if err := l.noMetadata(f); err != nil {
		return nil, err
	}
	if err := lookupKeyCols(f, t, keyCols); err != nil {
		return nil, err
	}
	if err := checkScalarColumns(f, t, l.physical); err != nil {
		return nil, err
	}
	name := opt(t, "table-name", t.ObjectName)
	if !identRE.MatchString(name) {
		return nil, fmt.Errorf("%s: table name '%s' must match %s", where(f, t), name, identRE)
	}
	s := &olapLookup{t: t, cols: l.physical, kind: olap.KindDuckDB}
	if s.opts, err = parseLookupOptions(f, t); err != nil {
		return nil, err
	}
	var cfg olap.Config
	if ctx != nil {
		if ctx.OLAP != nil {
			cfg = *ctx.OLAP
		}
		if cfg.DataDir == "" {
			cfg.DataDir = ctx.DataDir
		}
		if cfg.Logger == nil {
			cfg.Logger = ctx.Logger
		}
		s.loc = ctx.Loc
		s.q = ctx.OLAPSink
	}
	if cfg.Kind != "" {
		s.kind = cfg.Kind
	}
	if s.q == nil {
		s.q = &sharedOLAP{cfg: cfg}
	}
	var sel []string
	for _, c := range s.cols {
		col := t.Schema.Column(c)
		if !identRE.MatchString(col.Name) {
			return nil, fmt.Errorf("%s: column name '%s' must match %s", where(f, t), col.Name, identRE)
		}
		q := s.quote(col.Name)
		if col.Type.Kind == row.KindDecimal {
			q = s.asText(q)
		}
		sel = append(sel, q)
	}
	for _, k := range keyCols {
		s.keys = append(s.keys, s.quote(t.Schema.Column(k).Name))
	}
	s.prefix = "SELECT " + strings.Join(sel, ", ") + " FROM " + s.quote(name) + " WHERE "
	s.keyCols = keyCols
	return s, nil
}

func (s *olapLookup) LookupOptions() LookupOptions { return s.opts }

// mysqlLike reports a backend whose string literals take backslash escapes.
func (s *olapLookup) mysqlLike() bool {
	return s.kind == olap.KindDoris || s.kind == olap.KindStarRocks || s.kind == olap.KindClickHouse
}

func (s *olapLookup) quote(id string) string {
	if s.kind == olap.KindDoris || s.kind == olap.KindStarRocks {
		return "`" + id + "`"
	}
	return `"` + id + `"`
}

// asText reads a column as text.
func (s *olapLookup) asText(col string) string {
	switch s.kind {
	case olap.KindClickHouse:
		return "toString(" + col + ")"
	case olap.KindDoris, olap.KindStarRocks:
		return "CAST(" + col + " AS STRING)"
	}
	return "CAST(" + col + " AS VARCHAR)"
}

// literal writes v, compared with a column of type t, as a SQL literal;
// ok is false when v is no value of t.
func (s *olapLookup) literal(v row.Value, t row.Type) (string, bool) {
	k, ok := keyAs(v, t, s.loc)
	if !ok {
		return "", false
	}
	switch {
	case k.IsNull():
		return "NULL", true
	case t.IsInteger():
		return strconv.FormatInt(k.Int64(), 10), true
	case t.Kind == row.KindDecimal:
		return k.Decimal().String(), true
	case t.Kind == row.KindFloat, t.Kind == row.KindDouble:
		return strconv.FormatFloat(k.Float64(), 'g', -1, 64), true
	case t.Kind == row.KindBoolean:
		if k.Bool() {
			return "1", true
		}
		return "0", true
	}
	text := valueText(k, s.loc)
	if s.mysqlLike() {
		text = strings.ReplaceAll(text, `\`, `\\`)
	}
	return "'" + strings.ReplaceAll(text, "'", "''") + "'", true
}

func (s *olapLookup) Lookup(ctx context.Context, keys []row.Value) ([]row.Row, error) {
	var b strings.Builder
	b.WriteString(s.prefix)
	for i, k := range keys {
		lit, ok := s.literal(k, s.t.Schema.Column(s.keyCols[i]).Type)
		if !ok {
			return nil, nil
		}
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteString(s.keys[i])
		b.WriteString(" = ")
		b.WriteString(lit)
	}
	res, err := s.q.Query(ctx, b.String())
	if err != nil {
		return nil, stream.Retryable(fmt.Errorf("rtdw-olap lookup %s: %w", s.t.Name, err))
	}
	out := make([]row.Row, 0, len(res.Rows))
	for _, vals := range res.Rows {
		if len(vals) != len(s.cols) {
			return nil, fmt.Errorf("rtdw-olap lookup %s: %d columns in the answer, want %d", s.t.Name, len(vals), len(s.cols))
		}
		r := row.Row{Kind: row.Insert, Values: make([]row.Value, s.t.Schema.Len())}
		for i, c := range s.cols {
			col := s.t.Schema.Column(c)
			v, err := sqlValue(vals[i], col.Type, s.loc)
			if err != nil {
				return nil, stream.BadInput("lookup_bad_value", "rtdw-olap table %s: column %s: %v", s.t.Name, col.Name, err)
			}
			r.Values[c] = v
		}
		out = append(out, r)
	}
	return out, nil
}
