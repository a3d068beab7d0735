package cli

import (
	"testing"
	"time"
)

// Retention is written as people write it (issue 17): 3d, 1w, 1d12h, and
// sizes 1GB / 512MiB; what is printed reads back the same.
func TestRetentionAndSizeUnits(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"3d": 72 * time.Hour, "1w": 7 * 24 * time.Hour, "1d12h": 36 * time.Hour, "168h": 168 * time.Hour,
		"90m": 90 * time.Minute, "1.5h": 90 * time.Minute, "500ms": 500 * time.Millisecond, "0": 0, "-1": 0, "forever": 0,
		" 2D ": 48 * time.Hour,
	} {
		got, err := parseRetention(in)
		if err != nil || got != want {
			t.Errorf("parseRetention(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "3", "d", "3x", "3dd", "1y", "-3d"} {
		if _, err := parseRetention(bad); err == nil {
			t.Errorf("parseRetention(%q) accepted", bad)
		}
	}
	for d, want := range map[time.Duration]string{
		72 * time.Hour: "3d", 14 * 24 * time.Hour: "2w", 36 * time.Hour: "1d12h", 90 * time.Minute: "1h30m",
		30 * time.Minute: "30m", 45 * time.Second: "45s", 0: "forever", 25*time.Hour + time.Second: "1d1h0m1s",
	} {
		if got := formatRetention(d); got != want {
			t.Errorf("formatRetention(%v) = %q, want %q", d, got, want)
		}
		if d > 0 {
			if back, err := parseRetention(formatRetention(d)); err != nil || back != d {
				t.Errorf("%v printed as %q reads back as %v, %v", d, formatRetention(d), back, err)
			}
		}
	}
	for in, want := range map[string]int64{
		"1GB": 1e9, "1gb": 1e9, "1GiB": 1 << 30, "1G": 1 << 30, "512MiB": 512 << 20, "100KB": 1e5, "1.5GB": 15e8,
		"1073741824": 1 << 30, "10 MB": 1e7, "0": 0, "-1": 0, "unlimited": 0, "7B": 7,
	} {
		got, err := parseBytes(in)
		if err != nil || got != want {
			t.Errorf("parseBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "GB", "1XB", "1 G B", "-5GB"} {
		if _, err := parseBytes(bad); err == nil {
			t.Errorf("parseBytes(%q) accepted", bad)
		}
	}
	for n, want := range map[int64]string{1 << 30: "1GiB", 1e9: "1GB", 1500: "1500B", 3 << 20: "3MiB", 0: "unlimited"} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}

// kcat's -f verbs and escapes.
func TestKcatFormat(t *testing.T) {
	if _, err := parseKcatFormat("%q"); err == nil {
		t.Error("an unknown verb was accepted")
	}
	if _, err := parseKcatFormat("x%"); err == nil {
		t.Error("a lone % was accepted")
	}
	f, err := parseKcatFormat(`%t/%p@%o %k=%s (%S,%K) %T [%h] 100%%\n`)
	if err != nil {
		t.Fatal(err)
	}
	var lits, verbs string
	for _, p := range f {
		if p.verb == 0 {
			lits += p.lit
		} else {
			verbs += string(p.verb)
		}
	}
	if verbs != "tpoksSKTh" || lits != "/@ = (,)  [] 100%\n" {
		t.Fatalf("verbs %q, literals %q", verbs, lits)
	}
}
