package row

import "fmt"

// RowKind is the change a row carries in a changelog, as Flink's RowKind;
// the numeric values are Flink's byte values and are what the binary
// codec writes.
type RowKind uint8

const (
	Insert       RowKind = 0 // +I
	UpdateBefore RowKind = 1 // -U: the old content of an updated row, retracted
	UpdateAfter  RowKind = 2 // +U: the new content of an updated row
	Delete       RowKind = 3 // -D
)

var rowKindShort = [...]string{"+I", "-U", "+U", "-D"}

// String returns Flink's short string: +I, -U, +U or -D.
func (k RowKind) String() string {
	if int(k) < len(rowKindShort) {
		return rowKindShort[k]
	}
	return fmt.Sprintf("RowKind(%d)", uint8(k))
}

// Valid reports whether k is one of the four kinds.
func (k RowKind) Valid() bool { return k <= Delete }

// IsAccumulate reports +I and +U: the row adds to a result.
func (k RowKind) IsAccumulate() bool { return k == Insert || k == UpdateAfter }

// IsRetract reports -U and -D: the row withdraws an earlier one.
func (k RowKind) IsRetract() bool { return k == UpdateBefore || k == Delete }

// ParseRowKind reads a short string (+I, -U, +U, -D) or Flink's long name
// (INSERT, UPDATE_BEFORE, UPDATE_AFTER, DELETE).
func ParseRowKind(s string) (RowKind, error) {
	switch s {
	case "+I", "INSERT":
		return Insert, nil
	case "-U", "UPDATE_BEFORE":
		return UpdateBefore, nil
	case "+U", "UPDATE_AFTER":
		return UpdateAfter, nil
	case "-D", "DELETE":
		return Delete, nil
	}
	return 0, fmt.Errorf("unknown row kind %q (want +I, -U, +U or -D)", s)
}
