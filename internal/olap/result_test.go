package olap_test

import (
	"encoding/json"
	"math/big"
	"testing"

	"github.com/rtdw/rtdw/internal/olap"
)

func TestDecimalOf(t *testing.T) {
	big2 := func(s string) *big.Int { n, _ := new(big.Int).SetString(s, 10); return n }
	for _, c := range []struct {
		unscaled string
		scale    int
		want     olap.DecimalString
	}{
		{"10050", 2, "100.50"},
		{"-5", 2, "-0.05"},
		{"0", 2, "0.00"},
		{"7", 0, "7"},
		{"7", -3, "7000"},
		{"1234567890123456789", 2, "12345678901234567.89"},
		{"-123", 3, "-0.123"},
	} {
		if got := olap.DecimalOf(big2(c.unscaled), c.scale); got != c.want {
			t.Errorf("DecimalOf(%s, %d) = %s, want %s", c.unscaled, c.scale, got, c.want)
		}
	}
	b, err := json.Marshal([]any{olap.DecimalString("100.50")})
	if err != nil || string(b) != "[100.50]" {
		t.Errorf("JSON: %s, %v", b, err)
	}
	if got := olap.FormatValue(olap.DecimalString("-0.05"), olap.Decimal); got != "-0.05" {
		t.Errorf("FormatValue: %q", got)
	}
}
