package ods

import (
	"time"

	"github.com/rtdw/rtdw/internal/stream"
)

// MinEventTime is the plausibility floor of the warehouse's event times:
// a record stamped before it goes to dirty_data (implausible_event_time)
// at the job's source instead of on, and does not move the watermark. A
// time in seconds where milliseconds are expected (or a ts_ms read as
// seconds the other way round) lands in January 1970, far below it; the
// other way, far in the future, the engine's Options.MaxEventTimeSkew
// (24 h by default: future_event_time) catches.
var MinEventTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// PlausibleTime is the source option every warehouse job reads its input
// with: event times before MinEventTime are dead-lettered.
func PlausibleTime() stream.SourceOption { return stream.MinEventTime(MinEventTime) }
