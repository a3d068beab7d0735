package aggfn

import (
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/function"
)

// JSON_OBJECTAGG and JSON_ARRAYAGG build a JSON object or array of a
// group's rows, as Flink's JsonObjectAggFunction and JsonArrayAggFunction:
//
//   - The value argument arrives as JSON text: the planner wraps it in
//     JSON_STRING (Flink's WrapJsonAggFunctionArgumentsRule), or passes
//     the text of a nested JSON_OBJECT / JSON_ARRAY call as it is.
//   - The last argument is the literal 'NULL ON NULL' or 'ABSENT ON NULL'
//     (the call's ON NULL clause; Flink's defaults: NULL for
//     JSON_OBJECTAGG, ABSENT for JSON_ARRAYAGG). NULL ON NULL keeps a
//     NULL value as JSON null; ABSENT ON NULL skips it.
//   - JSON_OBJECTAGG(key, value): a NULL key, or a key the object already
//     has, is an error (Flink: the job fails; here the row is
//     dead-lettered as agg_error); a retraction removes its key when the
//     key holds the retracted value. Keys come out sorted (Flink's come
//     in its map state's order, sorted on RocksDB).
//   - JSON_ARRAYAGG(value): values in arrival order; a retraction removes
//     the earliest equal value.
//
// Both are STRING NOT NULL: '{}' and '[]' when nothing is left.

const (
	nullOnNull   = "NULL ON NULL"
	absentOnNull = "ABSENT ON NULL"
)

func bindJSONAgg(object bool) func([]row.Type, []*row.Value, bool) (Bound, error) {
	name := "JSON_ARRAYAGG"
	n := 2
	if object {
		name, n = "JSON_OBJECTAGG", 3
	}
	return func(args []row.Type, consts []*row.Value, distinct bool) (Bound, error) {
		if err := argCount(name, args, n, n); err != nil {
			return Bound{}, err
		}
		if object && !args[0].IsString() {
			return Bound{}, fmt.Errorf("JSON_OBJECTAGG's key must be a character string, got %s", args[0])
		}
		if v := args[n-2]; !v.IsString() && !isNullType(v) {
			return Bound{}, fmt.Errorf("%s takes its value as JSON text (JSON_STRING of it), got %s", name, v)
		}
		var mode *row.Value
		if len(consts) == n {
			mode = consts[n-1]
		}
		if mode == nil || !args[n-1].IsString() || mode.IsNull() || (mode.Str() != nullOnNull && mode.Str() != absentOnNull) {
			return Bound{}, fmt.Errorf("%s's last argument must be the literal '%s' or '%s'", name, nullOnNull, absentOnNull)
		}
		cfg := &jsonAggCfg{name: name, object: object, keepNulls: mode.Str() == nullOnNull}
		b := Bound{
			Name:        name,
			Type:        row.StringType.WithNotNull(true),
			New:         func() Acc { return &jsonAgg{cfg: cfg} },
			Retractable: true,
			Mergeable:   true,
		}
		return finish(b, args, distinct)
	}
}

type jsonAggCfg struct {
	name      string
	object    bool
	keepNulls bool
}

// jsonAgg is either accumulator: the values' JSON texts in arrival order
// (JSON null for a kept NULL) and, for an object, their keys, kept sorted
// (the output order; a key is found by binary search).
type jsonAgg struct {
	cfg  *jsonAggCfg
	keys []string
	vals []string
}

// value returns the JSON text of the value argument, or ok=false for a
// NULL value that is skipped.
func (a *jsonAgg) value(args []row.Value) (string, bool) {
	v := args[len(args)-2]
	if v.IsNull() {
		return "null", a.cfg.keepNulls
	}
	return v.Str(), true
}

func (a *jsonAgg) Add(args []row.Value) error {
	v, ok := a.value(args)
	if !a.cfg.object {
		if ok {
			a.vals = append(a.vals, strings.Clone(v))
		}
		return nil
	}
	if args[0].IsNull() {
		return fmt.Errorf("JSON_OBJECTAGG: a key is NULL")
	}
	k := args[0].Str()
	i, found := slices.BinarySearch(a.keys, k)
	if found {
		return duplicateKey(k)
	}
	if ok {
		a.keys = slices.Insert(a.keys, i, strings.Clone(k))
		a.vals = slices.Insert(a.vals, i, strings.Clone(v))
	}
	return nil
}

func duplicateKey(k string) error {
	return fmt.Errorf("Key '%s' is already present. Duplicate keys are not allowed in JSON_OBJECTAGG. Please ensure that keys are unique.", k)
}

func (a *jsonAgg) Retract(args []row.Value) error {
	v, ok := a.value(args)
	if !ok {
		return nil
	}
	if a.cfg.object {
		if args[0].IsNull() {
			return nil
		}
		if i, found := slices.BinarySearch(a.keys, args[0].Str()); found && a.vals[i] == v {
			a.keys, a.vals = slices.Delete(a.keys, i, i+1), slices.Delete(a.vals, i, i+1)
		}
		return nil
	}
	if i := slices.Index(a.vals, v); i >= 0 {
		a.vals = slices.Delete(a.vals, i, i+1)
	}
	return nil
}

func (a *jsonAgg) Merge(other Acc) error {
	o, ok := other.(*jsonAgg)
	if !ok || o.cfg.object != a.cfg.object {
		return mergeMismatch(a.cfg.name, other)
	}
	if !a.cfg.object {
		a.vals = append(a.vals, o.vals...)
		return nil
	}
	for i, k := range o.keys {
		j, found := slices.BinarySearch(a.keys, k)
		if found {
			return duplicateKey(k)
		}
		a.keys, a.vals = slices.Insert(a.keys, j, k), slices.Insert(a.vals, j, o.vals[i])
	}
	return nil
}

func (a *jsonAgg) Result() row.Value {
	var sb strings.Builder
	if !a.cfg.object {
		sb.WriteByte('[')
		for i, v := range a.vals {
			if i > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(v)
		}
		sb.WriteByte(']')
		return row.String(sb.String())
	}
	b := []byte{'{'}
	for i := range a.keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(append(function.AppendJSONString(b, a.keys[i]), ':'), a.vals[i]...)
	}
	return row.String(string(append(b, '}')))
}

// State: version, the number of values, then per value its key (objects
// only) and its JSON text, each length-prefixed.
func (a *jsonAgg) Marshal(dst []byte) []byte {
	dst = binary.AppendUvarint(append(dst, stateVersion), uint64(len(a.vals)))
	for i, v := range a.vals {
		if a.cfg.object {
			dst = binary.AppendUvarint(dst, uint64(len(a.keys[i])))
			dst = append(dst, a.keys[i]...)
		}
		dst = binary.AppendUvarint(dst, uint64(len(v)))
		dst = append(dst, v...)
	}
	return dst
}

func (a *jsonAgg) Unmarshal(src []byte) error {
	a.keys, a.vals = nil, nil
	r := newReader(a.cfg.name, src)
	n := r.uvarint()
	if r.err == nil && n > uint64(len(src)) {
		r.fail("%d values in %d bytes", n, len(src))
	}
	for i := uint64(0); i < n && r.err == nil; i++ {
		if a.cfg.object {
			a.keys = append(a.keys, string(r.sized()))
		}
		a.vals = append(a.vals, string(r.sized()))
	}
	for i := 1; i < len(a.keys) && r.err == nil; i++ {
		if a.keys[i-1] >= a.keys[i] { // no Add makes unsorted or repeated keys
			r.fail("keys not sorted and unique")
		}
	}
	if err := r.done(); err != nil {
		a.keys, a.vals = nil, nil
		return err
	}
	return nil
}
