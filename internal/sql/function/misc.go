package function

import (
	"crypto/rand"

	"github.com/rtdw/rtdw/internal/row"
)

// Miscellaneous functions: UUID() and TYPEOF(x [, forceSerializable]).

func init() {
	reg("UUID", func(_ *Env, args []Arg) (Bound, error) {
		if len(args) != 0 {
			return Bound{}, sigError("UUID", "()", args)
		}
		return Bound{Type: row.CharOf(36).WithNotNull(true), Dynamic: true, Eval: func([]row.Value) (row.Value, error) {
			return row.Char(newUUID()), nil
		}}, nil
	})
	reg("TYPEOF", func(_ *Env, args []Arg) (Bound, error) {
		if len(args) < 1 || len(args) > 2 || len(args) == 2 && !isBoolT(args[1].Type) {
			return Bound{}, sigError("TYPEOF", "(value[, BOOLEAN])", args)
		}
		v := row.String(args[0].Type.String())
		return Bound{Type: row.StringType.WithNotNull(true), Eval: func([]row.Value) (row.Value, error) { return v, nil }}, nil
	})
}

// newUUID is a random (version 4, RFC 4122) UUID from a cryptographic
// source, as Java's UUID.randomUUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	const hex = "0123456789abcdef"
	var out [36]byte
	j := 0
	for i, c := range b {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			out[j] = '-'
			j++
		}
		out[j], out[j+1] = hex[c>>4], hex[c&15]
		j += 2
	}
	return string(out[:])
}
