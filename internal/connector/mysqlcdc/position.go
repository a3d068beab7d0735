package mysqlcdc

import (
	"context"
	"encoding/json"
	"fmt"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/state"
)

// Position is where the reader continues in the binlog: the end of the
// last transaction (or DDL) it committed. GTID is that transaction's GTID
// (MariaDB domain-server-seq, MySQL uuid:n), kept for operators; the
// reader resumes from File and Pos, which every flavor serves.
type Position struct {
	File string `json:"file"`
	Pos  uint32 `json:"pos"`
	GTID string `json:"gtid,omitempty"`
}

func (p Position) String() string {
	s := fmt.Sprintf("%s:%d", p.File, p.Pos)
	if p.GTID != "" {
		s += " (gtid " + p.GTID + ")"
	}
	return s
}

// checkpoint is the reader's state, committed with the records it
// produced (log.Txn.State).
type checkpoint struct {
	st  *state.Store
	val *state.ValueState
}

var (
	keyPosition = []byte("position")
	keySchema   = []byte("schema")
)

func newCheckpoint(st *state.Store, name string) *checkpoint {
	return &checkpoint{st: st, val: st.Value(state.Scope{Job: "rtdw-ingest-mysql", Operator: name}, "binlog")}
}

// load returns the stored position and schemas (ok=false: none, snapshot needed).
func (c *checkpoint) load() (Position, schemas, bool, error) {
	var p Position
	raw, ok, err := c.val.Get(keyPosition)
	if err != nil || !ok {
		return p, nil, false, err
	}
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, nil, false, fmt.Errorf("mysqlcdc: stored position %q: %w", raw, err)
	}
	raw, ok, err = c.val.Get(keySchema)
	if err != nil || !ok {
		return p, nil, ok, err
	}
	s, err := decodeSchemas(raw)
	return p, s, true, err
}

func (c *checkpoint) putPosition(p Position) error {
	b, _ := json.Marshal(p) // plain struct: cannot fail
	return c.val.Put(keyPosition, b)
}

func (c *checkpoint) putSchemas(s schemas) error { return c.val.Put(keySchema, s.encode()) }

// reset forgets the position, so the next run snapshots again.
func (c *checkpoint) reset() error {
	if err := c.val.Delete(keyPosition); err != nil {
		return err
	}
	return c.val.Delete(keySchema)
}

// StoredPosition returns the position a reader named name committed in l
// (ok=false: none yet).
func StoredPosition(l rlog.Log, name string) (p Position, ok bool, err error) {
	st := state.NewStoreWithCache(l.StateStore(), nil, 0)
	defer st.Close()
	p, _, ok, err = newCheckpoint(st, name).load()
	return p, ok, err
}

// ServerPosition returns the server's current binlog position (tests,
// tooling: the reader has caught up once it committed this).
func ServerPosition(ctx context.Context, dsn string) (Position, error) {
	db, _, err := openDB(ctx, dsn)
	if err != nil {
		return Position{}, err
	}
	defer db.Close()
	return binlogPosition(ctx, db)
}

// Reached tells whether p is at or past q (same binlog naming: name.NNNNNN).
func (p Position) Reached(q Position) bool {
	return p.File > q.File || (p.File == q.File && p.Pos >= q.Pos)
}
