package state

import (
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"

	"github.com/cockroachdb/pebble/v2"
)

// ScopeOf returns the scope that owns a raw key of the store (a value,
// map or timer key), as written in a checkpoint batch. Cluster mode uses
// it to route each state change to its operator's changelog topic.
func ScopeOf(key []byte) (Scope, bool) {
	if len(key) == 0 || (key[0] != nsState && key[0] != nsTimer) {
		return Scope{}, false
	}
	b := key[1:]
	job, b, ok := readStr(b)
	if !ok {
		return Scope{}, false
	}
	op, b, ok := readStr(b)
	if !ok || len(b) < 4 {
		return Scope{}, false
	}
	return Scope{Job: job, Operator: op, Partition: int32(binary.BigEndian.Uint32(b))}, true
}

// stateNameOf returns the state a raw key of the store belongs to and the
// key's prefix up to the state's name (the operator's timer prefix for a
// timer), which every key of that state shares.
func stateNameOf(key []byte) (StateName, []byte) {
	if len(key) == 0 || (key[0] != nsState && key[0] != nsTimer) {
		return StateName{Name: "other"}, nil
	}
	b := key[1:]
	_, b, ok := readStr(b)
	if !ok {
		return StateName{Name: "other"}, nil
	}
	op, b, ok := readStr(b)
	if !ok || len(b) < 4 {
		return StateName{Name: "other"}, nil
	}
	b = b[4:]
	if key[0] == nsTimer {
		return StateName{Operator: op, Name: "timers"}, key[:len(key)-len(b)]
	}
	name, b, ok := readStr(b)
	if !ok {
		return StateName{Operator: op, Name: "other"}, nil
	}
	return StateName{Operator: op, Name: name}, key[:len(key)-len(b)]
}

func readStr(b []byte) (string, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || uint64(len(b)-k) < n {
		return "", nil, false
	}
	return string(b[k : k+int(n)]), b[k+int(n):], true
}

// ClearScope deletes every value, map entry and timer of sc from db, so a
// scope can be restored from scratch (from a changelog).
func ClearScope(db *pebble.DB, sc Scope) error {
	b := db.NewBatch()
	defer b.Close()
	for _, ns := range []byte{nsState, nsTimer} {
		p := append([]byte{ns}, sc.appendTo(nil)...)
		if err := b.DeleteRange(p, prefixEnd(p), nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("state: clear %v: %w", sc, err)
	}
	return nil
}

// OpenLocal opens a cluster-mode worker's local store in dir: a cache of
// the changelogs, so it is written without fsync. It is hardened like the
// embedded log's store (HardenPebble).
func OpenLocal(dir string, logger *slog.Logger) (*pebble.DB, error) {
	o := &pebble.Options{}
	HardenPebble(o, dir, logger)
	db, err := OpenPebble(context.Background(), dir, o)
	if err != nil {
		return nil, fmt.Errorf("state: open %s: %w", dir, err)
	}
	return db, nil
}
