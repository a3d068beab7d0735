package row

import (
	"strings"
	"testing"
)

func TestParseTypePrint(t *testing.T) {
	cases := []struct{ in, want string }{
		{"BOOLEAN", "BOOLEAN"},
		{"tinyint", "TINYINT"},
		{"SmallInt", "SMALLINT"},
		{"INT", "INT"},
		{"INTEGER", "INT"},
		{"BIGINT NOT NULL", "BIGINT NOT NULL"},
		{"bigint null", "BIGINT"},
		{"FLOAT", "FLOAT"},
		{"REAL", "FLOAT"},
		{"DOUBLE", "DOUBLE"},
		{"DOUBLE PRECISION", "DOUBLE"},
		{"DECIMAL", "DECIMAL(10, 0)"},
		{"DECIMAL(16,2)", "DECIMAL(16, 2)"},
		{"dec(5)", "DECIMAL(5, 0)"},
		{"NUMERIC(38, 18)", "DECIMAL(38, 18)"},
		{"CHAR", "CHAR(1)"},
		{"CHAR(3)", "CHAR(3)"},
		{"VARCHAR(20)", "VARCHAR(20)"},
		{"VARCHAR", "STRING"},
		{"VARCHAR(2147483647)", "STRING"},
		{"STRING", "STRING"},
		{"BINARY(4)", "BINARY(4)"},
		{"VARBINARY(10)", "VARBINARY(10)"},
		{"VARBINARY", "BYTES"},
		{"BYTES", "BYTES"},
		{"DATE", "DATE"},
		{"TIME", "TIME(0)"},
		{"TIME(3)", "TIME(3)"},
		{"TIME(3) WITHOUT TIME ZONE", "TIME(3)"},
		{"TIMESTAMP", "TIMESTAMP(6)"},
		{"TIMESTAMP(3)", "TIMESTAMP(3)"},
		{"timestamp(0) without time zone", "TIMESTAMP(0)"},
		{"TIMESTAMP WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(6)"},
		{"TIMESTAMP(3) WITH LOCAL TIME ZONE", "TIMESTAMP_LTZ(3)"},
		{"TIMESTAMP_LTZ", "TIMESTAMP_LTZ(6)"},
		{"TIMESTAMP_LTZ(9) NOT NULL", "TIMESTAMP_LTZ(9) NOT NULL"},
		{"INTERVAL DAY TO SECOND", "INTERVAL DAY(2) TO SECOND(6)"},
		{"INTERVAL DAY(3) TO SECOND(3)", "INTERVAL DAY(3) TO SECOND(3)"},
		{"INTERVAL SECOND(3)", "INTERVAL SECOND(3)"},
		{"INTERVAL HOUR TO MINUTE", "INTERVAL HOUR TO MINUTE"},
		{"INTERVAL MINUTE", "INTERVAL MINUTE"},
		{"INTERVAL YEAR", "INTERVAL YEAR(2)"},
		{"INTERVAL YEAR(4) TO MONTH", "INTERVAL YEAR(4) TO MONTH"},
		{"INTERVAL MONTH", "INTERVAL MONTH"},
		{"ARRAY<INT>", "ARRAY<INT>"},
		{"ARRAY<INT NOT NULL> NOT NULL", "ARRAY<INT NOT NULL> NOT NULL"},
		{"INT ARRAY", "ARRAY<INT>"},
		{"STRING MULTISET", "MULTISET<STRING>"},
		{"MULTISET<DECIMAL(4,1)>", "MULTISET<DECIMAL(4, 1)>"},
		{"MAP<STRING, STRING>", "MAP<STRING, STRING>"},
		{"map<varchar,array<bigint>>", "MAP<STRING, ARRAY<BIGINT>>"},
		{"ROW<a INT, b STRING>", "ROW<`a` INT, `b` STRING>"},
		{"ROW(a INT, b STRING)", "ROW<`a` INT, `b` STRING>"},
		{"ROW<`a b` INT NOT NULL 'the a', `c``d` ROW<x TIMESTAMP(3)>>", "ROW<`a b` INT NOT NULL 'the a', `c``d` ROW<`x` TIMESTAMP(3)>>"},
		{"ROW<>", "ROW<>"},
		{"NULL", "NULL"},
		{"  MAP < STRING , INT >  ", "MAP<STRING, INT>"},
	}
	for _, c := range cases {
		typ, err := ParseType(c.in)
		if err != nil {
			t.Errorf("ParseType(%q): %v", c.in, err)
			continue
		}
		if got := typ.String(); got != c.want {
			t.Errorf("ParseType(%q).String() = %q, want %q", c.in, got, c.want)
		}
		// The printed form parses back to the same type.
		again, err := ParseType(typ.String())
		if err != nil || !again.Equal(typ) {
			t.Errorf("round trip of %q: %v, %v", typ, again, err)
		}
	}
}

func TestParseTypeErrors(t *testing.T) {
	cases := []struct{ in, want string }{
		{"", "expected a type"},
		{"INTT", "unknown type INTT"},
		{"DECIMAL(39, 2)", "precision must be between 1 and 38"},
		{"DECIMAL(5, 6)", "scale must be between 0"},
		{"DECIMAL(0)", "precision"},
		{"TIMESTAMP(10)", "precision must be between 0 and 9"},
		{"CHAR(0)", "length must be between 1"},
		{"VARCHAR(3000000000)", "out of range"},
		{"TIMESTAMP WITH TIME ZONE", "not supported"},
		{"ARRAY<INT", "expected \">\""},
		{"MAP<INT>", "expected \",\""},
		{"ROW<a>", "expected a type"},
		{"ROW<a INT, A STRING>", "used twice"},
		{"INT NOT", "expected NULL"},
		{"INT INT", "unexpected \"INT\""},
		{"ROW<`a INT>", "unterminated"},
		{"INTERVAL WEEK", "unknown interval unit"},
		{"INTERVAL MONTH TO YEAR", "unsupported interval"},
	}
	for _, c := range cases {
		_, err := ParseType(c.in)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("ParseType(%q) = %v, want an error containing %q", c.in, err, c.want)
		}
	}
}

func TestTypeEqual(t *testing.T) {
	a := MustParseType("ROW<a INT, b MAP<STRING, DECIMAL(10, 2)>>")
	if !a.Equal(MustParseType("ROW<a INT, b MAP<STRING, DECIMAL(10, 2)>>")) {
		t.Error("equal types differ")
	}
	for _, other := range []string{
		"ROW<a INT, b MAP<STRING, DECIMAL(10, 3)>>",
		"ROW<a INT NOT NULL, b MAP<STRING, DECIMAL(10, 2)>>",
		"ROW<x INT, b MAP<STRING, DECIMAL(10, 2)>>",
		"ROW<a INT>",
	} {
		if a.Equal(MustParseType(other)) {
			t.Errorf("%s equals %s", a, other)
		}
	}
	if !IntervalOf(ResDefault, 2, 6).Equal(MustParseType("INTERVAL DAY TO SECOND")) {
		t.Error("default interval resolution")
	}
}

func TestSchema(t *testing.T) {
	s := MustParseSchema("id BIGINT NOT NULL, `Name` STRING, amount DECIMAL(16, 2), ts TIMESTAMP(3)")
	if s.Len() != 4 {
		t.Fatalf("Len = %d", s.Len())
	}
	for name, want := range map[string]int{"id": 0, "ID": 0, "Name": 1, "name": 1, "NAME": 1, "amount": 2, "ts": 3, "nope": -1} {
		if got := s.Index(name); got != want {
			t.Errorf("Index(%q) = %d, want %d", name, got, want)
		}
	}
	if got := s.String(); got != "`id` BIGINT NOT NULL, `Name` STRING, `amount` DECIMAL(16, 2), `ts` TIMESTAMP(3)" {
		t.Errorf("String = %s", got)
	}
	if got := s.Type().String(); got != "ROW<`id` BIGINT NOT NULL, `Name` STRING, `amount` DECIMAL(16, 2), `ts` TIMESTAMP(3)> NOT NULL" {
		t.Errorf("Type = %s", got)
	}
	if _, err := NewSchema(Column{"a", IntType}, Column{"A", StringType}); err == nil || !strings.Contains(err.Error(), "case-insensitive") {
		t.Errorf("duplicate names: %v", err)
	}
	if _, err := NewSchema(Column{"a", DecimalOf(50, 2)}); err == nil {
		t.Error("invalid type accepted")
	}
	r := NewRow(Insert, BigInt(1), String("x"), Null(), Null())
	if v, ok := r.Get(s, "NAME"); !ok || v.Str() != "x" {
		t.Errorf("Get = %v %v", v, ok)
	}
}

func TestRowKind(t *testing.T) {
	for k, want := range map[RowKind]string{Insert: "+I", UpdateBefore: "-U", UpdateAfter: "+U", Delete: "-D"} {
		if k.String() != want {
			t.Errorf("%d.String() = %s", k, k)
		}
		if got, err := ParseRowKind(want); err != nil || got != k {
			t.Errorf("ParseRowKind(%s) = %v %v", want, got, err)
		}
		if k.IsAccumulate() == k.IsRetract() {
			t.Errorf("%s: accumulate %v retract %v", k, k.IsAccumulate(), k.IsRetract())
		}
	}
	if !Insert.IsAccumulate() || !UpdateAfter.IsAccumulate() || !UpdateBefore.IsRetract() || !Delete.IsRetract() {
		t.Error("accumulate / retract")
	}
	if _, err := ParseRowKind("+X"); err == nil {
		t.Error("ParseRowKind(+X) succeeded")
	}
	if got, _ := ParseRowKind("UPDATE_BEFORE"); got != UpdateBefore {
		t.Error("long name")
	}
	r := NewRow(UpdateBefore, BigInt(1), String("a"), Null())
	if r.String() != "-U[1, a, NULL]" {
		t.Errorf("Row.String = %s", r)
	}
}
