// Package web serves rtdw's pages. The ADS layer (SPEC §5): the indicator
// API (GET /api/ads, GET /api/ads/<name>?date=yyyy-MM-dd) and the live
// dashboard at /dashboard/, a static page whose charts (ECharts, embedded
// from assets/vendor/ by `make assets`, no CDN) refresh themselves from
// the API every few seconds. The web console of a long-running command
// (Console, at /): its jobs with their graphs and metrics, topics, dead
// letters and a read-only SQL editor, each page a view of a JSON API.
package web
