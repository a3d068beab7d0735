// Package warehouse is the gmall reference warehouse: its jobs by layer in
// ods/, dim/, dwd/, dws/ (one file per job, each a readable pipeline) and
// the registry the CLI runs them from.
package warehouse
