package dim

import (
	"context"
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Sequence-guarded writes: a writer that may be fenced (a stream task
// whose partition moved to another worker while it still flushes) tags
// each write with a sequence that grows with the rows it writes, and the
// store refuses a write whose sequence is lower than the one it stored for
// the key, so a late write cannot bring back an older row. Deletes store
// their sequence too (a tombstone), so an older put cannot resurrect a
// deleted key. Equal sequences are applied: a replay of the same row.
// Unguarded Put and Delete neither check nor change a key's sequence.
//
// Pebble keeps a key's sequence at 0x30 'q' table 0x00 key (8 bytes, big
// endian), written in the same batch as the row; Redis in the hash
// <prefix>dimseq:<table> (field: the key, value: the sequence as 20
// digits, ordered as text), compared and set with the row by one Lua
// script. DropTable removes the sequences with the rows.

// SeqOp is one guarded write: a put of Row, or a delete of Key when Row is
// nil.
type SeqOp struct {
	Key string
	Row []byte
	Seq uint64
}

// SeqWriter is a Store with sequence-guarded writes.
type SeqWriter interface {
	// WriteSeq applies ops to table in order, each only if its Seq is not
	// lower than the key's stored sequence; it returns how many were
	// applied (a refused write is no error). Rows are restricted to the
	// table's columns as by Put. ErrNoTable when the table is missing.
	// Each operation is atomic; the batch as a whole is not on Redis.
	WriteSeq(ctx context.Context, table string, ops []SeqOp) (applied int, err error)
}

func seqKey(table, key string) []byte {
	b := make([]byte, 0, len(table)+len(key)+3)
	b = append(b, nsDim, 'q')
	b = append(b, table...)
	b = append(b, 0)
	return append(b, key...)
}

func seqPrefix(table string) []byte { return seqKey(table, "") }

// WriteSeq implements SeqWriter: one Pebble batch, under a lock that
// orders it with other guarded writes.
func (s *PebbleStore) WriteSeq(_ context.Context, table string, ops []SeqOp) (int, error) {
	applied, keys, err := s.writeSeq(table, ops)
	if err != nil {
		return 0, fmt.Errorf("dim: write %s: %w", table, err)
	}
	for _, k := range keys {
		s.subs.notify(Change{Table: table, Key: k})
	}
	return applied, nil
}

func (s *PebbleStore) writeSeq(table string, ops []SeqOp) (int, []string, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	t, ok, err := s.table(table)
	if err != nil {
		return 0, nil, err
	}
	if !ok {
		return 0, nil, ErrNoTable
	}
	b := s.db.NewBatch()
	defer b.Close()
	latest := map[string]uint64{} // this batch's sequences
	var keys []string
	for _, op := range ops {
		if err := validKey(op.Key); err != nil {
			return 0, nil, err
		}
		cur, have := latest[op.Key]
		if !have {
			v, ok, err := s.get(seqKey(table, op.Key))
			if err != nil {
				return 0, nil, err
			}
			if ok && len(v) == 8 {
				cur, have = binary.BigEndian.Uint64(v), true
			}
		}
		if have && op.Seq < cur {
			continue // stale
		}
		if op.Row == nil {
			err = b.Delete(rowKey(table, op.Key), nil)
		} else {
			var v []byte
			if v, err = project(op.Row, t.Columns); err == nil {
				err = b.Set(rowKey(table, op.Key), v, nil)
			}
		}
		if err == nil {
			err = b.Set(seqKey(table, op.Key), binary.BigEndian.AppendUint64(nil, op.Seq), nil)
		}
		if err != nil {
			return 0, nil, err
		}
		latest[op.Key] = op.Seq
		keys = append(keys, op.Key)
	}
	if len(keys) == 0 {
		return 0, nil, nil
	}
	return len(keys), keys, b.Commit(s.write)
}

// seqScript is a guarded write. KEYS: tables hash, row key, sequence
// hash, channel. ARGV: table, key, sequence (20 digits), row (” for a
// delete), message, 'p' or 'd'. Returns -1 (no table), 0 (stale) or 1.
var seqScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return -1 end
local cur = redis.call('HGET', KEYS[3], ARGV[2])
if cur and cur > ARGV[3] then return 0 end
if ARGV[6] == 'd' then redis.call('DEL', KEYS[2]) else redis.call('SET', KEYS[2], ARGV[4]) end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('PUBLISH', KEYS[4], ARGV[5])
return 1`)

func (s *RedisStore) seqKey(table string) string { return s.prefix + "dimseq:" + table }

// seqText is a sequence as 20 digits, ordered as text as it is as a number.
func seqText(seq uint64) string {
	t := strconv.FormatUint(seq, 10)
	for len(t) < 20 {
		t = "0" + t
	}
	return t
}

// WriteSeq implements SeqWriter: one script call per operation, pipelined.
func (s *RedisStore) WriteSeq(ctx context.Context, table string, ops []SeqOp) (int, error) {
	n, err := s.writeSeq(ctx, table, ops)
	if err != nil {
		return 0, fmt.Errorf("dim: write %s: %w", table, err)
	}
	return n, nil
}

func (s *RedisStore) writeSeq(ctx context.Context, table string, ops []SeqOp) (int, error) {
	if len(ops) == 0 {
		return 0, nil
	}
	t, ok, err := s.table(ctx, table)
	if err != nil {
		return 0, err
	}
	if !ok {
		return 0, ErrNoTable
	}
	if err := seqScript.Load(ctx, s.c).Err(); err != nil {
		return 0, err
	}
	cmds := make([]*redis.Cmd, len(ops))
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, op := range ops {
			if err := validKey(op.Key); err != nil {
				return err
			}
			kind, v := "d", []byte(nil)
			if op.Row != nil {
				kind = "p"
				if v, err = project(op.Row, t.Columns); err != nil {
					return err
				}
			}
			cmds[i] = seqScript.EvalSha(ctx, p, []string{s.tablesKey(), s.rowKey(table, op.Key), s.seqKey(table), s.channel()},
				table, op.Key, seqText(op.Seq), v, changeMsg(table, op.Key), kind)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	applied := 0
	for _, c := range cmds {
		n, err := c.Int()
		if err != nil {
			return 0, err
		}
		switch n {
		case -1:
			return applied, ErrNoTable
		case 1:
			applied++
		}
	}
	return applied, nil
}

var (
	_ SeqWriter = (*PebbleStore)(nil)
	_ SeqWriter = (*RedisStore)(nil)
)
