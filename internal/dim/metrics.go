package dim

import "github.com/prometheus/client_golang/prometheus"

// LookupMisses counts lookups that found no row (after any retries), by
// job and table: a miss is emitted with empty fields, so it must be visible
// (DESIGN: a lookup that misses is counted, never silently emitted as if
// it had matched). Lookups run off the task goroutine, so this is a shared
// counter rather than a task-local one.
var LookupMisses = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "rtdw_dim_lookup_misses_total",
	Help: "Dimension lookups that found no row (after retries), by job and table.",
}, []string{"job", "table"})

// Collectors are the package's metrics, for a command's registry:
// reg.MustRegister(dim.Collectors()...).
func Collectors() []prometheus.Collector {
	return []prometheus.Collector{LookupMisses}
}
