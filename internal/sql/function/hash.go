package function

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
)

// Hash functions: the digest of the string's UTF-8 bytes (or of a BYTES
// value) as lower-case hexadecimal, as Flink's MD5, SHA1, SHA224,
// SHA256, SHA384, SHA512 and SHA2(s, bits).

func init() {
	for _, h := range []struct {
		name string
		sum  func(string) []byte
	}{
		{"MD5", func(s string) []byte { d := md5.Sum([]byte(s)); return d[:] }},
		{"SHA1", func(s string) []byte { d := sha1.Sum([]byte(s)); return d[:] }},
		{"SHA224", func(s string) []byte { d := sha256.Sum224([]byte(s)); return d[:] }},
		{"SHA256", func(s string) []byte { d := sha256.Sum256([]byte(s)); return d[:] }},
		{"SHA384", func(s string) []byte { d := sha512.Sum384([]byte(s)); return d[:] }},
		{"SHA512", func(s string) []byte { d := sha512.Sum512([]byte(s)); return d[:] }},
	} {
		sum := h.sum
		width := 2 * len(sum(""))
		simple(h.name, sig{"(STRING)", 1, cls(isStrBinT), false}, fixed(row.CharOf(width)), func(*Env, []Arg) (Eval, error) {
			return func(a []row.Value) (row.Value, error) {
				if a[0].IsNull() {
					return null, nil
				}
				return row.Char(hexString(sum(a[0].Str()))), nil
			}, nil
		})
	}
	reg("SHA2", bindSHA2)
}

func hexString(b []byte) string {
	var buf [128]byte
	n := hex.Encode(buf[:], b)
	return string(buf[:n])
}

func sha2(s string, bits int64) (string, bool) {
	switch bits {
	case 224:
		d := sha256.Sum224([]byte(s))
		return hexString(d[:]), true
	case 0, 256:
		d := sha256.Sum256([]byte(s))
		return hexString(d[:]), true
	case 384:
		d := sha512.Sum384([]byte(s))
		return hexString(d[:]), true
	case 512:
		d := sha512.Sum512([]byte(s))
		return hexString(d[:]), true
	}
	return "", false
}

func bindSHA2(_ *Env, args []Arg) (Bound, error) {
	s := sig{"(STRING, INT)", 2, cls(isStrBinT, isIntT), false}
	if err := s.check("SHA2", args); err != nil {
		return Bound{}, err
	}
	if n, ok := constInt(args[1]); ok {
		if _, ok := sha2("", n); !ok {
			return Bound{}, fmt.Errorf("SHA2: the bit length must be 224, 256, 384 or 512, got %d", n)
		}
	}
	return Bound{Type: withNull(row.VarCharOf(128), true), NullIfAnyNull: true, Eval: func(a []row.Value) (row.Value, error) {
		if hasNull(a) {
			return null, nil
		}
		h, ok := sha2(a[0].Str(), a[1].Int64())
		if !ok {
			return null, nil
		}
		return row.String(h), nil
	}}, nil
}
