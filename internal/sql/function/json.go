package function

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/rtdw/rtdw/internal/jsonw"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/valyala/fastjson"
)

// JSON functions with Flink's defaults (the ON EMPTY / ON ERROR / ON
// NULL / RETURNING / WRAPPER clauses are not parsed):
//
//   - JSON_VALUE(json, path) -> STRING: the scalar at path (a string's
//     content, a number's text, true/false); NULL for a missing path, a
//     JSON null, an object or array, or text that is not JSON.
//   - JSON_QUERY(json, path) -> STRING: the object or array at path as
//     compact JSON (object keys sorted, as Flink's Jackson writes them);
//     a wildcard path gives the array of its matches; NULL otherwise.
//   - JSON_EXISTS(json, path) -> BOOLEAN: whether path finds a non-null
//     value (a wildcard path: at least one); FALSE for bad JSON.
//   - JSON_OBJECT('k1', v1, 'k2', v2, ...) -> STRING: keys and values as
//     alternating arguments (Flink's KEY k VALUE v syntax is the
//     parser's business), NULL ON NULL, keys sorted; JSON_ARRAY(v, ...)
//     -> STRING, ABSENT ON NULL. A nested JSON_OBJECT / JSON_ARRAY call is
//     inserted as JSON rather than as a string when the caller binds with
//     BindJSONConstructor and marks it raw.
//   - JSON_STRING(v) -> STRING: v serialized as JSON; NULL for NULL.
//
// Paths are the subset of JSON path Flink users write: an optional lax
// / strict mode, $, .name, ['name'] / ["name"], [index] (negative from
// the end), .* and [*]. Filters, slices, unions and deep scans (..) are
// not supported: a constant path using them is a plan-time error.

func init() {
	reg("JSON_VALUE", bindJSONPathFn("JSON_VALUE"))
	reg("JSON_QUERY", bindJSONPathFn("JSON_QUERY"))
	reg("JSON_EXISTS", bindJSONPathFn("JSON_EXISTS"))
	reg("JSON_OBJECT", func(env *Env, args []Arg) (Bound, error) { return BindJSONConstructor(env, "JSON_OBJECT", args, nil) })
	reg("JSON_ARRAY", func(env *Env, args []Arg) (Bound, error) { return BindJSONConstructor(env, "JSON_ARRAY", args, nil) })
	reg("JSON_STRING", bindJSONString)
}

// ---- paths ----

type jstepKind uint8

const (
	jsKey jstepKind = iota
	jsIndex
	jsWildcard
)

type jstep struct {
	kind  jstepKind
	key   string
	index int
}

type jsonPath struct {
	steps    []jstep
	definite bool
}

func compileJSONPath(p string) (*jsonPath, error) {
	s := strings.TrimSpace(p)
	for _, mode := range []string{"lax", "strict"} {
		if len(s) > len(mode) && strings.EqualFold(s[:len(mode)], mode) && (s[len(mode)] == ' ' || s[len(mode)] == '\t' || s[len(mode)] == '\n') {
			s = strings.TrimSpace(s[len(mode):])
			break
		}
	}
	bad := func(why string) (*jsonPath, error) {
		return nil, fmt.Errorf("unsupported JSON path %q: %s", p, why)
	}
	if s == "" || s[0] != '$' {
		return bad("it must start with $")
	}
	jp := &jsonPath{definite: true}
	i := 1
	for i < len(s) {
		switch s[i] {
		case '.':
			i++
			if i >= len(s) {
				return bad("it ends with '.'")
			}
			switch s[i] {
			case '.':
				return bad("deep scan (..) is not supported")
			case '*':
				jp.steps = append(jp.steps, jstep{kind: jsWildcard})
				jp.definite = false
				i++
			case '[':
				// $.['a'] is accepted as $['a'], as Jayway does.
			default:
				j := i
				for j < len(s) && s[j] != '.' && s[j] != '[' {
					j++
				}
				name := s[i:j]
				if strings.ContainsAny(name, " ()?@") {
					return bad("a property name with spaces or parentheses must be quoted: ['name']")
				}
				jp.steps = append(jp.steps, jstep{kind: jsKey, key: name})
				i = j
			}
		case '[':
			i++
			if i >= len(s) {
				return bad("unclosed [")
			}
			switch c := s[i]; {
			case c == '*':
				if i+1 >= len(s) || s[i+1] != ']' {
					return bad("expected ] after *")
				}
				jp.steps = append(jp.steps, jstep{kind: jsWildcard})
				jp.definite = false
				i += 2
			case c == '\'' || c == '"':
				var b strings.Builder
				j := i + 1
				for ; j < len(s) && s[j] != c; j++ {
					if s[j] == '\\' && j+1 < len(s) {
						j++
					}
					b.WriteByte(s[j])
				}
				if j+1 >= len(s) || s[j+1] != ']' {
					return bad("unclosed quoted name (one name per [...])")
				}
				jp.steps = append(jp.steps, jstep{kind: jsKey, key: b.String()})
				i = j + 2
			default:
				j := i
				if j < len(s) && s[j] == '-' {
					j++
				}
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
				if j == i || s[j-1] == '-' || j >= len(s) || s[j] != ']' {
					return bad("only [index], [*] and ['name'] are supported (no filters, slices or unions)")
				}
				n, err := strconv.Atoi(s[i:j])
				if err != nil {
					return bad("index out of range")
				}
				jp.steps = append(jp.steps, jstep{kind: jsIndex, index: n})
				i = j + 1
			}
		default:
			return bad(fmt.Sprintf("unexpected %q", s[i:]))
		}
	}
	return jp, nil
}

// lookup returns the last value of key (Jackson keeps the last of
// duplicate keys; fastjson's Get finds the first).
func lookup(o *fastjson.Object, key string) *fastjson.Value {
	var found *fastjson.Value
	o.Visit(func(k []byte, v *fastjson.Value) {
		if string(k) == key {
			found = v
		}
	})
	return found
}

// eval returns the single value of a definite path (nil when absent), or
// calls add for each match of an indefinite one.
func (jp *jsonPath) eval(v *fastjson.Value) *fastjson.Value {
	for _, st := range jp.steps {
		switch st.kind {
		case jsKey:
			o, err := v.Object()
			if err != nil {
				return nil
			}
			if v = lookup(o, st.key); v == nil {
				return nil
			}
		case jsIndex:
			arr, err := v.Array()
			if err != nil {
				return nil
			}
			i := st.index
			if i < 0 {
				i += len(arr)
			}
			if i < 0 || i >= len(arr) {
				return nil
			}
			v = arr[i]
		}
	}
	return v
}

func (jp *jsonPath) all(v *fastjson.Value, steps []jstep, add func(*fastjson.Value)) {
	if len(steps) == 0 {
		add(v)
		return
	}
	st, rest := steps[0], steps[1:]
	switch st.kind {
	case jsKey:
		if o, err := v.Object(); err == nil {
			if c := lookup(o, st.key); c != nil {
				jp.all(c, rest, add)
			}
		}
	case jsIndex:
		if arr, err := v.Array(); err == nil {
			i := st.index
			if i < 0 {
				i += len(arr)
			}
			if i >= 0 && i < len(arr) {
				jp.all(arr[i], rest, add)
			}
		}
	case jsWildcard:
		switch v.Type() {
		case fastjson.TypeObject:
			o, _ := v.Object()
			o.Visit(func(_ []byte, c *fastjson.Value) { jp.all(c, rest, add) })
		case fastjson.TypeArray:
			arr, _ := v.Array()
			for _, c := range arr {
				jp.all(c, rest, add)
			}
		}
	}
}

// jsonState is a parser and a scratch buffer, pooled: the parsed values
// live in the parser until it is reused.
type jsonState struct {
	p   fastjson.Parser
	buf []byte
}

var jsonStates = sync.Pool{New: func() any { return new(jsonState) }}

func bindJSONPathFn(name string) func(*Env, []Arg) (Bound, error) {
	return func(_ *Env, args []Arg) (Bound, error) {
		if err := sStr2.check(name, args); err != nil {
			return Bound{}, err
		}
		get, err := compiled(name, args[1], compileJSONPath)
		if err != nil {
			return Bound{}, err
		}
		t := withNull(row.StringType, true)
		if name == "JSON_EXISTS" {
			t = withNull(row.BooleanType, anyNullable(args))
		}
		return Bound{Type: t, NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
			if hasNull(a) {
				return null, nil
			}
			jp, err := get(a[1].Str())
			if err != nil {
				if name == "JSON_EXISTS" {
					return row.Bool(false), nil
				}
				return null, nil
			}
			st := jsonStates.Get().(*jsonState)
			defer jsonStates.Put(st)
			// Invalid JSON is an error (NULL, or FALSE for JSON_EXISTS) as
			// in Flink, also where fastjson alone would take it (NaN, 01).
			err = jsonw.ValidString(a[0].Str())
			var root *fastjson.Value
			if err == nil {
				root, err = st.p.Parse(a[0].Str())
			}
			if err != nil {
				if name == "JSON_EXISTS" {
					return row.Bool(false), nil
				}
				return null, nil
			}
			switch name {
			case "JSON_VALUE":
				if !jp.definite {
					return null, nil
				}
				return jsonScalar(jp.eval(root), st), nil
			case "JSON_EXISTS":
				if jp.definite {
					v := jp.eval(root)
					return row.Bool(v != nil && v.Type() != fastjson.TypeNull), nil
				}
				found := false
				jp.all(root, jp.steps, func(*fastjson.Value) { found = true })
				return row.Bool(found), nil
			}
			if jp.definite {
				v := jp.eval(root)
				if v == nil || v.Type() != fastjson.TypeObject && v.Type() != fastjson.TypeArray {
					return null, nil
				}
				st.buf = writeJSON(st.buf[:0], v)
				return row.String(string(st.buf)), nil
			}
			out := append(st.buf[:0], '[')
			first := true
			jp.all(root, jp.steps, func(v *fastjson.Value) {
				if !first {
					out = append(out, ',')
				}
				first = false
				out = writeJSON(out, v)
			})
			st.buf = append(out, ']')
			return row.String(string(st.buf)), nil
		}}, nil
	}
}

// jsonScalar is JSON_VALUE's result for a value.
func jsonScalar(v *fastjson.Value, st *jsonState) row.Value {
	if v == nil {
		return null
	}
	switch v.Type() {
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return row.String(string(b))
	case fastjson.TypeNumber:
		st.buf = v.MarshalTo(st.buf[:0])
		return row.String(string(st.buf))
	case fastjson.TypeTrue:
		return row.String("true")
	case fastjson.TypeFalse:
		return row.String("false")
	}
	return null
}

// writeJSON writes v compactly with object keys sorted (Jackson with
// ORDER_MAP_ENTRIES_BY_KEYS; of duplicate keys the last).
func writeJSON(dst []byte, v *fastjson.Value) []byte {
	switch v.Type() {
	case fastjson.TypeObject:
		o, _ := v.Object()
		type kv struct {
			k string
			v *fastjson.Value
		}
		var kvs []kv
		o.Visit(func(k []byte, c *fastjson.Value) {
			for i := range kvs {
				if kvs[i].k == string(k) {
					kvs[i].v = c
					return
				}
			}
			kvs = append(kvs, kv{string(k), c})
		})
		sort.Slice(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
		dst = append(dst, '{')
		for i, e := range kvs {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = AppendJSONString(dst, e.k)
			dst = append(dst, ':')
			dst = writeJSON(dst, e.v)
		}
		return append(dst, '}')
	case fastjson.TypeArray:
		arr, _ := v.Array()
		dst = append(dst, '[')
		for i, c := range arr {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = writeJSON(dst, c)
		}
		return append(dst, ']')
	case fastjson.TypeString:
		b, _ := v.StringBytes()
		return AppendJSONString(dst, string(b))
	}
	return v.MarshalTo(dst)
}

// AppendJSONString quotes s as Jackson does: ", \ and control characters
// escaped, everything else as UTF-8.
func AppendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		}
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// ---- constructors and JSON_STRING ----

// BindJSONConstructor binds JSON_OBJECT (name "JSON_OBJECT": keys and
// values alternate) or JSON_ARRAY. raw[i] marks argument i as the
// result of a nested JSON_OBJECT / JSON_ARRAY call, inserted as JSON
// rather than as a string (Flink does this for nested constructor
// calls); raw may be nil. The expression compiler calls it directly when
// it sees nested constructors; the registered functions pass nil.
func BindJSONConstructor(env *Env, name string, args []Arg, raw []bool) (Bound, error) {
	return BindJSONConstructorOnNull(env, name, args, raw, strings.EqualFold(name, "JSON_OBJECT"))
}

// BindJSONConstructorOnNull is BindJSONConstructor with the call's ON NULL
// clause: keepNulls (NULL ON NULL) writes a NULL value as null, else
// (ABSENT ON NULL) leaves it out. Flink's defaults: NULL ON NULL for
// JSON_OBJECT, ABSENT ON NULL for JSON_ARRAY.
func BindJSONConstructorOnNull(_ *Env, name string, args []Arg, raw []bool, keepNulls bool) (Bound, error) {
	isRaw := func(i int) bool { return i < len(raw) && raw[i] }
	object := strings.EqualFold(name, "JSON_OBJECT")
	if object && len(args)%2 != 0 {
		return Bound{}, fmt.Errorf("JSON_OBJECT expects key/value pairs ('k1', v1, 'k2', v2, ...), got %s", argList(args))
	}
	writers := make([]jsonWriter, len(args))
	for i, a := range args {
		if object && i%2 == 0 {
			if !isStrT(a.Type) || isConstNull(a) {
				return Bound{}, fmt.Errorf("JSON_OBJECT: key %d must be a STRING, got %s", i/2+1, argList(args[i:i+1]))
			}
			continue
		}
		if isRaw(i) {
			writers[i] = func(dst []byte, v row.Value) ([]byte, error) { return append(dst, v.Str()...), nil }
			continue
		}
		w, err := jsonWriterFor(a.Type)
		if err != nil {
			return Bound{}, fmt.Errorf("%s: %w", strings.ToUpper(name), err)
		}
		writers[i] = w
	}
	t := row.StringType.WithNotNull(true)
	if object {
		return Bound{Type: t, Eval: func(a []row.Value) (row.Value, error) {
			type entry struct {
				k string
				v row.Value
				w jsonWriter
			}
			entries := make([]entry, 0, len(a)/2)
		pairs:
			for i := 0; i < len(a); i += 2 {
				if a[i].IsNull() {
					return null, errors.New("JSON_OBJECT: a key is NULL")
				}
				if a[i+1].IsNull() && !keepNulls {
					continue // ABSENT ON NULL
				}
				e := entry{a[i].Str(), a[i+1], writers[i+1]}
				for j := range entries {
					if entries[j].k == e.k {
						entries[j] = e
						continue pairs
					}
				}
				entries = append(entries, e)
			}
			sort.SliceStable(entries, func(i, j int) bool { return entries[i].k < entries[j].k })
			var buf [256]byte
			out := append(buf[:0], '{')
			for i, e := range entries {
				if i > 0 {
					out = append(out, ',')
				}
				out = AppendJSONString(out, e.k)
				out = append(out, ':')
				var err error
				if out, err = writeOrNull(out, e.v, e.w); err != nil {
					return null, fmt.Errorf("JSON_OBJECT: %w", err)
				}
			}
			return row.String(string(append(out, '}'))), nil
		}}, nil
	}
	return Bound{Type: t, Eval: func(a []row.Value) (row.Value, error) {
		var buf [256]byte
		out := append(buf[:0], '[')
		first := true
		for i, v := range a {
			if v.IsNull() && !keepNulls {
				continue // ABSENT ON NULL
			}
			if !first {
				out = append(out, ',')
			}
			first = false
			var err error
			if out, err = writeOrNull(out, v, writers[i]); err != nil {
				return null, fmt.Errorf("JSON_ARRAY: %w", err)
			}
		}
		return row.String(string(append(out, ']'))), nil
	}}, nil
}

func writeOrNull(dst []byte, v row.Value, w jsonWriter) ([]byte, error) {
	if v.IsNull() {
		return append(dst, "null"...), nil
	}
	return w(dst, v)
}

func bindJSONString(_ *Env, args []Arg) (Bound, error) {
	if len(args) != 1 {
		return Bound{}, sigError("JSON_STRING", "(value)", args)
	}
	w, err := jsonWriterFor(args[0].Type)
	if err != nil {
		return Bound{}, fmt.Errorf("JSON_STRING: %w", err)
	}
	return Bound{Type: withNull(row.StringType, args[0].Type.Nullable()), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if a[0].IsNull() {
			return null, nil
		}
		var buf [128]byte
		out, err := w(buf[:0], a[0])
		if err != nil {
			return null, fmt.Errorf("JSON_STRING: %w", err)
		}
		return row.String(string(out)), nil
	}}, nil
}

// jsonWriter appends a non-NULL value of one type as JSON.
type jsonWriter func(dst []byte, v row.Value) ([]byte, error)

// jsonWriterFor returns the JSON writer of type t, as Flink converts
// values to JSON nodes: strings quoted, numbers as Java prints them,
// BYTES base64, TIMESTAMP ISO-8601 ('T', trimmed fraction), TIMESTAMP_LTZ
// the same in UTC with 'Z', DATE and TIME as their text, ROW an object,
// ARRAY an array, MAP (string keys) and MULTISET objects.
func jsonWriterFor(t row.Type) (jsonWriter, error) {
	switch t.Kind {
	case row.KindNull:
		return func(dst []byte, _ row.Value) ([]byte, error) { return append(dst, "null"...), nil }, nil
	case row.KindChar, row.KindVarChar:
		return func(dst []byte, v row.Value) ([]byte, error) { return AppendJSONString(dst, v.Str()), nil }, nil
	case row.KindBoolean:
		return func(dst []byte, v row.Value) ([]byte, error) { return strconv.AppendBool(dst, v.Bool()), nil }, nil
	case row.KindTinyInt, row.KindSmallInt, row.KindInt, row.KindBigInt:
		return func(dst []byte, v row.Value) ([]byte, error) { return strconv.AppendInt(dst, v.Int64(), 10), nil }, nil
	case row.KindFloat, row.KindDouble:
		bits := 64
		if t.Kind == row.KindFloat {
			bits = 32
		}
		return func(dst []byte, v row.Value) ([]byte, error) {
			f := v.Float64()
			if math.IsNaN(f) || math.IsInf(f, 0) {
				return append(append(append(dst, '"'), javaFloatString(f, bits)...), '"'), nil
			}
			return append(dst, javaFloatString(f, bits)...), nil
		}, nil
	case row.KindDecimal:
		return func(dst []byte, v row.Value) ([]byte, error) { return v.Decimal().Append(dst), nil }, nil
	case row.KindBinary, row.KindVarBinary:
		return func(dst []byte, v row.Value) ([]byte, error) {
			return AppendJSONString(dst, base64.StdEncoding.EncodeToString([]byte(v.Str()))), nil
		}, nil
	case row.KindDate:
		return func(dst []byte, v row.Value) ([]byte, error) {
			return append(row.AppendDate(append(dst, '"'), v.Days()), '"'), nil
		}, nil
	case row.KindTime:
		return func(dst []byte, v row.Value) ([]byte, error) {
			return append(appendISOTime(append(dst, '"'), v.Int64()), '"'), nil
		}, nil
	case row.KindTimestamp, row.KindTimestampLTZ:
		z := t.Kind == row.KindTimestampLTZ
		return func(dst []byte, v row.Value) ([]byte, error) {
			dst = append(dst, '"')
			days := floorDiv(v.Millis(), row.MillisPerDay)
			dst = row.AppendDate(dst, int32(days))
			dst = append(dst, 'T')
			dst = appendISOTime(dst, (v.Millis()-days*row.MillisPerDay)*row.NanosPerMilli+int64(v.NanosOfMilli()))
			if z {
				dst = append(dst, 'Z')
			}
			return append(dst, '"'), nil
		}, nil
	case row.KindArray:
		ew, err := jsonWriterFor(*t.Elem)
		if err != nil {
			return nil, err
		}
		return func(dst []byte, v row.Value) ([]byte, error) {
			dst = append(dst, '[')
			for i, e := range v.Elems() {
				if i > 0 {
					dst = append(dst, ',')
				}
				var err error
				if dst, err = writeOrNull(dst, e, ew); err != nil {
					return dst, err
				}
			}
			return append(dst, ']'), nil
		}, nil
	case row.KindRow:
		names := make([]string, len(t.Fields))
		ws := make([]jsonWriter, len(t.Fields))
		for i, f := range t.Fields {
			w, err := jsonWriterFor(f.Type)
			if err != nil {
				return nil, err
			}
			names[i], ws[i] = f.Name, w
		}
		order := make([]int, len(names))
		for i := range order {
			order[i] = i
		}
		sort.SliceStable(order, func(i, j int) bool { return names[order[i]] < names[order[j]] })
		return func(dst []byte, v row.Value) ([]byte, error) {
			fs := v.Elems()
			dst = append(dst, '{')
			for n, i := range order {
				if n > 0 {
					dst = append(dst, ',')
				}
				dst = append(AppendJSONString(dst, names[i]), ':')
				var err error
				if dst, err = writeOrNull(dst, fs[i], ws[i]); err != nil {
					return dst, err
				}
			}
			return append(dst, '}'), nil
		}, nil
	case row.KindMap, row.KindMultiset:
		kt, vt := t.Key, t.Elem
		if t.Kind == row.KindMultiset {
			kt, vt = t.Elem, &row.IntType
		}
		if kt == nil || !kt.IsString() {
			return nil, fmt.Errorf("type %s cannot be converted to JSON: the key type must be a character string", t.WithNotNull(false))
		}
		vw, err := jsonWriterFor(*vt)
		if err != nil {
			return nil, err
		}
		multiset := t.Kind == row.KindMultiset
		return func(dst []byte, v row.Value) ([]byte, error) {
			type kv struct {
				k string
				v row.Value
			}
			var kvs []kv
			put := func(k string, val row.Value) {
				for i := range kvs {
					if kvs[i].k == k {
						kvs[i].v = val
						return
					}
				}
				kvs = append(kvs, kv{k, val})
			}
			if multiset {
				for _, e := range v.Elems() {
					if e.IsNull() {
						return dst, errors.New("a NULL multiset element cannot be a JSON key")
					}
					n := int32(0)
					for _, x := range kvs {
						if x.k == e.Str() {
							n = int32(x.v.Int64())
						}
					}
					put(e.Str(), row.Int(n+1))
				}
			} else {
				for i := 0; i < v.Len(); i++ {
					k := v.MapKey(i)
					if k.IsNull() {
						return dst, fmt.Errorf("a NULL map key (entry %d) cannot be a JSON key", i)
					}
					put(k.Str(), v.MapValue(i))
				}
			}
			sort.SliceStable(kvs, func(i, j int) bool { return kvs[i].k < kvs[j].k })
			dst = append(dst, '{')
			for i, e := range kvs {
				if i > 0 {
					dst = append(dst, ',')
				}
				dst = append(AppendJSONString(dst, e.k), ':')
				var err error
				if dst, err = writeOrNull(dst, e.v, vw); err != nil {
					return dst, err
				}
			}
			return append(dst, '}'), nil
		}, nil
	}
	return nil, fmt.Errorf("type %s cannot be converted to JSON", t.WithNotNull(false))
}

// appendISOTime appends HH:mm:ss and the fraction without trailing zeros
// (java.time's ISO_LOCAL_TIME).
func appendISOTime(dst []byte, nanosOfDay int64) []byte {
	secs := nanosOfDay / row.NanosPerSecond
	dst = append2(dst, int(secs/3600))
	dst = append(dst, ':')
	dst = append2(dst, int(secs/60%60))
	dst = append(dst, ':')
	dst = append2(dst, int(secs%60))
	frac := int(nanosOfDay % row.NanosPerSecond)
	if frac == 0 {
		return dst
	}
	width := 9
	for frac%10 == 0 {
		frac /= 10
		width--
	}
	return appendNum(append(dst, '.'), frac, width)
}

// javaFloatString prints a float as Java's Double.toString (Float's for
// bits 32): shortest digits, at least one fraction digit, scientific
// notation (1.0E10) outside [1e-3, 1e7).
func javaFloatString(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	a := math.Abs(f)
	if a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits) // -1.2345e+07
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	e, _ := strconv.Atoi(exp)
	return mant + "E" + strconv.Itoa(e)
}
