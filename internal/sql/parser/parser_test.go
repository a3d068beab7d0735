package parser

import (
	"errors"
	"strings"
	"testing"

	"github.com/cockroachdb/datadriven"

	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/sql/ast"
)

// TestData runs the files of testdata/. Commands:
//
//	parse   the script's statements, each printed by ast.Format
//	tree    the script's statements as trees (dump)
//	expr    one expression: its Format, then its tree
//	query   one query (ParseQuery): its Format
//	text    each statement's Text (and a view's QueryText)
//	error   the error of a script that does not parse, as printed
//	type    one data type a line: its String(); it must equal row.ParseType's
//
// Every input that parses must print with ast.Format and parse back to
// an equal tree (checkRoundTrip).
func TestData(t *testing.T) {
	datadriven.Walk(t, "testdata", func(t *testing.T, path string) {
		if strings.Contains(path, "fuzz") {
			return
		}
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "parse", "tree", "text":
				stmts, err := Parse("test.sql", d.Input)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				var out []string
				for _, s := range stmts {
					checkRoundTrip(t, s)
					switch d.Cmd {
					case "parse":
						out = append(out, ast.Format(s)+";")
					case "tree":
						out = append(out, dump(s))
					case "text":
						out = append(out, "["+s.SQL()+"]")
						if v, ok := s.(*ast.CreateView); ok {
							out = append(out, "query ["+v.QueryText+"]")
						}
						if set, ok := s.(*ast.StatementSet); ok {
							for _, ins := range set.Inserts {
								out = append(out, "  insert ["+ins.SQL()+"]")
							}
						}
						if ex, ok := s.(*ast.Explain); ok {
							out = append(out, "  explains ["+ex.Stmt.SQL()+"]")
						}
					}
				}
				return strings.Join(out, "\n") + "\n"
			case "expr":
				e, err := ParseExpr(d.Input)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				checkRoundTripExpr(t, e)
				return ast.Format(e) + "\n" + dump(e) + "\n"
			case "query":
				q, err := ParseQuery(d.Input)
				if err != nil {
					d.Fatalf(t, "%v", err)
				}
				f := ast.Format(q)
				q2, err := ParseQuery(f)
				if err != nil {
					t.Fatalf("%s: re-parse of %q: %v", d.Pos, f, err)
				}
				if diff := treeDiff(q, q2); diff != "" {
					t.Errorf("%s: round trip of %q differs at %s", d.Pos, f, diff)
				}
				return f + "\n"
			case "error":
				_, err := Parse("test.sql", d.Input)
				if err == nil {
					d.Fatalf(t, "expected an error")
				}
				var pe *Error
				if !errors.As(err, &pe) {
					d.Fatalf(t, "not a *parser.Error: %T %v", err, err)
				}
				if !strings.HasPrefix(err.Error(), pe.Short()) || strings.Contains(pe.Short(), "\n") {
					t.Errorf("%s: Short() %q is not the first line of Error()", d.Pos, pe.Short())
				}
				return err.Error() + "\n"
			case "type":
				var out []string
				for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
					out = append(out, line+" -> "+parseTypeLine(t, d.Pos, line))
				}
				return strings.Join(out, "\n") + "\n"
			}
			d.Fatalf(t, "unknown command %s", d.Cmd)
			return ""
		})
	})
}

// parseTypeLine parses one type through CAST and checks it against
// row.ParseType, which the parser delegates the type's meaning to.
func parseTypeLine(t *testing.T, pos, src string) string {
	e, err := ParseExpr("CAST(NULL AS " + src + ")")
	if err != nil {
		return "error: " + err.(*Error).Msg
	}
	checkRoundTripExpr(t, e)
	typ := e.(*ast.Cast).Type
	want, err := row.ParseType(src)
	if err != nil {
		t.Errorf("%s: %s: the parser took it, row.ParseType did not: %v", pos, src, err)
	} else if !typ.Equal(want) {
		t.Errorf("%s: %s: parsed %s, row.ParseType %s", pos, src, typ, want)
	}
	return typ.String()
}

// checkRoundTrip checks that s prints as SQL that parses back to an
// equal tree and prints the same again.
func checkRoundTrip(t testing.TB, s ast.Statement) {
	t.Helper()
	f := ast.Format(s)
	re, err := Parse("", f)
	if err != nil {
		t.Errorf("formatted statement does not parse: %v\n%s", err, f)
		return
	}
	if len(re) != 1 {
		t.Errorf("formatted statement parses as %d statements:\n%s", len(re), f)
		return
	}
	if d := treeDiff(s, re[0]); d != "" {
		t.Errorf("round trip differs at %s:\n%s\n%s", d, s.SQL(), f)
	}
	if f2 := ast.Format(re[0]); f2 != f {
		t.Errorf("Format is not stable:\n%s\n%s", f, f2)
	}
}

func checkRoundTripExpr(t testing.TB, e ast.Expr) {
	t.Helper()
	f := ast.Format(e)
	re, err := ParseExpr(f)
	if err != nil {
		t.Errorf("formatted expression does not parse: %v\n%s", err, f)
		return
	}
	if d := treeDiff(e, re); d != "" {
		t.Errorf("round trip differs at %s:\n%s", d, f)
	}
	if f2 := ast.Format(re); f2 != f {
		t.Errorf("Format is not stable:\n%s\n%s", f, f2)
	}
}
