package expr

import (
	"strconv"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// ResolveColumn finds the column a reference names among cols: c,
// t.c, db.t.c (the qualifier's trailing parts match Column.Qualifier),
// or a ROW column followed by a field path, r.f.g (the path is returned
// with the fields' declared spelling). Names match case-insensitively, an
// exact spelling winning a tie. A qualified reading (t.c) is preferred to
// a field path (column t, field c), as Calcite does. Errors are *Error:
// "Column 'x' not found in any table", "Column 'x' is ambiguous",
// "Column 'x' not found in table 't'", "Table 't' not found".
func ResolveColumn(ref *ast.ColumnRef, cols []Column) (index int, fieldPath []string, err error) {
	if len(ref.Parts) == 0 {
		return -1, nil, errAt(ref, "empty column reference")
	}
	parts := make([]string, len(ref.Parts))
	for i, p := range ref.Parts {
		parts[i] = p.Name
	}
	// k = number of qualifier parts, most first.
	for k := len(parts) - 1; k >= 0; k-- {
		qual, name := parts[:k], parts[k]
		var matches []int
		exact := -1
		nExact := 0
		for i, col := range cols {
			if !strings.EqualFold(col.Name, name) || !qualifierMatches(col.Qualifier, qual) {
				continue
			}
			matches = append(matches, i)
			if col.Name == name {
				exact = i
				nExact++
			}
		}
		switch {
		case len(matches) == 0:
			continue
		case len(matches) > 1 && nExact != 1:
			return -1, nil, errAt(ref, "Column '%s' is ambiguous", name)
		case len(matches) > 1:
			matches[0] = exact
		}
		idx := matches[0]
		path, perr := fieldPathOf(cols[idx].Type, parts[k+1:])
		if perr != "" {
			return -1, nil, errAt(ref, "%s", perr)
		}
		return idx, path, nil
	}
	name := parts[len(parts)-1]
	if len(parts) == 1 {
		return -1, nil, errAt(ref, "Column '%s' not found in any table", name)
	}
	qual := parts[:len(parts)-1]
	for _, col := range cols {
		if qualifierMatches(col.Qualifier, qual) {
			return -1, nil, errAt(ref, "Column '%s' not found in table '%s'", name, strings.Join(qual, "."))
		}
	}
	return -1, nil, errAt(ref, "Table '%s' not found", strings.Join(qual, "."))
}

// qualifierMatches reports whether the trailing dotted parts of q equal
// want (case-insensitively); no parts always match.
func qualifierMatches(q string, want []string) bool {
	if len(want) == 0 {
		return true
	}
	if q == "" {
		return false
	}
	have := strings.Split(q, ".")
	if len(have) < len(want) {
		return false
	}
	have = have[len(have)-len(want):]
	for i := range want {
		if !strings.EqualFold(have[i], want[i]) {
			return false
		}
	}
	return true
}

// fieldPathOf resolves field names through nested ROW types; the error
// is a message ("" when fine).
func fieldPathOf(t row.Type, names []string) ([]string, string) {
	if len(names) == 0 {
		return nil, ""
	}
	path := make([]string, len(names))
	for i, n := range names {
		if t.Kind != row.KindRow {
			return nil, "Column '" + strings.Join(names[:i], ".") + "' of type " + t.String() + " has no field '" + n + "'"
		}
		j := fieldIndex(t, n)
		if j < 0 {
			return nil, "Unknown field '" + n + "' of " + t.WithNotNull(false).String()
		}
		path[i] = t.Fields[j].Name
		t = t.Fields[j].Type
	}
	return path, ""
}

// fieldIndex finds a ROW field by name: exact spelling, then
// case-insensitively; -1 if none.
func fieldIndex(t row.Type, name string) int {
	for i, f := range t.Fields {
		if f.Name == name {
			return i
		}
	}
	for i, f := range t.Fields {
		if strings.EqualFold(f.Name, name) {
			return i
		}
	}
	return -1
}

func (c *compiler) columnRef(n *ast.ColumnRef) (*Compiled, error) {
	idx, path, err := ResolveColumn(n, c.s.Columns)
	if err != nil {
		return nil, err
	}
	col, err := c.column(n, idx)
	if err != nil {
		return nil, err
	}
	for _, f := range path {
		col = c.field(col, fieldIndex(col.Type, f))
	}
	return col, nil
}

// field returns field j of a ROW-typed expression: NULL when the row is.
func (c *compiler) field(x *Compiled, j int) *Compiled {
	ft := x.Type.Fields[j].Type
	if !x.Type.NotNull {
		ft = ft.WithNotNull(false)
	}
	return c.node(ft, unEval(x, func(v row.Value) (row.Value, error) {
		if j >= v.Len() {
			return row.Value{}, nil
		}
		return v.Elem(j), nil
	}), x)
}

// fieldAccess compiles (expr).field.
func (c *compiler) fieldAccess(n *ast.FieldAccess) (*Compiled, error) {
	x, err := c.expr(n.X)
	if err != nil {
		return nil, err
	}
	if x.Type.Kind != row.KindRow {
		return nil, errAt(n, "Cannot access field '%s' of a value of type %s", n.Field.Name, x.Type.WithNotNull(false))
	}
	j := fieldIndex(x.Type, n.Field.Name)
	if j < 0 {
		return nil, errAt(n, "Unknown field '%s' of %s", n.Field.Name, x.Type.WithNotNull(false))
	}
	return c.field(x, j), nil
}

// subscript compiles m[key] (NULL when the key is missing) and a[i]
// (1-based, NULL when out of range, as Flink 1.17+).
func (c *compiler) subscript(n *ast.Subscript) (*Compiled, error) {
	x, err := c.expr(n.X)
	if err != nil {
		return nil, err
	}
	idx, err := c.expr(n.Index)
	if err != nil {
		return nil, err
	}
	switch x.Type.Kind {
	case row.KindArray:
		if !isIntKind(idx.Type.Kind) && idx.Type.Kind != row.KindNull {
			return nil, errAt(n.Index, "Array index must be an integer, got %s", typeArg(idx.Type))
		}
		t := x.Type.Elem.WithNotNull(false)
		return c.node(t, binEval(x, idx, func(a, b row.Value) (row.Value, error) {
			i := b.Int64()
			if i < 1 || i > int64(a.Len()) {
				return row.Value{}, nil
			}
			return a.Elem(int(i - 1)), nil
		}), x, idx), nil
	case row.KindMap:
		kt := *x.Type.Key
		if !comparableTypes(kt, idx.Type, false) {
			return nil, errAt(n.Index, "Map key of type %s cannot be looked up with a value of type %s", kt.WithNotNull(false), idx.Type.WithNotNull(false))
		}
		t := x.Type.Elem.WithNotNull(false)
		conv := identity
		if idx.Type.Kind != row.KindNull && !sameType(kt, idx.Type) && implicitCast(idx.Type, kt) && !(isStrKind(kt.Kind) && isStrKind(idx.Type.Kind)) {
			if conv, err = castFunc(idx.Type, kt, c.env, true); err != nil {
				return nil, errAt(n.Index, "%v", err)
			}
		}
		return c.node(t, binEval(x, idx, func(a, b row.Value) (row.Value, error) {
			k, err := conv(b)
			if err != nil {
				return row.Value{}, err
			}
			v, _ := a.MapGet(k)
			return v, nil
		}), x, idx), nil
	case row.KindRow:
		// r[1]: field by 1-based position, a constant.
		v, ok := constValue(idx)
		if !ok || !isIntKind(idx.Type.Kind) || v.IsNull() || v.Int64() < 1 || v.Int64() > int64(len(x.Type.Fields)) {
			return nil, errAt(n.Index, "ROW fields are accessed by a constant position between 1 and %d", len(x.Type.Fields))
		}
		return c.field(x, int(v.Int64()-1)), nil
	case row.KindNull:
		return c.constant(row.NullType, row.Value{}), nil
	}
	return nil, errAt(n, "Cannot apply 'ITEM' to arguments of type 'ITEM(%s, %s)'", typeArg(x.Type), typeArg(idx.Type))
}

// rowCtor compiles ROW(a, b, ...): fields EXPR$0, EXPR$1, ... as Flink
// names them.
func (c *compiler) rowCtor(n *ast.RowCtor) (*Compiled, error) {
	args, err := c.exprs(n.Args)
	if err != nil {
		return nil, err
	}
	fields := make([]row.Field, len(args))
	fs := make([]Func, len(args))
	for i, a := range args {
		fields[i] = row.Field{Name: "EXPR$" + strconv.Itoa(i), Type: a.Type}
		fs[i] = a.Eval
	}
	f := func(rw *row.Row) (row.Value, error) {
		out := make([]row.Value, len(fs))
		for i, g := range fs {
			v, err := g(rw)
			if err != nil {
				return v, err
			}
			out[i] = v
		}
		return row.Struct(out), nil
	}
	return c.node(row.RowOf(fields...).WithNotNull(true), f, args...), nil
}

// elements evaluates a list of compiled expressions into a new slice.
func elements(fs []Func) Func {
	return func(rw *row.Row) (row.Value, error) {
		out := make([]row.Value, len(fs))
		for i, g := range fs {
			v, err := g(rw)
			if err != nil {
				return v, err
			}
			out[i] = v
		}
		return row.Array(out), nil
	}
}

// arrayCtor compiles ARRAY[a, b, ...]: the element type is the common type.
func (c *compiler) arrayCtor(n *ast.ArrayCtor) (*Compiled, error) {
	if len(n.Elems) == 0 {
		return nil, errAt(n, "Require at least 1 argument for ARRAY constructor")
	}
	args, err := c.exprs(n.Elems)
	if err != nil {
		return nil, err
	}
	args, et, err := c.branches(n, "ARRAY", args)
	if err != nil {
		return nil, err
	}
	fs := make([]Func, len(args))
	for i, a := range args {
		fs[i] = a.Eval
	}
	return c.node(row.ArrayOf(et).WithNotNull(true), elements(fs), args...), nil
}

// mapCtor compiles MAP[k1, v1, k2, v2, ...]: keys and values each of
// their common type.
func (c *compiler) mapCtor(n *ast.MapCtor) (*Compiled, error) {
	if len(n.KVs) == 0 || len(n.KVs)%2 != 0 {
		return nil, errAt(n, "MAP requires an even number of arguments, keys and values")
	}
	args, err := c.exprs(n.KVs)
	if err != nil {
		return nil, err
	}
	var keys, vals []*Compiled
	for i := 0; i < len(args); i += 2 {
		keys = append(keys, args[i])
		vals = append(vals, args[i+1])
	}
	keys, kt, err := c.branches(n, "MAP keys", keys)
	if err != nil {
		return nil, err
	}
	vals, vt, err := c.branches(n, "MAP values", vals)
	if err != nil {
		return nil, err
	}
	fs := make([]Func, 0, len(args))
	for i := range keys {
		fs = append(fs, keys[i].Eval, vals[i].Eval)
	}
	f := func(rw *row.Row) (row.Value, error) {
		out := make([]row.Value, len(fs))
		for i, g := range fs {
			v, err := g(rw)
			if err != nil {
				return v, err
			}
			out[i] = v
		}
		return row.MapEntries(out), nil
	}
	return c.node(row.MapOf(kt, vt).WithNotNull(true), f, append(keys, vals...)...), nil
}
