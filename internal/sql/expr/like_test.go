package expr

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

func TestLike(t *testing.T) {
	cases := []struct {
		str, pat, esc string
		want          bool
	}{
		{"abc", "abc", "", true},
		{"abc", "ab", "", false},
		{"abc", "a%", "", true},
		{"abc", "%c", "", true},
		{"abc", "%b%", "", true},
		{"abc", "%", "", true},
		{"", "%", "", true},
		{"", "_", "", false},
		{"abc", "a_c", "", true},
		{"abc", "a__", "", true},
		{"abc", "a___", "", false},
		{"abc", "_b_", "", true},
		{"aXbXc", "a%b%c", "", true},
		{"abcbc", "a%bc", "", true},
		{"abcb", "a%bc", "", false},
		{"中文字", "中_字", "", true},
		{"中文字", "__", "", false},
		{"ABC", "abc", "", false}, // case-sensitive
		{"a%b", "a!%b", "!", true},
		{"axb", "a!%b", "!", false},
		{"a_b", "a!_b", "!", true},
		{"axb", "a!_b", "!", false},
		{"a!b", "a!!b", "!", true},
		{"100%", "%!%", "!", true},
		{"100", "%!%", "!", false},
		{`a\b`, `a\b`, "", true}, // no default escape character
		{`a\%`, `a\%`, "", true},
		{"line1\nline2", "line1%", "", true},
		{"xabcabcx", "%abc_x", "", false},
		{"xabcabcyx", "%abc_x", "", true},
		{"mississippi", "%iss%ppi", "", true},
		{"mississippi", "m%s_s%i", "", true},
	}
	for _, c := range cases {
		e := like(s(c.str), s(c.pat))
		if c.esc != "" {
			e.Escape = s(c.esc)
		}
		v, _ := eval(t, e)
		if v.IsNull() || v.Bool() != c.want {
			t.Errorf("%q LIKE %q ESCAPE %q = %v, want %v", c.str, c.pat, c.esc, v, c.want)
		}
		// the same through a column (not folded) and with NOT
		e2 := like(ref("b"), s(c.pat))
		e2.Escape, e2.Not = e.Escape, true
		sc := &Scope{Columns: testCols}
		cp, err := Compile(e2, sc)
		if err != nil {
			t.Fatal(err)
		}
		r := testRow()
		r.Values[1] = row.String(c.str)
		v, _ = cp.Eval(r)
		if v.Bool() != !c.want {
			t.Errorf("%q NOT LIKE %q: %v", c.str, c.pat, v)
		}
		// and with the pattern from the row (cached compilation)
		e3 := like(s(c.str), ref("ns"))
		e3.Escape = e.Escape
		cp, err = Compile(e3, sc)
		if err != nil {
			t.Fatal(err)
		}
		r.Values[13] = row.String(c.pat)
		for k := 0; k < 2; k++ {
			v, err = cp.Eval(r)
			if err != nil || v.Bool() != c.want {
				t.Errorf("%q LIKE column %q: %v %v", c.str, c.pat, v, err)
			}
		}
	}
	// NULLs
	v, _ := eval(t, like(ref("ns"), s("%")))
	if !v.IsNull() {
		t.Error("NULL LIKE '%' is not NULL")
	}
	v, _ = eval(t, like(ref("b"), ref("ns")))
	if !v.IsNull() {
		t.Error("x LIKE NULL is not NULL")
	}
	// Invalid escapes: compile errors for constants, runtime for patterns from the row.
	for _, c := range []struct{ pat, esc string }{{"a!x", "!"}, {"a!", "!"}, {"a", "!!"}} {
		e := like(s("a"), s(c.pat))
		e.Escape = s(c.esc)
		compileErr(t, e)
	}
	e := like(s("a"), ref("b"))
	e.Escape = s("x")
	if err := evalErr(t, e); err == nil {
		t.Error("pattern 'xyz' with ESCAPE 'x' did not fail")
	}
	compileErr(t, like(ref("a"), s("1%")))
}

func TestSimilarTo(t *testing.T) {
	for _, c := range []struct {
		str, pat string
		want     bool
	}{
		{"abc", "abc", true},
		{"abc", "a%", true},
		{"abc", "a_c", true},
		{"abc", "(abc|xyz)", true},
		{"xyz", "(abc|xyz)", true},
		{"abcd", "(abc|xyz)", false},
		{"aaa", "a+", true},
		{"a.c", "a.c", true},
		{"abc", "a.c", false}, // . is literal
		{"b", "[a-c]", true},
		{"d", "[a-c]", false},
		{"d", "[^a-c]", true},
		{"ab", "a{2}", false},
		{"aa", "a{2}", true},
		{"a$", "a$", true},
	} {
		v, _ := eval(t, &ast.Like{At: at(), X: s(c.str), Pattern: s(c.pat), Similar: true})
		if v.IsNull() || v.Bool() != c.want {
			t.Errorf("%q SIMILAR TO %q = %v, want %v", c.str, c.pat, v, c.want)
		}
	}
	compileErr(t, &ast.Like{At: at(), X: s("a"), Pattern: s("[a"), Similar: true})
}
