package cli

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Retention and size values as people write them: `3d`, `1w`, `36h`,
// `1d12h`, `90m`; `1GB`, `512MiB`, `10g`. Kafka's -1 means unlimited.

// parseRetention reads a duration with Go's units (ns us ms s m h) plus
// d (24h) and w (7d). 0, -1, forever and unlimited mean keep forever (0).
func parseRetention(s string) (time.Duration, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	switch t {
	case "0", "-1", "forever", "unlimited", "none":
		return 0, nil
	case "":
		return 0, fmt.Errorf("empty duration")
	}
	var total float64
	rest := t
	for rest != "" {
		i := 0
		for i < len(rest) && (rest[i] == '.' || unicode.IsDigit(rune(rest[i]))) {
			i++
		}
		j := i
		for j < len(rest) && unicode.IsLetter(rune(rest[j])) {
			j++
		}
		if i == 0 || j == i {
			return 0, fmt.Errorf("%q is not a duration like 3d, 12h, 1d12h, 90m or 1w", s)
		}
		n, err := strconv.ParseFloat(rest[:i], 64)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 3d, 12h, 1d12h, 90m or 1w", s)
		}
		var unit time.Duration
		switch rest[i:j] {
		case "w":
			unit = 7 * 24 * time.Hour
		case "d":
			unit = 24 * time.Hour
		case "h":
			unit = time.Hour
		case "m":
			unit = time.Minute
		case "s":
			unit = time.Second
		case "ms":
			unit = time.Millisecond
		case "us", "µs":
			unit = time.Microsecond
		case "ns":
			unit = time.Nanosecond
		default:
			return 0, fmt.Errorf("%q: unknown unit %q (want w, d, h, m, s or ms)", s, rest[i:j])
		}
		total += n * float64(unit)
		rest = rest[j:]
	}
	if total > math.MaxInt64 {
		return 0, fmt.Errorf("%q is too long", s)
	}
	return time.Duration(total), nil
}

// formatRetention prints a retention the way parseRetention reads it.
func formatRetention(d time.Duration) string {
	if d <= 0 {
		return "forever"
	}
	day := 24 * time.Hour
	days, rest := d/day, d%day
	var b strings.Builder
	switch {
	case days > 0 && days%7 == 0 && rest == 0:
		return fmt.Sprintf("%dw", days/7)
	case days > 0:
		fmt.Fprintf(&b, "%dd", days)
	}
	if rest > 0 {
		s := rest.String() // 12h0m0s, 1h30m0s, 45s, 500ms
		if strings.HasSuffix(s, "m0s") {
			s = strings.TrimSuffix(s, "0s")
		}
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
		b.WriteString(s)
	}
	return b.String()
}

var byteUnits = map[string]int64{
	"": 1, "b": 1,
	"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30, "tib": 1 << 40,
	"k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40,
}

// parseBytes reads a size: a number of bytes, or with a unit: KB MB GB TB
// (powers of 1000), KiB MiB GiB TiB and K M G T (powers of 1024), any
// case. 0, -1 and unlimited mean no cap (0).
func parseBytes(s string) (int64, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	switch t {
	case "0", "-1", "unlimited", "none":
		return 0, nil
	}
	i := 0
	for i < len(t) && (t[i] == '.' || unicode.IsDigit(rune(t[i]))) {
		i++
	}
	unit, ok := byteUnits[strings.TrimSpace(t[i:])]
	n, err := strconv.ParseFloat(t[:i], 64)
	if i == 0 || !ok || err != nil {
		return 0, fmt.Errorf("%q is not a size like 1GB, 512MiB or 1073741824", s)
	}
	v := n * float64(unit)
	if v > math.MaxInt64 {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return int64(v), nil
}

// formatBytes prints a size exactly, in the largest unit that divides it.
func formatBytes(n int64) string {
	if n <= 0 {
		return "unlimited"
	}
	for _, u := range []struct {
		name string
		v    int64
	}{{"TiB", 1 << 40}, {"TB", 1e12}, {"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3}} {
		if n%u.v == 0 {
			return fmt.Sprintf("%d%s", n/u.v, u.name)
		}
	}
	return fmt.Sprintf("%dB", n)
}

// retentionFlag and bytesFlag are pflag values for --retention and
// --retention-bytes.
type retentionFlag struct{ d *time.Duration }

func (f retentionFlag) String() string {
	if f.d == nil || *f.d == 0 {
		return "0"
	}
	return formatRetention(*f.d)
}
func (f retentionFlag) Set(s string) error {
	d, err := parseRetention(s)
	if err == nil {
		*f.d = d
	}
	return err
}
func (retentionFlag) Type() string { return "duration" }

type bytesFlag struct{ n *int64 }

func (f bytesFlag) String() string {
	if f.n == nil || *f.n == 0 {
		return "0"
	}
	return formatBytes(*f.n)
}
func (f bytesFlag) Set(s string) error {
	n, err := parseBytes(s)
	if err == nil {
		*f.n = n
	}
	return err
}
func (bytesFlag) Type() string { return "size" }
