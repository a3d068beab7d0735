package exec

import (
	"path/filepath"
	"strings"
	"testing"
)

// ForScripts runs fn on each script of testdata: the window and OVER
// scripts (window*, over*: TestWindowScripts' language) when windows is
// set, the others (TestOperators') otherwise.
func ForScripts(t *testing.T, windows bool, fn func(t *testing.T, path string)) {
	paths, err := filepath.Glob("testdata/*")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range paths {
		base := filepath.Base(path)
		isWindow := strings.HasPrefix(base, "window") || strings.HasPrefix(base, "over")
		if isWindow != windows {
			continue
		}
		t.Run(base, func(t *testing.T) { fn(t, path) })
	}
}
