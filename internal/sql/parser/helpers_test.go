package parser

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

var (
	atType        = reflect.TypeOf(ast.At{})
	stmtTextType  = reflect.TypeOf(ast.StmtText{})
	identType     = reflect.TypeOf(ast.Ident{})
	exprIfaceType = reflect.TypeOf((*ast.Expr)(nil)).Elem()
)

// treeDiff compares two syntax trees, ignoring what Format does not
// keep: positions (At), statement and view source texts (StmtText,
// QueryText) and whether an identifier was written in backticks. Nil and
// empty slices are equal. It returns "" when equal, else the path of the
// first difference.
func treeDiff(a, b any) string {
	return diffValue(reflect.ValueOf(a), reflect.ValueOf(b), "")
}

func diffValue(a, b reflect.Value, path string) string {
	if a.IsValid() != b.IsValid() {
		return path + ": one side is missing"
	}
	if !a.IsValid() {
		return ""
	}
	if a.Type() != b.Type() {
		return fmt.Sprintf("%s: %s vs %s", path, a.Type(), b.Type())
	}
	switch a.Kind() {
	case reflect.Interface, reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			if a.IsNil() != b.IsNil() {
				return path + ": nil vs non-nil"
			}
			return ""
		}
		return diffValue(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		for i := 0; i < a.NumField(); i++ {
			f := a.Type().Field(i)
			if f.Type == atType || f.Type == stmtTextType || f.Name == "QueryText" ||
				a.Type() == identType && f.Name == "Quoted" {
				continue
			}
			if d := diffValue(a.Field(i), b.Field(i), path+"."+f.Name); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if a.Len() != b.Len() {
			return fmt.Sprintf("%s: %d vs %d elements", path, a.Len(), b.Len())
		}
		for i := 0; i < a.Len(); i++ {
			if d := diffValue(a.Index(i), b.Index(i), fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
		return ""
	}
	if a.Interface() != b.Interface() {
		return fmt.Sprintf("%s: %#v vs %#v", path, a.Interface(), b.Interface())
	}
	return ""
}

// stripParens removes every Paren node of a tree, in place, so a tree
// built without them compares with its formatted and re-parsed self.
func stripParens(n any) {
	strip(reflect.ValueOf(n))
}

func strip(v reflect.Value) {
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		if !v.IsNil() {
			strip(v.Elem())
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Field(i)
			if !f.CanSet() {
				continue
			}
			unparen(f)
			strip(f)
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			unparen(v.Index(i))
			strip(v.Index(i))
		}
	}
}

func unparen(f reflect.Value) {
	if f.Type() != exprIfaceType || f.IsNil() {
		return
	}
	for {
		p, ok := f.Interface().(*ast.Paren)
		if !ok {
			return
		}
		f.Set(reflect.ValueOf(p.X))
	}
}

// dump prints a tree for the test files: one node per line, its scalar
// fields inline and its children indented under their field names.
// Leaves (identifiers, names, literals, types) print inline.
func dump(n any) string {
	var b strings.Builder
	dumpNode(&b, reflect.ValueOf(n), 0)
	return strings.TrimRight(b.String(), "\n")
}

// leaf renders v on one line if it is a leaf.
func leaf(v reflect.Value) (string, bool) {
	if !v.IsValid() {
		return "nil", true
	}
	if v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return "nil", true
		}
		return leaf(v.Elem())
	}
	switch x := v.Interface().(type) {
	case ast.Ident:
		return identText(x), true
	case ast.ObjectName:
		return nameText(x.Parts), true
	case ast.ColumnRef:
		return "ColumnRef " + nameText(x.Parts), true
	case ast.Literal:
		switch x.Kind {
		case ast.NullLit:
			return "NULL", true
		case ast.BoolLit:
			return strings.ToUpper(strconv.FormatBool(x.Bool)), true
		case ast.StringLit:
			return "'" + strings.ReplaceAll(x.Text, "'", "''") + "'", true
		case ast.BinaryLit:
			return fmt.Sprintf("X'%X'", x.Text), true
		case ast.IntLit:
			return "Int " + x.Text, true
		case ast.DecimalLit:
			return "Decimal " + x.Text, true
		case ast.FloatLit:
			return "Float " + x.Text, true
		}
	case ast.TypedLiteral:
		return x.Type + " '" + x.Value + "'", true
	case ast.IntervalLiteral:
		return "Interval " + ast.Format(&x), true
	case ast.TimeUnit:
		return "TimeUnit " + x.Unit, true
	case ast.Symbol:
		return "Symbol " + x.Name, true
	case ast.TypeArg:
		return "TypeArg " + x.Type.String(), true
	case row.Type:
		return x.String(), true
	case ast.Option:
		return fmt.Sprintf("%q=%q", x.Key, x.Value), true
	case ast.Descriptor:
		return "Descriptor" + identListText(x.Columns), true
	case ast.Alias:
		return "AS " + identText(x.Name) + identListText(x.Columns), true
	case ast.FrameBound:
		if x.Offset != nil {
			return ast.Format(x.Offset) + " " + string(x.Kind), true
		}
		return string(x.Kind), true
	case []ast.Ident:
		return identListText(x), true
	case bool:
		return strconv.FormatBool(x), true
	case []string:
		return "[" + strings.Join(x, ", ") + "]", true
	}
	return "", false
}

func identText(id ast.Ident) string {
	if id.Quoted {
		return "`" + id.Name + "`"
	}
	return id.Name
}

func nameText(parts []ast.Ident) string {
	s := make([]string, len(parts))
	for i, p := range parts {
		s[i] = identText(p)
	}
	return strings.Join(s, ".")
}

func identListText(ids []ast.Ident) string {
	if len(ids) == 0 {
		return ""
	}
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = identText(id)
	}
	return "(" + strings.Join(s, ", ") + ")"
}

func dumpNode(b *strings.Builder, v reflect.Value, indent int) {
	if s, ok := leaf(v); ok {
		b.WriteString(s)
		b.WriteByte('\n')
		return
	}
	for v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer {
		v = v.Elem()
	}
	if v.Kind() == reflect.Slice {
		if v.Len() == 0 {
			b.WriteString("(empty)\n")
			return
		}
		b.WriteByte('\n')
		for i := 0; i < v.Len(); i++ {
			b.WriteString(strings.Repeat("  ", indent+1) + "- ")
			dumpNode(b, v.Index(i), indent+2)
		}
		return
	}
	b.WriteString(v.Type().Name())
	type child struct {
		name string
		v    reflect.Value
	}
	var children []child
	for i := 0; i < v.NumField(); i++ {
		f := v.Type().Field(i)
		fv := v.Field(i)
		if f.Type == atType || f.Type == stmtTextType || f.Name == "QueryText" || fv.IsZero() {
			continue
		}
		switch fv.Kind() {
		case reflect.Bool:
			b.WriteString(" " + f.Name)
			continue
		case reflect.String:
			b.WriteString(fmt.Sprintf(" %s=%q", f.Name, fv.String()))
			continue
		case reflect.Int, reflect.Uint8:
			b.WriteString(fmt.Sprintf(" %s=%v", f.Name, fv.Interface()))
			continue
		}
		if s, ok := leaf(fv); ok && (fv.Kind() != reflect.Slice || fv.Type() == reflect.TypeOf([]ast.Ident{}) || fv.Type() == reflect.TypeOf([]string{})) {
			b.WriteString(fmt.Sprintf(" %s=%s", f.Name, s))
			continue
		}
		children = append(children, child{f.Name, fv})
	}
	b.WriteByte('\n')
	for _, c := range children {
		b.WriteString(strings.Repeat("  ", indent+1) + c.name + ":")
		if c.v.Kind() != reflect.Slice || c.v.Len() == 0 {
			b.WriteByte(' ')
		}
		dumpNode(b, c.v, indent+1)
	}
}
