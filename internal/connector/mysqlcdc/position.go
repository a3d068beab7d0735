package mysqlcdc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
	"github.com/rtdw/rtdw/internal/state"
)

// Position is where the reader continues in the binlog: the end of the
// last transaction (or DDL) it committed. GTID is that transaction's GTID
// (MariaDB domain-server-seq, MySQL uuid:n). GTIDSet is the server's GTID
// state at this position (MariaDB: one domain-server-seq per domain, as
// gtid_binlog_pos; MySQL: the executed set, uuid:1-n): when it is set the
// reader resumes by GTID, which survives a failover to a server whose
// binlog files have other names; File and Pos are the fallback.
type Position struct {
	File    string `json:"file"`
	Pos     uint32 `json:"pos"`
	GTID    string `json:"gtid,omitempty"`
	GTIDSet string `json:"gtid_set,omitempty"`
}

func (p Position) String() string {
	s := fmt.Sprintf("%s:%d", p.File, p.Pos)
	if p.GTIDSet != "" {
		s += " (gtid set " + p.GTIDSet + ")"
	} else if p.GTID != "" {
		s += " (gtid " + p.GTID + ")"
	}
	return s
}

// positions keeps the reader's position and table layouts; commit writes
// the pending ones atomically with the records they follow.
type positions interface {
	// load returns the committed position and schemas (ok=false: none).
	load(ctx context.Context) (Position, schemas, bool, error)
	putPosition(Position) error
	putSchemas(schemas) error
	// reset forgets the position (with the next commit).
	reset() error
	commit(ctx context.Context, recs []rlog.Record) error
	// discard drops what was put since the last commit.
	discard()
	close()
}

// checkpoint keeps the position in the embedded log's state store:
// committed in the same log.Txn as the records (Txn.State).
type checkpoint struct {
	l   rlog.Log
	st  *state.Store
	val *state.ValueState
}

var (
	keyPosition = []byte("position")
	keySchema   = []byte("schema")
)

func newCheckpoint(l rlog.Log, name string) *checkpoint {
	st := state.NewStoreWithCache(l.StateStore(), nil, 0)
	return &checkpoint{l: l, st: st, val: st.Value(state.Scope{Job: "rtdw-ingest-mysql", Operator: name}, "binlog")}
}

func (c *checkpoint) load(context.Context) (Position, schemas, bool, error) {
	raw, ok, err := c.val.Get(keyPosition)
	if err != nil || !ok {
		return Position{}, nil, false, err
	}
	var sraw []byte
	if sraw, _, err = c.val.Get(keySchema); err != nil {
		return Position{}, nil, false, err
	}
	return decodeStored(raw, sraw)
}

// decodeStored decodes a stored position and (optional) schemas.
func decodeStored(raw, sraw []byte) (Position, schemas, bool, error) {
	var p Position
	if err := json.Unmarshal(raw, &p); err != nil {
		return p, nil, false, fmt.Errorf("mysqlcdc: stored position %q: %w", raw, err)
	}
	if sraw == nil {
		return p, nil, true, nil
	}
	s, err := decodeSchemas(sraw)
	return p, s, true, err
}

func (c *checkpoint) putPosition(p Position) error {
	b, _ := json.Marshal(p) // plain struct: cannot fail
	return c.val.Put(keyPosition, b)
}

func (c *checkpoint) putSchemas(s schemas) error { return c.val.Put(keySchema, s.encode()) }

func (c *checkpoint) reset() error {
	if err := c.val.Delete(keyPosition); err != nil {
		return err
	}
	return c.val.Delete(keySchema)
}

func (c *checkpoint) commit(ctx context.Context, recs []rlog.Record) error {
	if err := c.l.Commit(ctx, &rlog.Txn{Records: recs, State: c.st.Batch()}); err != nil {
		return fmt.Errorf("mysqlcdc: commit to the log: %w", err)
	}
	c.st.Committed()
	return nil
}

func (c *checkpoint) discard() { c.st.Discard() }
func (c *checkpoint) close()   { c.st.Close() }

// openPositions returns where a reader named name keeps its position in
// l: the state store of the embedded log, or on Kafka a compacted
// position topic written in the same transaction as the records.
func openPositions(ctx context.Context, l rlog.Log, cfg Config) (positions, error) {
	if kl, ok := l.(*kafka.Log); ok {
		return openKafkaPositions(ctx, kl, cfg)
	}
	if l.StateStore() == nil {
		return nil, errors.New("mysqlcdc: the log has no state store and is not Kafka: nowhere to commit the position")
	}
	return newCheckpoint(l, cfg.Name), nil
}

// StoredPosition returns the position a reader named name committed in l
// (ok=false: none yet).
func StoredPosition(ctx context.Context, l rlog.Log, name string) (p Position, ok bool, err error) {
	if kl, isKafka := l.(*kafka.Log); isKafka {
		raw, _, err := readKafkaPositions(ctx, kl, PositionTopic(name), name)
		if err != nil || raw == nil {
			return p, false, err
		}
		p, _, ok, err = decodeStored(raw, nil)
		return p, ok, err
	}
	c := newCheckpoint(l, name)
	defer c.close()
	p, _, ok, err = c.load(ctx)
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
