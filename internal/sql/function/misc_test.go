package function

import (
	"regexp"
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestUUID(t *testing.T) {
	bd := bind(t, utcEnv, "UUID")
	if !bd.Dynamic || bd.Type.String() != "CHAR(36) NOT NULL" {
		t.Errorf("UUID: Dynamic %v, type %s", bd.Dynamic, bd.Type)
	}
	v4 := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for k := 0; k < 100; k++ {
		v, _ := bd.Eval(nil)
		if !v4.MatchString(v.Str()) || seen[v.Str()] {
			t.Fatalf("UUID() = %q", v.Str())
		}
		seen[v.Str()] = true
	}
}

func TestTypeOf(t *testing.T) {
	for _, tc := range []struct {
		t    row.Type
		want string
	}{
		{row.IntType.WithNotNull(true), "INT NOT NULL"},
		{row.StringType, "STRING"},
		{row.DecimalOf(10, 2), "DECIMAL(10, 2)"},
		{row.NullType, "NULL"},
	} {
		bd := bind(t, utcEnv, "TYPEOF", Arg{Type: tc.t})
		if v, _ := bd.Eval([]row.Value{nl}); v.Str() != tc.want || bd.Dynamic {
			t.Errorf("TYPEOF(%s) = %v", tc.t, v)
		}
	}
}

// Names are looked up case-insensitively and listed for SHOW FUNCTIONS.
func TestRegistry(t *testing.T) {
	for _, n := range []string{"date_format", "Json_Value", "SUBSTR", "ceiling"} {
		if _, ok := Lookup(n); !ok {
			t.Errorf("%s is not registered", n)
		}
	}
	names := Names()
	for k := 1; k < len(names); k++ {
		if names[k-1] >= names[k] {
			t.Fatalf("Names() is not sorted: %s before %s", names[k-1], names[k])
		}
	}
}
