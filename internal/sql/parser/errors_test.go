package parser

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/rtdw/rtdw/internal/sql/ast"
)

func TestErrorFormat(t *testing.T) {
	for _, c := range []struct {
		err        Error
		want, shrt string
	}{
		{Error{File: "jobs.sql", Pos: ast.Pos{Offset: 9, Line: 2, Col: 3}, Msg: `unexpected "x"`, LineText: "a x b"},
			"jobs.sql:2:3: unexpected \"x\"\na x b\n  ^", `jobs.sql:2:3: unexpected "x"`},
		// no file name (ParseExpr, ParseQuery)
		{Error{Pos: ast.Pos{Line: 1, Col: 1}, Msg: "m", LineText: "x"}, "1:1: m\nx\n^", "1:1: m"},
		// a tab before the column is kept in the caret line
		{Error{Pos: ast.Pos{Line: 1, Col: 4}, Msg: "m", LineText: "\ta\tb"}, "1:4: m\n\ta\tb\n\t \t^", "1:4: m"},
		// CJK characters are one column each and two cells wide
		{Error{Pos: ast.Pos{Line: 1, Col: 4}, Msg: "m", LineText: "名字 x"}, "1:4: m\n名字 x\n     ^", "1:4: m"},
		// a CRLF file's line keeps no \r
		{Error{Pos: ast.Pos{Line: 3, Col: 2}, Msg: "m", LineText: "ab\r"}, "3:2: m\nab\n ^", "3:2: m"},
		// no position: the message alone
		{Error{Msg: "m"}, "m", "m"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
		if got := c.err.Short(); got != c.shrt {
			t.Errorf("Short() = %q, want %q", got, c.shrt)
		}
	}
}

// TestErrorPosition checks Pos, LineText and the caret of errors in a
// file with CRLF line ends, tabs, comments and CJK text.
func TestErrorPosition(t *testing.T) {
	src := "SELECT 1;\r\n\t-- 注释 comment\r\n/* 多行\r\n注释 */ SELECT '名字',\tx FROM t WHERE )\r\n"
	_, err := Parse("cjk.sql", src)
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("want *Error, got %v", err)
	}
	off := strings.Index(src, ")")
	want := ast.Pos{Offset: off, Line: 4, Col: utf8.RuneCountInString("注释 */ SELECT '名字',\tx FROM t WHERE ") + 1}
	if pe.Pos != want {
		t.Errorf("Pos = %+v, want %+v", pe.Pos, want)
	}
	if pe.LineText != "注释 */ SELECT '名字',\tx FROM t WHERE )" {
		t.Errorf("LineText = %q", pe.LineText)
	}
	wantErr := "cjk.sql:4:35: unexpected \")\", expected an expression\n" +
		"注释 */ SELECT '名字',\tx FROM t WHERE )\n" +
		strings.Repeat(" ", 4+12+4+2) + "\t" + strings.Repeat(" ", len("x FROM t WHERE ")) + "^"
	if err.Error() != wantErr {
		t.Errorf("Error() =\n%s\nwant\n%s", err, wantErr)
	}
}

// TestErrorAtEnd: a statement cut short is reported just after its last
// token, not on the blank lines after it.
func TestErrorAtEnd(t *testing.T) {
	_, err := Parse("f.sql", "SELECT a\nFROM\n\n\n")
	if got, want := err.Error(), "f.sql:2:5: unexpected end of input, expected a table name\nFROM\n    ^"; got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	_, err = Parse("f.sql", "")
	if err != nil {
		t.Errorf("an empty script is no error: %v", err)
	}
	stmts, err := Parse("f.sql", " ;; -- nothing\n ; /* at all */")
	if err != nil || len(stmts) != 0 {
		t.Errorf("empty statements: %v %v", stmts, err)
	}
	if stmts, err := Parse("f.sql", "SELECT 1; SELECT"); err == nil || stmts != nil {
		t.Errorf("a script with an error returns no statements: %v %v", stmts, err)
	}
}

func TestParseExprAndQueryErrors(t *testing.T) {
	for src, want := range map[string]string{
		"a +":                  "1:4: unexpected end of input, expected an expression",
		"a b":                  `1:3: unexpected "b", expected end of input`,
		"":                     "1:1: unexpected end of input, expected an expression",
		"SELECT 1":             `1:1: unexpected "SELECT", expected an expression`,
		"1; 2":                 `1:2: unexpected ";", expected end of input`,
		"(a":                   `1:3: unexpected end of input, expected ")"`,
		"CAST(a AS)":           `1:10: unexpected ")", expected a data type`,
		"f(a => )":             `1:8: unexpected ")", expected an expression`,
		"x NOT FOO":            `1:3: unexpected "NOT", expected end of input`,
		"x IS MAYBE":           `1:6: unexpected "MAYBE", expected NULL, TRUE, FALSE, UNKNOWN or DISTINCT FROM`,
		"JSON_VALUE(a, b ON)":  `1:17: unexpected "ON", expected ")"`,
		"TIMESTAMP '1' '2'":    `1:15: unexpected "'2'", expected end of input`,
		"1 .a":                 `1:3: unexpected ".", expected end of input`,
		"INTERVAL '1' DAY TO":  "1:20: unexpected end of input, expected YEAR, MONTH, DAY, HOUR, MINUTE or SECOND",
		"a[1":                  `1:4: unexpected end of input, expected "]"`,
		"CASE WHEN a THEN b":   "1:19: unexpected end of input, expected END",
		"ROW(1, 2":             `1:9: unexpected end of input, expected ")"`,
		"DESCRIPTOR(a.b)":      `1:13: unexpected ".", expected ")"`,
		"a BETWEEN 1 OR 2":     "1:13: unexpected \"OR\", expected AND",
		"EXISTS SELECT 1":      `1:8: unexpected "SELECT", expected "("`,
		"'unterminated":        "1:1: unterminated string literal",
		"U&'\\00'":             "1:1: invalid unicode escape in U&'...': want \\XXXX or \\+XXXXXX",
		"MAP[1, 2, 3]":         "1:1: MAP[...] takes keys and values in pairs: MAP[k1, v1, k2, v2]",
		"COUNT(*) FILTER (a)":  `1:18: unexpected "a", expected WHERE`,
		"f(x) OVER (ROWS 1)":   "1:18: unexpected \")\", expected PRECEDING or FOLLOWING",
		"TRIM(LEADING 'x' s)":  `1:18: unexpected "s", expected FROM`,
		"OVERLAY(a PLACING b)": `1:20: unexpected ")", expected FROM`,
	} {
		_, err := ParseExpr(src)
		if err == nil {
			t.Errorf("%q: no error, want %s", src, want)
			continue
		}
		if got := err.(*Error).Short(); got != want {
			t.Errorf("%q: got %s, want %s", src, got, want)
		}
	}
	if _, err := ParseQuery("SELECT 1 FROM"); err == nil || err.(*Error).Short() != "1:14: unexpected end of input, expected a table name" {
		t.Errorf("ParseQuery error: %v", err)
	}
	if _, err := ParseQuery("SELECT 1; SELECT 2"); err == nil {
		t.Errorf("ParseQuery takes one query")
	}
}

// TestNesting: nesting beyond the limit is an error, not a stack
// overflow; nesting below it parses.
func TestNesting(t *testing.T) {
	deep := strings.Repeat("(", 1000) + "1" + strings.Repeat(")", 1000)
	_, err := ParseExpr(deep)
	if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
		t.Errorf("1000 parentheses: %v", err)
	}
	ok := strings.Repeat("(", 200) + "1" + strings.Repeat(")", 200)
	if _, err := ParseExpr(ok); err != nil {
		t.Errorf("200 parentheses: %v", err)
	}
	long := "SELECT " + strings.Repeat("a + ", 10000) + "1"
	if _, err := Parse("", long); err != nil {
		t.Errorf("a long chain of + is not deep: %v", err)
	}
	for _, src := range []string{
		"SELECT " + strings.Repeat("JSON_OBJECT(KEY ", 400) + "1",
		"SELECT " + strings.Repeat("JSON_OBJECT(KEY VALUE ", 400) + "1",
		"SELECT CAST(1 AS " + strings.Repeat("ARRAY<", 2000) + "INT",
		"SELECT * FROM " + strings.Repeat("(", 2000) + "t",
	} {
		if _, err := Parse("", src); err == nil {
			t.Errorf("%.40s...: no error", src)
		}
	}
}

func TestNearMiss(t *testing.T) {
	for word, want := range map[string]string{
		"FORM": "FROM", "form": "FROM", "WHRE": "WHERE", "WHEER": "WHERE", "SELEC": "SELECT",
		"SELECTT": "SELECT", "GROPU": "GROUP", "FROM": "", "FOO": "", "ab": "", "LIMT": "LIMIT", "ORDERS": "ORDER",
		"xyzzy": "",
	} {
		if got := nearMiss(word, clauseWords...); got != want {
			t.Errorf("nearMiss(%q) = %q, want %q", word, got, want)
		}
	}
}
