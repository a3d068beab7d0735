// Package mysqlcdc reads a MySQL/MariaDB server's binlog (go-mysql's
// replication client) and writes its row changes into topic_db as Maxwell
// JSON, keyed by primary key, as Maxwell with producer_partition_by=
// primary_key does.
//
// A run first takes, when the stored position is missing, a snapshot of
// every captured table (bootstrap-start, bootstrap-insert rows,
// bootstrap-complete) inside a consistent-read transaction whose binlog
// position the server reports, then streams the binlog from that position,
// so no row is missed or doubled between snapshot and binlog. Every commit
// to the log is one log.Txn: the records of whole binlog transactions plus,
// in its state batch, the binlog position after them (and the captured
// tables' schemas when a DDL changed them), so a killed reader resumes
// exactly where its last commit ended.
package mysqlcdc
