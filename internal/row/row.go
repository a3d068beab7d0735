package row

// Row is one changelog row: its kind and its field values in schema order.
//
// A Row is reusable: decoders overwrite Values in place, keeping its
// capacity, so one Row per task decodes every record without allocating
// the slice again. Values handed out earlier stay valid (they never alias
// the Values slice itself, only immutable strings and element slices), but
// a Row that must outlive the next decode is copied with Clone.
type Row struct {
	Kind   RowKind
	Values []Value
}

// NewRow returns a row of the given kind holding vals (not copied).
func NewRow(kind RowKind, vals ...Value) Row { return Row{Kind: kind, Values: vals} }

// Reset sets the kind and n NULL values, reusing the slice's capacity.
func (r *Row) Reset(kind RowKind, n int) {
	r.Kind = kind
	r.Values = resize(r.Values, n)
}

// resize returns vals with length n, all NULL, reusing its capacity.
func resize(vals []Value, n int) []Value {
	vals = grow(vals, n)
	clear(vals)
	return vals
}

// grow returns vals with length n, reusing its capacity; the values are
// left as they were, for a decoder that writes every one of them.
func grow(vals []Value, n int) []Value {
	if cap(vals) < n {
		return make([]Value, n)
	}
	return vals[:n]
}

// Clone returns a copy whose Values slice is its own (the values
// themselves are immutable and shared).
func (r *Row) Clone() Row {
	return Row{Kind: r.Kind, Values: append([]Value(nil), r.Values...)}
}

// Len is the number of fields.
func (r *Row) Len() int { return len(r.Values) }

// Field returns field i.
func (r *Row) Field(i int) Value { return r.Values[i] }

// Set sets field i.
func (r *Row) Set(i int, v Value) { r.Values[i] = v }

// Typed getters: shorthands for r.Values[i].X().

func (r *Row) IsNull(i int) bool     { return r.Values[i].IsNull() }
func (r *Row) Bool(i int) bool       { return r.Values[i].Bool() }
func (r *Row) Int64(i int) int64     { return r.Values[i].Int64() }
func (r *Row) Float64(i int) float64 { return r.Values[i].Float64() }
func (r *Row) Str(i int) string      { return r.Values[i].Str() }
func (r *Row) Decimal(i int) Decimal { return r.Values[i].Decimal() }
func (r *Row) Millis(i int) int64    { return r.Values[i].Millis() }
func (r *Row) Elems(i int) []Value   { return r.Values[i].Elems() }
func (r *Row) Get(s *Schema, name string) (Value, bool) {
	i := s.Index(name)
	if i < 0 || i >= len(r.Values) {
		return Value{}, false
	}
	return r.Values[i], true
}

// Equal reports the same kind and pairwise Equal values.
func (r *Row) Equal(o *Row) bool {
	if r.Kind != o.Kind || len(r.Values) != len(o.Values) {
		return false
	}
	for i := range r.Values {
		if !Equal(r.Values[i], o.Values[i]) {
			return false
		}
	}
	return true
}

// String prints the row as Flink's Row.toString: +I[1, abc, NULL].
func (r Row) String() string {
	b := append([]byte(nil), r.Kind.String()...)
	b = append(b, '[')
	for i, v := range r.Values {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = v.AppendText(b)
	}
	return string(append(b, ']'))
}
