package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// The memory budget: RTDW_MEMORY over the memory key over 90% of the
// cgroup's limit; a bad or too small one is a config error.
func TestMemoryBudgetSources(t *testing.T) {
	cgroup := filepath.Join(t.TempDir(), "memory.max")
	os.WriteFile(cgroup, []byte("1073741824\n"), 0o644)
	load := func(yaml string) (Config, error) {
		path := filepath.Join(t.TempDir(), "rtdw.yaml")
		os.WriteFile(path, []byte(yaml), 0o644)
		return loadConfig(path)
	}
	c, err := load("memory: 512MiB\n")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := c.memoryPlan(cgroup); err != nil || p.Total != 512<<20 || p.Source != "memory" {
		t.Errorf("memory key: %+v, %v", p, err)
	}
	t.Setenv("RTDW_MEMORY", "1GiB")
	if p, err := c.memoryPlan(cgroup); err != nil || p.Total != 1<<30 || p.Source != "RTDW_MEMORY" {
		t.Errorf("RTDW_MEMORY: %+v, %v", p, err)
	}
	t.Setenv("RTDW_MEMORY", "")
	if p, err := defaultConfig().memoryPlan(cgroup); err != nil || p.Total != (1<<30)*9/10 {
		t.Errorf("cgroup: %+v, %v", p, err)
	}
	if p, err := defaultConfig().memoryPlan(filepath.Join(t.TempDir(), "none")); err != nil || p.Total != 0 || p.GoLimit != 0 {
		t.Errorf("no budget anywhere: %+v, %v", p, err)
	}
	// cgroup v1 when there is no v2 file: its "no limit" is a huge number.
	v1 := filepath.Join(t.TempDir(), "memory.limit_in_bytes")
	os.WriteFile(v1, []byte("2147483648\n"), 0o644)
	none := filepath.Join(t.TempDir(), "memory.max")
	if p, err := defaultConfig().memoryPlan(none, v1); err != nil || p.Total != (2<<30)*9/10 || p.Source != "90% of "+v1 {
		t.Errorf("cgroup v1: %+v, %v", p, err)
	}
	if p, err := defaultConfig().memoryPlan(cgroup, v1); err != nil || p.Total != (1<<30)*9/10 {
		t.Errorf("cgroup v2 before v1: %+v, %v", p, err)
	}
	os.WriteFile(v1, []byte("9223372036854771712\n"), 0o644)
	if p, err := defaultConfig().memoryPlan(none, v1); err != nil || p.Total != 0 {
		t.Errorf("cgroup v1 without a limit: %+v, %v", p, err)
	}
	// A container limit too small for a budget is not passed over for a
	// later file.
	os.WriteFile(none, []byte("104857600\n"), 0o644)
	os.WriteFile(v1, []byte("2147483648\n"), 0o644)
	if p, err := defaultConfig().memoryPlan(none, v1); err != nil || p.Total != 0 {
		t.Errorf("small cgroup v2 limit: %+v, %v", p, err)
	}
	for yaml, want := range map[string]string{"memory: 100MiB\n": "below the minimum", "memory: lots\n": "not a size"} {
		if _, err := load(yaml); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an error saying %q", yaml, err, want)
		}
	}
}

// A command that opens the data dir's log applies the budget: the Go
// runtime's limit is set and the plan is logged.
func TestMemoryBudgetApplied(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	t.Setenv("RTDW_MEMORY", "640MiB")
	var out, errb bytes.Buffer
	code := Main([]string{"--data-dir", t.TempDir(), "topic", "create", "t", "--partitions", "1"}, strings.NewReader(""), &out, &errb)
	stderr := errb.String()
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := int64(640-80-32-128) << 20 // the budget less block cache, memtables and overhead
	if got := debug.SetMemoryLimit(-1); got != want {
		t.Errorf("Go memory limit %d MiB, want %d MiB", got>>20, want>>20)
	}
	if !strings.Contains(stderr, "memory budget 640 MiB (RTDW_MEMORY): Go heap limit 400 MiB, Pebble block cache 80 MiB") {
		t.Errorf("the plan was not logged: %s", stderr)
	}
}
