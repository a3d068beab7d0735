// Package connector holds one package per external system or format:
// change (the change record all CDC formats decode into), maxwell,
// debezium, canal (topic_db codecs), topicdb (format selection and
// auto-detection), mysqlcdc (the MySQL/MariaDB binlog reader writing
// topic_db) and applog (the app-log collector writing topic_log). Later:
// redis, duckdb, doris, clickhouse.
package connector
