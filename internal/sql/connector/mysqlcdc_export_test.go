package connector

// CDCCapturesStarted counts the mysql-cdc captures (binlog readers of a
// job and server) made so far, for the tests of package connector_test.
func CDCCapturesStarted() int64 { return capturesStarted.Load() }
