// Package change defines the change record every topic_db format decodes
// into (SPEC §1): one row change of the business database, in Maxwell's
// vocabulary, since Maxwell is topic_db's canonical format.
package change

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/jsonw"
)

// Types of change, as Maxwell names them.
const (
	Insert            = "insert"
	Update            = "update"
	Delete            = "delete"
	BootstrapStart    = "bootstrap-start"
	BootstrapInsert   = "bootstrap-insert"
	BootstrapComplete = "bootstrap-complete"
)

// Change is one row change.
type Change struct {
	Database string
	Table    string
	Type     string
	// TS is the change's time in epoch seconds (Maxwell's ts).
	TS int64
	// Xid and Commit are Maxwell's transaction id and last-row-of-transaction
	// flag; zero when the source format has none.
	Xid    int64
	Commit bool
	// Data is the row after the change (the deleted row for a delete), a
	// JSON object; "{}" for bootstrap-start/complete.
	Data []byte
	// Old holds the previous values of the changed columns of an update (a
	// JSON object), else nil.
	Old []byte
	// Repaired is set by topicdb.Decoder when the record had invalid UTF-8
	// (in a value, a key, the database or table name), each invalid byte
	// of which it replaced by U+FFFD (the input rules of docs/ingestion.md).
	Repaired bool
}

// ErrNotChange marks input that is valid JSON but no row change of any
// format (a DDL event, a heartbeat): callers count and skip it. The
// errors decoders return for it are *NotChange, which say why.
var ErrNotChange = errors.New("not a row change")

// NotChange is a valid record that carries no row change; errors.Is
// matches it to ErrNotChange.
type NotChange struct {
	// Reason is a short, stable code (a metric label): "ddl",
	// "transaction", "heartbeat", "truncate", "message", "no_op".
	Reason string
	Detail string
}

func (e *NotChange) Error() string {
	if e.Detail == "" {
		return ErrNotChange.Error() + ": " + e.Reason
	}
	return ErrNotChange.Error() + ": " + e.Detail
}

// Is makes errors.Is(err, ErrNotChange) true.
func (e *NotChange) Is(target error) bool { return target == ErrNotChange }

// Skip returns a *NotChange with reason and a detail.
func Skip(reason, format string, args ...any) error {
	return &NotChange{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// SkipReason is the reason code of an error that is (or wraps) a
// *NotChange; "not_a_change" for another error matching ErrNotChange, ""
// for any other error.
func SkipReason(err error) string {
	var nc *NotChange
	if errors.As(err, &nc) {
		return nc.Reason
	}
	if errors.Is(err, ErrNotChange) {
		return "not_a_change"
	}
	return ""
}

// Validate checks the fields every consumer relies on.
func (c *Change) Validate() error {
	switch {
	case c.Database == "":
		return errors.New("change: no database")
	case c.Table == "":
		return errors.New("change: no table")
	case c.TS <= 0:
		return fmt.Errorf("change: ts %d is not epoch seconds", c.TS)
	}
	switch c.Type {
	case Insert, Update, Delete, BootstrapInsert, BootstrapStart, BootstrapComplete:
	default:
		return fmt.Errorf("change: type %q is not insert, update, delete or bootstrap-*", c.Type)
	}
	// Strict validation: the parser is lenient (it accepts raw control
	// characters in strings), and a change must never carry invalid JSON on.
	if len(c.Data) == 0 || c.Data[0] != '{' || jsonw.Valid(c.Data) != nil {
		return errors.New("change: data is not a valid JSON object")
	}
	if c.Old != nil && (len(c.Old) == 0 || c.Old[0] != '{' || jsonw.Valid(c.Old) != nil) {
		return errors.New("change: old is not a valid JSON object")
	}
	for _, s := range []string{c.Database, c.Table} {
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 {
				return errors.New("change: control character in database or table name")
			}
		}
	}
	return nil
}

// AppendMaxwell appends c as one Maxwell JSON object (topic_db's format).
func (c *Change) AppendMaxwell(dst []byte) []byte {
	dst = append(dst, `{"database":`...)
	dst = appendJSONString(dst, c.Database)
	dst = append(dst, `,"table":`...)
	dst = appendJSONString(dst, c.Table)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, c.Type)
	dst = append(dst, `,"ts":`...)
	dst = strconv.AppendInt(dst, c.TS, 10)
	if c.Xid != 0 {
		dst = append(dst, `,"xid":`...)
		dst = strconv.AppendInt(dst, c.Xid, 10)
	}
	if c.Commit {
		dst = append(dst, `,"commit":true`...)
	}
	dst = append(dst, `,"data":`...)
	dst = append(dst, c.Data...)
	if c.Old != nil {
		dst = append(dst, `,"old":`...)
		dst = append(dst, c.Old...)
	}
	return append(dst, '}')
}

// Object builds a JSON object from (key, value) pairs in order, values
// already JSON-encoded. Codecs use it to write Data and Old.
func Object(dst []byte, kv func(emit func(key string, val []byte))) []byte {
	dst = append(dst, '{')
	first := true
	kv(func(k string, v []byte) {
		if !first {
			dst = append(dst, ',')
		}
		first = false
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		dst = append(dst, v...)
	})
	return append(dst, '}')
}

// appendJSONString writes s as a JSON string.
func appendJSONString(dst []byte, s string) []byte { return jsonw.AppendString(dst, []byte(s)) }

// JSONString encodes s as a JSON string.
func JSONString(dst []byte, s string) []byte { return appendJSONString(dst, s) }

// ObjectOf returns v as an object, or nil when v is missing or no object.
func ObjectOf(v *fastjson.Value) *fastjson.Object {
	if v == nil || v.Type() != fastjson.TypeObject {
		return nil
	}
	o, _ := v.Object()
	return o
}
