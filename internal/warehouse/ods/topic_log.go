package ods

import (
	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/stream"
)

// maxPageDuration is the largest page.during_time accepted (ms): 2^53-1,
// the largest integer every JSON reader holds exactly; window sums of it
// stay far from overflowing int64.
const maxPageDuration = 1<<53 - 1

// PageDuration reads a page log's page.during_time (v; nil when absent)
// in milliseconds, as dwd_base_log validates it and the DWS page views sum
// it: absent or null is 0 (none stated); anything else must be a whole
// number from 0 to maxPageDuration, or it is bad input with a reason,
// never read as 0 (1e400, -5, 1.5 and "1500" are rejected).
func PageDuration(v *fastjson.Value) (int64, error) {
	if v == nil || v.Type() == fastjson.TypeNull {
		return 0, nil
	}
	if v.Type() != fastjson.TypeNumber {
		return 0, stream.BadInput("bad_field_type", "page.during_time is %s, want whole milliseconds", v)
	}
	n, err := v.Int64()
	if err != nil || n < 0 || n > maxPageDuration {
		return 0, stream.BadInput("out_of_range", "page.during_time is %s, want whole milliseconds from 0 to %d", v, int64(maxPageDuration))
	}
	return n, nil
}
