package ods

import (
	"sort"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/connector/change"
)

// ConfigRows is the state of a config table (table_process_dim,
// table_process_dwd) as its changes arrive: rows by primary key, and a
// bootstrap (snapshot) of the table replacing the whole set when it
// completes. It is JSON so operators can checkpoint it.
type ConfigRows[R any] struct {
	Rows map[string]R `json:"rows"`
	// Snapshot collects the keys of a bootstrap in progress; at
	// bootstrap-complete, rows it did not list are removed.
	Snapshot map[string]bool `json:"snapshot,omitempty"`
}

// NewConfigRows starts from the given rows (the built-in defaults).
func NewConfigRows[R any](rows []R, key func(R) string) *ConfigRows[R] {
	c := &ConfigRows[R]{Rows: map[string]R{}}
	for _, r := range rows {
		c.Rows[key(r)] = r
	}
	return c
}

// Apply folds one change of the config table in. parse reads a row and
// its primary key from data. It returns the row inserted or updated (nil
// if none) and the keys removed (deleted, renamed, or missing from a
// completed bootstrap), sorted.
func (c *ConfigRows[R]) Apply(typ string, data, old *fastjson.Value, keyField string, parse func(*fastjson.Value) (R, string, error)) (*R, []string, error) {
	if c.Rows == nil {
		c.Rows = map[string]R{}
	}
	var removed []string
	switch typ {
	case change.BootstrapStart:
		c.Snapshot = map[string]bool{}
		return nil, nil, nil
	case change.BootstrapComplete:
		for k := range c.Rows {
			if c.Snapshot != nil && !c.Snapshot[k] {
				delete(c.Rows, k)
				removed = append(removed, k)
			}
		}
		c.Snapshot = nil
		sort.Strings(removed)
		return nil, removed, nil
	case change.Delete:
		k := string(data.GetStringBytes(keyField))
		if _, ok := c.Rows[k]; ok {
			delete(c.Rows, k)
			removed = append(removed, k)
		}
		return nil, removed, nil
	}
	row, k, err := parse(data)
	if err != nil {
		return nil, nil, err
	}
	if o := old.Get(keyField); o != nil && string(o.GetStringBytes()) != k {
		// The row's key changed: the old key goes away.
		ok := string(o.GetStringBytes())
		if _, had := c.Rows[ok]; had {
			delete(c.Rows, ok)
			removed = append(removed, ok)
		}
	}
	c.Rows[k] = row
	if c.Snapshot != nil {
		c.Snapshot[k] = true
	}
	return &row, removed, nil
}

// Sorted returns the rows in key order.
func (c *ConfigRows[R]) Sorted() []R {
	keys := make([]string, 0, len(c.Rows))
	for k := range c.Rows {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]R, len(keys))
	for i, k := range keys {
		out[i] = c.Rows[k]
	}
	return out
}
