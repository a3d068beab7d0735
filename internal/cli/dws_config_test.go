package cli

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// dws.allowed_lateness in rtdw.yaml reaches the DWS jobs' configuration.
func TestConfigDWSAllowedLateness(t *testing.T) {
	for yaml, want := range map[string]time.Duration{
		"timezone: Asia/Shanghai\n":          0, // the DWS default (24 h)
		"dws:\n  allowed_lateness: 2h\n":     2 * time.Hour,
		"dws:\n  allowed_lateness: -1s\n":    -time.Second, // none
		"dws:\n  allowed_lateness: 90m30s\n": 90*time.Minute + 30*time.Second,
	} {
		path := filepath.Join(t.TempDir(), "rtdw.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := loadConfig(path)
		if err != nil {
			t.Fatalf("%q: %v", yaml, err)
		}
		if got := c.warehouse().DWSAllowedLateness; got != want {
			t.Errorf("%q: allowed lateness %s, want %s", yaml, got, want)
		}
	}
	path := filepath.Join(t.TempDir(), "rtdw.yaml")
	if err := os.WriteFile(path, []byte("dws:\n  allowed_latenes: 1h\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(path); err == nil {
		t.Error("a misspelt dws key was accepted")
	}
}
