package expr

import (
	"testing"

	"github.com/rtdw/rtdw/internal/sql/parser"
)

// End to end with the parser and the function library: SQL text in,
// type and value out (testCols / testRow, session zone Asia/Shanghai).
func TestParsedExpressions(t *testing.T) {
	for _, c := range []struct{ src, typ, want string }{
		{"a > 10 AND b LIKE 'x%'", "BOOLEAN", "true"},
		{"price * qty", "DECIMAL(21, 2)", "59.97"},
		{"0.1 + 0.2", "DECIMAL(3, 1) NOT NULL", "0.3"},
		{"CASE WHEN a > 1 THEN 'x' ELSE 'yy' END", "VARCHAR(2) NOT NULL", "x"},
		{"CAST('12' AS INT) + TRY_CAST('x' AS INT)", "INT", "NULL"},
		{"COALESCE(TRY_CAST('x' AS INT), 0)", "INT NOT NULL", "0"},
		{"ts + INTERVAL '1' MONTH", "TIMESTAMP(3)", "2024-02-29 10:30:00"},
		{"DATE '2024-01-31' + INTERVAL '1' MONTH", "DATE NOT NULL", "2024-02-29"},
		{"ltz = TIMESTAMP '2024-01-01 08:00:00'", "BOOLEAN", "true"},
		{"m['zz'] + r.f.g IS NULL AND arr[5] IS NULL", "BOOLEAN NOT NULL", "true"},
		{"r.f.g * 2", "INT", "14"},
		{"a IN (1, 2, 42) AND b NOT BETWEEN 'a' AND 'b'", "BOOLEAN", "true"},
		{"n IS NULL OR n > 1", "BOOLEAN", "true"},
		{"COALESCE(n, 0) + IF(ok, 1, 2)", "INT NOT NULL", "1"},
		{"-2147483648", "INT NOT NULL", "-2147483648"},
		{"2147483647 + 1", "INT NOT NULL", "-2147483648"},
		{"x IS NOT DISTINCT FROM 2.5", "BOOLEAN NOT NULL", "true"},
		{"CAST(ts AS STRING) || '!'", "STRING", "2024-01-31 10:30:00.000!"},
		{"CONCAT(b, 'x')", "STRING", "xyzx"},
		{"DATE_FORMAT(ts, 'yyyy-MM-dd')", "STRING", "2024-01-31"},
	} {
		e, err := parser.ParseExpr(c.src)
		if err != nil {
			t.Errorf("%s: parse: %v", c.src, err)
			continue
		}
		cp, err := Compile(e, scope())
		if err != nil {
			t.Errorf("%s: compile: %v", c.src, err)
			continue
		}
		v, err := cp.Eval(testRow())
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if cp.Type.String() != c.typ || v.String() != c.want {
			t.Errorf("%s = %v (%s), want %s (%s)", c.src, v, cp.Type, c.want, c.typ)
		}
	}
}
