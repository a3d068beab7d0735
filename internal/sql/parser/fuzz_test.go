package parser

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// testdataInputs returns the inputs of the testdata files' directives,
// the seed corpus of FuzzParse.
func testdataInputs(tb testing.TB) []string {
	files, err := filepath.Glob(filepath.Join("testdata", "*.txt"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("no testdata: %v", err)
	}
	commands := map[string]bool{"parse": true, "tree": true, "expr": true, "query": true, "text": true, "error": true, "type": true}
	var inputs []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			tb.Fatal(err)
		}
		var cur []string
		in := false
		for _, line := range strings.Split(string(b), "\n") {
			switch {
			case !in && commands[strings.TrimSpace(line)]:
				in, cur = true, nil
			case in && line == "----":
				inputs = append(inputs, strings.Join(cur, "\n"))
				in = false
			case in:
				cur = append(cur, line)
			}
		}
	}
	return inputs
}

// FuzzParse: no input makes the parser panic, every error is an *Error
// pointing into the source, and whatever parses prints (ast.Format) as
// SQL that parses back to an equal tree.
func FuzzParse(f *testing.F) {
	for _, s := range testdataInputs(f) {
		f.Add(s)
	}
	for _, s := range []string{
		"SELECT a FROM t",
		"SELECT CAST(a AS ROW<x INT, y ARRAY<STRING>>) FROM t",
		"SELECT * FROM t /*+ OPTIONS('a'='b') */ WHERE x IN (SELECT 1) AND y BETWEEN 1 AND 2",
		"INSERT INTO s SELECT TRIM(BOTH 'x' FROM a), EXTRACT(DAY FROM b), -c[1].d FROM t",
		"SELECT JSON_VALUE(j, '$.a' RETURNING INT DEFAULT 1 ON EMPTY), JSON_OBJECT(KEY 'k' VALUE v ABSENT ON NULL)",
		"SELECT 1e5, .5, X'ab', U&'\\0041', INTERVAL '1' DAY(3) TO SECOND(2), DATE '2020-01-01'",
		"CREATE TABLE t (a INT, b AS a + 1, WATERMARK FOR c AS c - INTERVAL '1' SECOND) WITH ('k' = 'v')",
		"SELECT COUNT(*) OVER (PARTITION BY a ORDER BY b ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
		"WITH a AS (SELECT 1) SELECT * FROM a UNION ALL SELECT 2 INTERSECT SELECT 3 ORDER BY 1 LIMIT 2",
		"SELECT `a``b`.`c` FROM `t` AS `x` (`y`)",
		"EXECUTE STATEMENT SET BEGIN INSERT INTO a SELECT 1; END",
		"SELECT - - 1, NOT NOT TRUE, (a, b), ROW(), ARRAY[], MAP[1, 2]",
		"SELECT 'a' -- c\n/* d */ FROM t",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		stmts, err := Parse("f.sql", src)
		if err != nil {
			checkError(t, src, err)
		}
		for _, s := range stmts {
			checkRoundTrip(t, s)
		}
		if e, err := ParseExpr(src); err == nil {
			checkRoundTripExpr(t, e)
		} else {
			checkError(t, src, err)
		}
	})
}

// checkError checks that err is an *Error whose position is in src and
// whose line is the source line there.
func checkError(t *testing.T, src string, err error) {
	t.Helper()
	var pe *Error
	if !errors.As(err, &pe) {
		t.Fatalf("error is %T, not *Error: %v", err, err)
	}
	p := pe.Pos
	if p.Line < 1 || p.Col < 1 || p.Offset < 0 || p.Offset > len(src) {
		t.Fatalf("error position %+v outside the source (%d bytes): %v", p, len(src), err)
	}
	before := src[:p.Offset]
	if line := strings.Count(before, "\n") + 1; line != p.Line {
		t.Fatalf("error at offset %d says line %d, the source has line %d: %v", p.Offset, p.Line, line, err)
	}
	col := utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
	if col != p.Col {
		t.Fatalf("error at offset %d says column %d, the source has column %d: %v", p.Offset, p.Col, col, err)
	}
	if pe.LineText != lineText(src, p.Offset) {
		t.Fatalf("error line %q is not the source line %q", pe.LineText, lineText(src, p.Offset))
	}
	_ = err.Error()
}
