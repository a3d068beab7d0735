// Package web serves the ADS layer (SPEC §5): the indicator API
// (GET /api/ads, GET /api/ads/<name>?date=yyyy-MM-dd) and the live
// dashboard at /dashboard/, a static page whose charts (ECharts, embedded
// from assets/vendor/ by `make assets`, no CDN) refresh themselves from
// the API every few seconds.
package web
