// Package connector holds one package per external system or format:
// change (the change record all CDC formats decode into), maxwell,
// debezium, canal (topic_db codecs) and topicdb (format selection and
// auto-detection). Later: mysqlcdc, applog, redis, duckdb, doris, clickhouse.
package connector
