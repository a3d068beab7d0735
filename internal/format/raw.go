package format

import (
	"fmt"

	"github.com/rtdw/rtdw/internal/row"
)

// The raw format: the record value is the table's single STRING or BYTES
// column (row.RawFormat). A null record value is a NULL row and a NULL
// column encodes as a null record value.

type rawDecoder struct {
	f *row.RawFormat
}

// Decode never fails: any bytes are a value of the column.
func (d *rawDecoder) Decode(value []byte, b *Batch) error {
	b.reset()
	r := b.add(row.Insert, 1)
	d.f.Decode(value, r)
	return nil
}

type rawEncoder struct {
	f *row.RawFormat
}

func (e rawEncoder) Append(dst []byte, r *row.Row) ([]byte, bool, error) {
	if r.Kind.IsRetract() || !r.Kind.Valid() {
		return dst, false, &Error{Format: Raw, Reason: fmt.Sprintf("cannot encode a %s row: the raw format is insert-only", r.Kind)}
	}
	out, null, err := e.f.Append(dst, r)
	if err != nil {
		return dst, false, &Error{Format: Raw, Reason: err.Error(), Err: err}
	}
	return out, null, nil
}
