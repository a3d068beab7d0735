package cli

import "testing"

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
