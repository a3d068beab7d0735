package testenv

import "time"

// DOMAndScreenshot loads url once, as DOM does, saves a PNG of the
// viewport to path and returns the serialized DOM: one browser start for
// both.
func (b *Browser) DOMAndScreenshot(url, path string, budget time.Duration) string {
	b.t.Helper()
	return b.load(url, path, budget)
}
