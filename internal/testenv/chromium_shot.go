package testenv

import (
	"os"
	"time"
)

// DOMAndScreenshot loads url once, as DOM does, saves a PNG of the window
// to path and returns the serialized DOM: one browser start for both.
func (b *Browser) DOMAndScreenshot(url, path string, budget time.Duration) string {
	b.t.Helper()
	dom := b.run(budget, "--dump-dom", "--screenshot="+path, url)
	if st, err := os.Stat(path); err != nil || st.Size() == 0 {
		b.t.Fatalf("chromium wrote no screenshot to %s (%v)", path, err)
	}
	return dom
}
