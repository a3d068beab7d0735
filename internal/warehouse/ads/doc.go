// Package ads is the application layer (SPEC §5): no tables of its own, only
// indicators — one portable SQL query each over the DWS tables of a day
// (cur_date) — that the HTTP API and the dashboard (package web) serve.
//
// The SQL is written once for every OLAP backend: positional $1 for the day,
// CAST instead of dialect functions, and every output column cast to
// VARCHAR, BIGINT or DOUBLE PRECISION so each driver returns plain Go values.
package ads
