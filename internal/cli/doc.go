// Package cli is rtdw's command line: one file per command, each an
// options struct and a run function (cli/cli style). Exit codes: 0 ok,
// 1 failure, 2 usage.
package cli
