package connector

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/connector/clickhouse"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'clickhouse' connector: a sink into a ClickHouse
// ReplacingMergeTree(version, is_deleted) table over ClickHouse's HTTP
// interface (internal/connector/clickhouse), with the option names of the
// Flink ClickHouse connector (url, database-name, table-name, username,
// password, sink.batch-size, sink.max-retries, sink.ignore-delete). The
// table must exist, ordered by the DDL's PRIMARY KEY (required), with two
// columns beyond the DDL's: the version ('sink.version-column', default
// _version, UInt64) and the delete flag ('sink.is-deleted-column', default
// _is_deleted, UInt8), for example
//
//	CREATE TABLE db.t (id Int64, name String, _version UInt64, _is_deleted UInt8)
//	ENGINE = ReplacingMergeTree(_version, _is_deleted) ORDER BY id
//	SETTINGS non_replicated_deduplication_window = 1000  -- not needed when Replicated
//
// Every +I/+U row is inserted with _is_deleted = 0, every -D row with 1 (a
// delete is a newer version that FINAL and merges drop, with the key's
// older rows); a -U is a delete unless its +U follows in the same insert
// (inserts never fall between the two).
//
// Idempotent, and safe against replays and zombie writers: the version of
// a row is its sequence (the buffered sink in jdbc_sink_batch.go): the
// checkpoint epoch of the writing task in the high bits and the row's
// position in that epoch in the low bits. A replay after a crash writes a
// row with the same version, and a later row with a greater one, so
// ReplacingMergeTree keeps the newest row of every key whatever was
// written twice; a fenced worker still flushing its last, uncommitted
// epoch writes versions no greater than the worker that took over writes
// for the same rows, so it cannot bring back an older row. Each insert
// also carries an insert_deduplication_token (job, task, epoch, flush and
// a hash of the rows), so a replayed identical insert is dropped by
// ClickHouse and does not even add a part. Rows are inserted at each
// checkpoint and whenever 'sink.batch-size' rows are buffered;
// 'sink.flush-interval' is accepted.

var clickhouseIgnored = []string{"sink.flush-interval", "sink.update-strategy", "sink.partition-strategy", "sink.partition-key",
	"sink.sharding.use-table-definition", "use-local", "sink.parallelism", "catalog.ignore-primary-key", "properties.*", "lookup.*", "scan.*"}

var clickhouseFactory = &Factory{
	Name: "clickhouse",
	Doc:  "Sink into a ClickHouse ReplacingMergeTree(version, is_deleted) table over HTTP: upserts and deletes by the PRIMARY KEY, versioned by checkpoint epoch and position (idempotent, zombie-safe), with insert deduplication tokens.",
	Options: []OptionSpec{
		spec("url", "", true, "The HTTP interface: http://ch:8123, clickhouse://ch:8123, jdbc:clickhouse://ch:8123/db or jdbc:clickhouse:http://ch:8123/db (?ssl=true: HTTPS)."),
		spec("database-name", "default", false, "Database of the table (default: the one in a jdbc: url, else 'default')."),
		spec("table-name", "", true, "Table to insert into: a ReplacingMergeTree(version, is_deleted) ordered by the PRIMARY KEY."),
		spec("username", "default", false, "User."),
		spec("password", "", false, "Password."),
		spec("sink.batch-size", "100000", false, "Insert early when this many rows (keys) are buffered; otherwise rows are inserted at each checkpoint."),
		spec("sink.max-retries", "3", false, "Retries of a failed insert before the task fails (and restarts from its checkpoint)."),
		spec("sink.ignore-delete", "false", false, "true: -D rows are not written (dead-lettered, counted); false: a delete is a row with is_deleted = 1. (itinycheng's connector defaults to true: rtdw applies deletes unless told not to.)"),
		spec("sink.version-column", "_version", false, "The table's version column (UInt64): the row's sequence."),
		spec("sink.is-deleted-column", "_is_deleted", false, "The table's delete flag column (UInt8)."),
		spec("sink.flush-interval", "", false, "Accepted: rows are inserted at each checkpoint."),
		spec("sink.update-strategy", "", false, "Accepted: updates are always versioned inserts."),
		spec("sink.partition-strategy", "", false, "Accepted and not used."),
		spec("sink.partition-key", "", false, "Accepted and not used."),
		spec("sink.sharding.use-table-definition", "", false, "Accepted and not used."),
		spec("use-local", "", false, "Accepted and not used."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
		spec("catalog.ignore-primary-key", "", false, "Accepted and not used."),
		spec("properties.*", "", false, "Accepted and not used."),
		spec("lookup.*", "", false, "Accepted and not used (the connector is a sink)."),
		spec("scan.*", "", false, "Accepted and not used (the connector is a sink)."),
	},
}

func init() {
	clickhouseFactory.NewSink = newClickHouseSink
	Register(clickhouseFactory)
}

type clickhouseSink struct {
	ctx     *Context
	t       *Table
	opts    clickhouse.Options
	table   string
	version string
	deleted string
	columns []string
	spec    extSpec
}

// clickhouseURL reads the url option: the HTTP base URL and the database
// a jdbc: URL names.
func clickhouseURL(s string) (base, db string, err error) {
	s = strings.TrimSpace(s)
	s = strings.TrimPrefix(s, "jdbc:")
	for _, p := range []string{"clickhouse:http://", "clickhouse:https://", "ch:http://", "ch:https://"} {
		if rest, ok := strings.CutPrefix(s, p); ok { // jdbc:clickhouse:http://h:8123/db
			s = p[strings.IndexByte(p, ':')+1:] + rest
		}
	}
	if rest, ok := strings.CutPrefix(s, "clickhouse://"); ok {
		s = "http://" + rest
	} else if rest, ok := strings.CutPrefix(s, "ch://"); ok {
		s = "http://" + rest
	}
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	if host, _, _ := strings.Cut(s[strings.Index(s, "://")+3:], "/"); strings.Contains(host, ",") {
		return "", "", fmt.Errorf("'%s': one host (rtdw writes through one ClickHouse server; several hosts are not supported)", s)
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", "", fmt.Errorf("'%s' is not like http://ch:8123", s)
	}
	if v := u.Query().Get("ssl"); v == "true" || v == "1" {
		u.Scheme = "https" // the JDBC driver's ssl=true
	}
	db = strings.Trim(u.Path, "/")
	u.Path, u.RawQuery = "", ""
	return u.String(), db, nil
}

func newClickHouseSink(ctx *Context, t *Table) (Sink, error) {
	f := clickhouseFactory
	if err := checkOptions(ctx, f, t, clickhouseIgnored); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	if err := l.noMetadata(f); err != nil {
		return nil, err
	}
	if len(t.PrimaryKey) == 0 {
		return nil, fmt.Errorf("%s: the clickhouse sink needs a PRIMARY KEY (...) NOT ENFORCED, the ORDER BY of the ReplacingMergeTree table: rows are versioned by it, which makes a replay harmless", where(f, t))
	}
	base, urlDB, err := clickhouseURL(t.Options["url"])
	if err != nil {
		return nil, fmt.Errorf("%s: 'url': %v", where(f, t), err)
	}
	db := opt(t, "database-name", urlDB)
	if db == "" {
		db = "default"
	}
	s := &clickhouseSink{ctx: ctx, t: t, table: t.Options["table-name"],
		version: opt(t, "sink.version-column", "_version"), deleted: opt(t, "sink.is-deleted-column", "_is_deleted")}
	for _, id := range []string{db, s.table, s.version, s.deleted} {
		if !identRE.MatchString(id) {
			return nil, fmt.Errorf("%s: name '%s' must match %s", where(f, t), id, identRE)
		}
	}
	for _, c := range l.physical {
		name := t.Schema.Column(c).Name
		if strings.EqualFold(name, s.version) || strings.EqualFold(name, s.deleted) {
			return nil, fmt.Errorf("%s: column %s is the sink's version or delete flag column: the sink writes it (rename it with 'sink.version-column' / 'sink.is-deleted-column')", where(f, t), name)
		}
		s.columns = append(s.columns, name)
	}
	s.columns = append(s.columns, s.version, s.deleted)
	s.opts = clickhouse.Options{URL: base, User: opt(t, "username", "default"), Password: opt(t, "password", ""), Database: db, Timeout: time.Minute}
	if err := s.opts.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", where(f, t), err)
	}
	ignoreDelete, err := boolOpt(f, t, "sink.ignore-delete", false)
	if err != nil {
		return nil, err
	}
	maxRows, retries, err := extOptions(f, t, "sink.batch-size", 100000, "sink.max-retries", 3)
	if err != nil {
		return nil, err
	}
	s.spec = extSpec{name: nodeName("clickhouse_sink", t), l: l, key: t.PrimaryKey, maxRows: maxRows, retries: retries,
		backoff: 200 * time.Millisecond, open: s.openTask}
	if ignoreDelete {
		s.spec.refuseDelete = "clickhouse: 'sink.ignore-delete' is true: the -D row is not written"
	}
	return s, nil
}

func (s *clickhouseSink) Accepts() ChangelogMode { return Retract }

func (s *clickhouseSink) Attach(st stream.Stream) error {
	attachExt(st, &s.spec)
	return nil
}

func (s *clickhouseSink) openTask(ctx *stream.Context) (extWriter, error) {
	id := fmt.Sprintf("clickhouse|%s|%s|%s", s.opts.URL, s.opts.User, s.opts.Database)
	sink, err := shared(id, func() (*clickhouse.Sink, error) { return clickhouse.Open(context.Background(), s.opts) })
	if err != nil {
		return nil, err
	}
	enc, err := newExtJSON(s.ctx, s.t, s.spec.l.physical)
	if err != nil {
		return nil, err
	}
	return &clickhouseWriter{ctx: ctx, s: s, sink: sink, enc: enc, version: strconv.Quote(s.version) + ":", deleted: strconv.Quote(s.deleted) + ":"}, nil
}

type clickhouseWriter struct {
	ctx              *stream.Context
	s                *clickhouseSink
	sink             *clickhouse.Sink
	enc              *extJSON
	version, deleted string
	body             []byte
}

func (w *clickhouseWriter) write(ctx context.Context, b *extBatch) error {
	body := w.body[:0]
	for i := range b.Ops {
		op := &b.Ops[i]
		flag := "0"
		if op.Delete {
			flag = "1"
		}
		var ok bool
		body, ok = encodeOp(w.ctx, w.s.spec.name, body, op, func(dst []byte) ([]byte, error) {
			return w.enc.append(dst, &op.Row, w.version+strconv.FormatUint(op.Seq, 10), w.deleted+flag)
		})
		if ok {
			body = append(body, '\n')
		}
	}
	w.body = body
	if len(body) == 0 {
		return nil // every row was dead-lettered
	}
	if err := w.sink.InsertJSON(ctx, w.s.table, w.s.columns, body, b.label("rtdw_", body)); err != nil {
		return fmt.Errorf("clickhouse: insert %s.%s: %w", w.s.opts.Database, w.s.table, err)
	}
	return nil
}
