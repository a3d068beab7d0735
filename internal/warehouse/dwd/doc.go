// Package dwd holds the detail-layer jobs (SPEC §3): the log split and the
// business facts. One file per job; operators a job alone uses sit next to it.
package dwd
