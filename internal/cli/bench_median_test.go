package cli

import (
	"os"
	"testing"
)

// A bench's medians: the middle run, or the mean of the middle two; a
// warehouse layer's median is taken over the runs' same layer.
func TestBenchMedians(t *testing.T) {
	if m := median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median of 3, 1, 2 = %v", m)
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of 4, 1, 3, 2 = %v", m)
	}
	runs := []warehouseResult{
		{CPU: 9, MaxRSS: 400, Rows: 7, Layers: []warehouseLayer{{Name: "dws", CPU: 3}}},
		{CPU: 8, MaxRSS: 450, Rows: 7, Layers: []warehouseLayer{{Name: "dws", CPU: 5}}},
		{CPU: 10, MaxRSS: 420, Rows: 7, Layers: []warehouseLayer{{Name: "dws", CPU: 4}}},
	}
	m := medianWarehouse(runs)
	if m.CPU != 9 || m.MaxRSS != 420 || m.Rows != 7 || m.Layers[0].CPU != 4 || m.Layers[0].Name != "dws" {
		t.Errorf("median run: %+v", m)
	}
	if runs[0].Layers[0].CPU != 3 {
		t.Error("the median overwrote the first run's layers")
	}
	b := medianBench([]benchResult{{CPU: 2, Outputs: 5}, {CPU: 1, Outputs: 5}, {CPU: 3, Outputs: 6}})
	if b.CPU != 2 || b.Outputs != -1 {
		t.Errorf("log-split median: %+v; want cpu 2 and outputs -1 (the runs differ)", b)
	}
}

// parseStatus splits /proc/<pid>/status's RSS as the kernel does:
// VmRSS = RssAnon + RssFile + RssShmem (file-backed counts shared memory).
func TestParseStatus(t *testing.T) {
	status := "Name:\trtdw\nVmHWM:\t  400000 kB\nVmRSS:\t  387000 kB\nRssAnon:\t  282000 kB\nRssFile:\t  104000 kB\nRssShmem:\t    1000 kB\nThreads:\t12\n"
	rss, anon, file := parseStatus([]byte(status))
	if rss != 387000 || anon != 282000 || file != 105000 {
		t.Fatalf("rss %d anon %d file %d", rss, anon, file)
	}
	if rss, anon, file := parseStatus(nil); rss != 0 || anon != 0 || file != 0 {
		t.Fatalf("no status: %d %d %d", rss, anon, file)
	}
	// This process's own: the split adds up (sampled at once).
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	if rss, anon, file := parseStatus(b); rss == 0 || anon == 0 || file == 0 || anon+file != rss {
		t.Fatalf("own status: rss %d, anon %d + file %d", rss, anon, file)
	}
}
