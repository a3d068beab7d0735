package web

import (
	"embed"
	"io/fs"
)

// assets/ always holds the committed page; assets/vendor/ (gitignored)
// holds the chart libraries once `make assets` has run. The page checks
// for them and says to run it, so a fresh clone still builds.
//
//go:embed assets
var embedded embed.FS

// Assets is the dashboard's files: index.html, app.js, style.css and,
// after `make assets`, vendor/*.js; and the console's, under console/.
func Assets() fs.FS {
	sub, err := fs.Sub(embedded, "assets")
	if err != nil {
		panic(err) // "assets" is a literal directory of this package
	}
	return sub
}

// HasCharts reports whether the chart libraries were embedded.
func HasCharts() bool { return hasCharts(Assets()) }

func hasCharts(assets fs.FS) bool {
	_, err := fs.Stat(assets, "vendor/echarts.min.js")
	return err == nil
}
