package ads

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
)

// DateLayout is the day's format in the API and in $1 (yyyy-MM-dd).
const DateLayout = "2006-01-02"

// Errors a caller tells apart (the API answers 404 and 400).
var (
	ErrUnknown = errors.New("unknown indicator")
	ErrBadDay  = errors.New("bad date")
)

// Today is the business day (cur_date) of now in loc (SPEC §0).
func Today(now time.Time, loc *time.Location) string {
	if loc == nil {
		loc = time.UTC
	}
	return now.In(loc).Format(DateLayout)
}

// ParseDay checks that day is a calendar date written yyyy-MM-dd and
// returns it in that form.
func ParseDay(day string) (string, error) {
	t, err := time.Parse(DateLayout, day)
	if err != nil {
		return "", fmt.Errorf("%w %q: want yyyy-MM-dd", ErrBadDay, day)
	}
	return t.Format(DateLayout), nil
}

// Query runs the named indicator for day (yyyy-MM-dd). A result with no
// rows is an empty (non-nil) slice, so it encodes as [] rather than null.
func Query(ctx context.Context, q olap.Querier, name, day string) (*olap.Result, error) {
	ind, ok := Lookup(name)
	if !ok {
		return nil, fmt.Errorf("ads: %w: %q", ErrUnknown, name)
	}
	day, err := ParseDay(day)
	if err != nil {
		return nil, fmt.Errorf("ads: %w", err)
	}
	res, err := q.Query(ctx, ind.SQL, day)
	if err != nil {
		return nil, fmt.Errorf("ads: %s: %w", name, err)
	}
	if res.Rows == nil {
		res.Rows = [][]any{}
	}
	return res, nil
}
