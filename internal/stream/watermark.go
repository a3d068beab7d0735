package stream

import (
	"encoding/json"
	"fmt"
	"math"
	"time"
)

// marker is the control record a task writes to every partition of a
// repartition topic: its watermark, whether it is idle, and, at the end of
// a drained run, the run's id. Its Value is JSON so it is readable with
// `rtdw topic tail`.
type marker struct {
	Producer int32  `json:"producer"`
	WM       int64  `json:"wm"`
	Idle     bool   `json:"idle,omitempty"`
	End      string `json:"end,omitempty"` // drain run id: the producer finished this run
}

const controlWatermark = "watermark"

func (m marker) encode() []byte { b, _ := json.Marshal(m); return b }

func decodeMarker(v []byte) (marker, error) {
	var m marker
	if err := json.Unmarshal(v, &m); err != nil {
		return m, fmt.Errorf("bad watermark marker %q: %w", v, err)
	}
	return m, nil
}

// inputClock tracks one input's event-time progress.
type inputClock struct {
	// external source: largest event time seen and last activity
	maxTime      int64
	lastActivity time.Time
	idle         bool
	// repartition input: one entry per upstream task
	producers []producerClock
}

type producerClock struct {
	WM   int64  `json:"wm"`
	Idle bool   `json:"idle,omitempty"`
	End  string `json:"end,omitempty"`
}

// watermark returns the input's watermark and whether it is idle. An idle
// input stops holding the watermark back; when every upstream is idle the
// watermark is the largest of theirs (as Flink's StatusWatermarkValve does),
// so the last windows before a pause still close.
func (c *inputClock) watermark(ooo time.Duration) (int64, bool) {
	if c.producers == nil {
		if c.maxTime == MinWatermark {
			return MinWatermark, c.idle
		}
		return c.maxTime - ooo.Milliseconds(), c.idle
	}
	active, all := int64(math.MaxInt64), MinWatermark
	idle := true
	for _, p := range c.producers {
		all = max(all, p.WM)
		if !p.Idle {
			idle = false
			active = min(active, p.WM)
		}
	}
	if idle {
		return all, true
	}
	return active, false
}

// taskMeta is what a task persists for a stage with each checkpoint
// besides offsets. The clock of the stage's first input is inline (the
// format of single-input stages); More holds the other inputs' clocks.
type taskMeta struct {
	WM        int64           `json:"wm"`
	MaxTime   int64           `json:"max_time"`
	Idle      bool            `json:"idle,omitempty"`
	Producers []producerClock `json:"producers,omitempty"`
	More      []inputMeta     `json:"more,omitempty"`
	Sent      *marker         `json:"sent,omitempty"` // last marker written downstream
	// Ended is the drain run in which this segment's EndOfInput ran and was
	// committed, so a task restarted in the same run does not run it again.
	Ended string `json:"ended,omitempty"`
}

// inputMeta is one input's persisted clock.
type inputMeta struct {
	MaxTime   int64           `json:"max_time"`
	Idle      bool            `json:"idle,omitempty"`
	Producers []producerClock `json:"producers,omitempty"`
}
