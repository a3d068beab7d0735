package function

import (
	"testing"

	"github.com/rtdw/rtdw/internal/row"
)

func TestHashFunctions(t *testing.T) {
	// Digests of "abc" and "" from RFC 1321 / FIPS 180 test vectors.
	runCases(t, utcEnv, []tcase{
		c("MD5", row.Char("d41d8cd98f00b204e9800998ecf8427e"), s("")),
		c("MD5", row.Char("900150983cd24fb0d6963f7d28e17f72"), s("abc")),
		c("MD5", row.Char("900150983cd24fb0d6963f7d28e17f72"), row.BytesOf("abc")),
		c("SHA1", row.Char("a9993e364706816aba3e25717850c26c9cd0d89d"), s("abc")),
		c("SHA224", row.Char("23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"), s("abc")),
		c("SHA256", row.Char("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), s("abc")),
		c("SHA2", s("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"), s("abc"), i(256)),
		c("SHA2", s("23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7"), s("abc"), i(224)),
		c("SHA512", row.Char("ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"), s("abc")),
		c("MD5", nl, nl),
		c("SHA2", nl, s("abc"), nl),
	})
	n := i(100)
	errContains(t, bindErr(t, "SHA2", Arg{Type: row.StringType}, Arg{Type: row.IntType, Const: &n}), "224, 256, 384 or 512")
	bd := bind(t, utcEnv, "SHA2", Arg{Type: row.StringType}, Arg{Type: row.IntType})
	if v, _ := bd.Eval([]row.Value{s("abc"), i(100)}); !v.IsNull() {
		t.Errorf("SHA2 with 100 bits per row = %v, want NULL", v)
	}
}
