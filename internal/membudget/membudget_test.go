package membudget

import (
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
)

func TestNewDividesTheBudget(t *testing.T) {
	for _, c := range []struct {
		total, cache int64
	}{
		{384 << 20, 48 << 20},
		{Min, 40 << 20},
		{2 << 30, 256 << 20},
		{64 << 30, 1 << 30}, // the cache stops at 1 GiB
	} {
		p, err := New(c.total, "test")
		if err != nil {
			t.Fatal(err)
		}
		if p.BlockCache != c.cache {
			t.Errorf("%d MiB: block cache %d MiB, want %d", c.total>>20, p.BlockCache>>20, c.cache>>20)
		}
		if sum := p.GoLimit + p.BlockCache + Memtables + Overhead; sum != c.total || p.GoLimit <= 0 {
			t.Errorf("%d MiB: parts add up to %d MiB (Go %d MiB)", c.total>>20, sum>>20, p.GoLimit>>20)
		}
	}
	if _, err := New(Min-1, "test"); err == nil {
		t.Error("a budget below Min was accepted")
	}
	p, err := New(0, "")
	if err != nil || p.GoLimit != 0 || p.BlockCache != DefaultBlockCache {
		t.Errorf("no budget: %+v, %v", p, err)
	}
}

func TestApplySetsTheGoLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	defer debug.SetMemoryLimit(prev)
	p, _ := New(512<<20, "test")
	p.Apply()
	if got := debug.SetMemoryLimit(-1); got != p.GoLimit {
		t.Fatalf("Go memory limit %d, want %d", got, p.GoLimit)
	}
	debug.SetMemoryLimit(123 << 20)
	Plan{BlockCache: DefaultBlockCache}.Apply() // no budget: left alone
	if got := debug.SetMemoryLimit(-1); got != 123<<20 {
		t.Fatalf("no budget changed the Go limit to %d", got)
	}
}

func TestCgroup(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		content string
		want    int64
		err     bool
	}{{"max\n", 0, false}, {"536870912\n", 512 << 20, false}, {"lots\n", 0, true}, {"9223372036854771712\n", 0, false}} {
		path := filepath.Join(dir, "memory.max")
		os.WriteFile(path, []byte(c.content), 0o644)
		n, err := Cgroup(path)
		if n != c.want || (err != nil) != c.err {
			t.Errorf("%q: %d, %v", c.content, n, err)
		}
	}
	if n, err := Cgroup(filepath.Join(dir, "none")); n != 0 || err != nil {
		t.Errorf("missing file: %d, %v", n, err)
	}
}
