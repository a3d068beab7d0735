package stream

// Counters an operator keeps for input it handles without dead-lettering
// it, so that nothing is dropped or altered uncounted. Like the other task
// metrics they are counted locally and published at each checkpoint.

type countKind uint8

const (
	countSkipped countKind = iota
	countRepaired
)

type countKey struct {
	kind   countKind
	reason string
}

// CountSkipped counts a valid input record the operator skips because it
// carries nothing for the job (a DDL event, a transaction or heartbeat
// marker): rtdw_skipped_changes_total{job, operator, reason}. reason is a
// short stable code. A nil Context (an operator driven without a task)
// counts nothing.
func (c *Context) CountSkipped(reason string) { c.count(countSkipped, reason) }

// CountRepaired counts an input record the operator keeps after a
// documented repair (invalid UTF-8 replaced by U+FFFD):
// rtdw_repaired_records_total{job, operator, reason}.
func (c *Context) CountRepaired(reason string) { c.count(countRepaired, reason) }

func (c *Context) count(k countKind, reason string) {
	if c == nil {
		return
	}
	if c.counts == nil {
		c.counts = map[countKey]int64{}
	}
	c.counts[countKey{k, reason}]++
}

// publishCounts adds the counts since the last publish to m.
func (c *Context) publishCounts(m *Metrics, job string) {
	for k, n := range c.counts {
		v := m.SkippedChanges
		if k.kind == countRepaired {
			v = m.Repaired
		}
		v.WithLabelValues(job, c.Operator, k.reason).Add(float64(n))
		delete(c.counts, k)
	}
}
