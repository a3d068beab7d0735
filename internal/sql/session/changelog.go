package session

import (
	"sync"

	"github.com/rtdw/rtdw/internal/row"
)

// Changelog collects a query's result rows as they arrive (from the
// job's tasks, concurrently) and materializes the final table: +I/+U add
// a row, -U/-D remove one equal row.
type Changelog struct {
	mu   sync.Mutex
	rows []row.Row
}

func (c *Changelog) add(r row.Row) {
	c.mu.Lock()
	c.rows = append(c.rows, r)
	c.mu.Unlock()
}

// Rows returns the changelog so far.
func (c *Changelog) Rows() []row.Row {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]row.Row(nil), c.rows...)
}

// Table replays the changelog into the final rows (in order of insertion).
func (c *Changelog) Table() []row.Row {
	return Materialize(c.Rows())
}

// Materialize applies a changelog: the multiset of rows it leaves.
func Materialize(log []row.Row) []row.Row {
	var out []row.Row
	for _, r := range log {
		switch r.Kind {
		case row.Insert, row.UpdateAfter:
			cp := r.Clone()
			cp.Kind = row.Insert
			out = append(out, cp)
		default:
			for i := range out {
				if valuesEqual(out[i].Values, r.Values) {
					out = append(out[:i], out[i+1:]...)
					break
				}
			}
		}
	}
	return out
}

func valuesEqual(a, b []row.Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !row.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}
