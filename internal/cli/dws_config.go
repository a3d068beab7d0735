package cli

import "time"

// DWSConfig is the `dws:` block of rtdw.yaml: settings of the DWS
// (summary-layer) jobs.
//
//	dws:
//	  allowed_lateness: 24h   # default; negative (-1s): none
type DWSConfig struct {
	// AllowedLateness: how long, in event time, an order, visit or other
	// fact that arrives after its 10 s window fired (a partition that fell
	// behind after a restart) still updates the window's row, which is
	// emitted again (rows are upserts); a later fact is dead-lettered as
	// "late". 0 or unset: 24 h; negative: none. State holds each fired
	// window for this long (docs/reliability.md, "Late rows after a
	// restart").
	AllowedLateness time.Duration `yaml:"allowed_lateness"`
}
