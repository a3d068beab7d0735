package connector

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"weak"

	"github.com/go-sql-driver/mysql"

	"github.com/rtdw/rtdw/internal/connector/mysqlcdc"
	"github.com/rtdw/rtdw/internal/format"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/stream"
)

// The capture of a mysql-cdc job: one binlog reader per job and server
// (cdcServer), writing the changes of every MySQL table to the topics of
// the job's SQL tables that match it (mysqlcdc.Config.Route).

// capture is the binlog reader of one job's mysql-cdc tables on one
// server.
type capture struct {
	log       rlog.Log
	logger    *slog.Logger
	job       string
	srv       cdcServer
	serverID  uint32 // the first table's 'server-id' that has one
	services  bool   // the caller runs the continuous capture next to the job
	tables    []*mysqlCDC
	name      string   // the reader's name (its stored position); set by prepare
	databases []string // the databases captured; set by prepare
	start     *mysqlcdc.Position

	mu     sync.Mutex
	routes map[string][]string // "db.table" -> topics
	zone   *time.Location      // the server's time zone, learned by prepare
}

// captureKey finds a job's capture of a server while the job is planned.
type captureKey struct {
	job weak.Pointer[stream.Job]
	srv cdcServer
}

var (
	capturesMu sync.Mutex
	captures   = map[captureKey]weak.Pointer[capture]{}
	// capturesStarted counts captures made (tests: one per job and server).
	capturesStarted atomic.Int64
)

// joinCapture adds m to its job's capture of its server; the first table
// makes the capture and registers its Prepare step and service.
func joinCapture(ctx *Context, j *stream.Job, m *mysqlCDC) *capture {
	key := captureKey{weak.Make(j), m.srv}
	capturesMu.Lock()
	defer capturesMu.Unlock()
	c := captures[key].Value()
	if c == nil {
		c = &capture{log: ctx.Log, logger: logger(ctx), job: ctx.Job, srv: m.srv, services: ctx.AddService != nil,
			routes: map[string][]string{}}
		captures[key] = weak.Make(c)
		runtime.AddCleanup(j, func(k captureKey) {
			capturesMu.Lock()
			delete(captures, k)
			capturesMu.Unlock()
		}, key)
		capturesStarted.Add(1)
		if ctx.AddPrepare != nil {
			ctx.AddPrepare(c.prepare)
		}
		if ctx.AddService != nil && m.srv.mode != cdcSnapshot {
			ctx.AddService(c.service)
		}
	}
	c.tables = append(c.tables, m)
	if c.serverID == 0 {
		c.serverID = m.serverID
	}
	return c
}

func (c *capture) dsn() string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Passwd = c.srv.user, c.srv.password
	cfg.Net, cfg.Addr = "tcp", net.JoinHostPort(c.srv.host, strconv.Itoa(c.srv.port))
	return cfg.FormatDSN()
}

func (c *capture) where() string {
	names := make([]string, len(c.tables))
	for i, t := range c.tables {
		names[i] = t.t.Name
	}
	return fmt.Sprintf("mysql-cdc %s:%d (tables %s)", c.srv.host, c.srv.port, strings.Join(names, ", "))
}

// topics are the capture's topics, sorted.
func (c *capture) topics() []string {
	var out []string
	for _, t := range c.tables {
		out = append(out, t.topic)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// route is the reader's Config.Route: the topics of the tables whose
// regular expressions match db.table.
func (c *capture) route(db, table string) []string {
	full := db + "." + table
	c.mu.Lock()
	defer c.mu.Unlock()
	if ts, ok := c.routes[full]; ok {
		return ts
	}
	var ts []string
	for _, t := range c.tables {
		if t.fullRE.MatchString(full) && !slices.Contains(ts, t.topic) {
			ts = append(ts, t.topic)
		}
	}
	c.routes[full] = ts
	return ts
}

func (c *capture) serverZone() *time.Location {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.zone
}

// systemDBs are never captured.
var systemDBs = map[string]bool{"mysql": true, "information_schema": true, "performance_schema": true, "sys": true}

// prepare runs before the job: it resolves the databases and tables,
// makes the topics, and captures up to the server's current position (a
// first run takes the snapshot), so the job finds its input up to now.
func (c *capture) prepare() error {
	ctx := context.Background()
	if err := c.resolve(ctx); err != nil {
		return err
	}
	for _, tp := range c.topics() {
		if _, err := rlog.EnsureTopic(ctx, c.log, tp, rlog.TopicConfig{Partitions: 1}); err != nil {
			return fmt.Errorf("%s: %w", c.where(), err)
		}
	}
	stop, err := mysqlcdc.ServerPosition(ctx, c.dsn())
	if err != nil {
		return fmt.Errorf("%s: %w", c.where(), err)
	}
	if !c.services && c.srv.mode != cdcSnapshot {
		c.logger.Info("mysql-cdc: this run captures the binlog up to its start only (its caller runs no capture next to the job)", "job", c.job)
	}
	return c.run(ctx, &stop)
}

// resolve reads the server: the databases that match, that every table
// matches some MySQL table, the time zone, and the reader's name.
func (c *capture) resolve(ctx context.Context) error {
	db, err := sql.Open("mysql", c.dsn())
	if err != nil {
		return fmt.Errorf("%s: %w", c.where(), err)
	}
	defer db.Close()
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rows, err := db.QueryContext(qctx, "SELECT TABLE_SCHEMA, TABLE_NAME FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE'")
	if err != nil {
		return fmt.Errorf("%s: list tables: %w", c.where(), err)
	}
	dbs := map[string]bool{}
	matched := make([]bool, len(c.tables))
	for rows.Next() {
		var d, t string
		if err := rows.Scan(&d, &t); err != nil {
			rows.Close()
			return fmt.Errorf("%s: list tables: %w", c.where(), err)
		}
		if systemDBs[strings.ToLower(d)] {
			continue
		}
		for i, st := range c.tables {
			if st.dbRE.MatchString(d) {
				dbs[d] = true
			}
			if st.fullRE.MatchString(d + "." + t) {
				matched[i] = true
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("%s: list tables: %w", c.where(), err)
	}
	for i, ok := range matched {
		if !ok {
			t := c.tables[i]
			return fmt.Errorf("table %s ('connector' = 'mysql-cdc'): no table on %s:%d matches 'database-name' = '%s' and 'table-name' = '%s' "+
				"(the MySQL table's full name 'db.table' must match database-name + '\\.' + table-name)",
				t.t.Name, c.srv.host, c.srv.port, t.t.Options["database-name"], t.t.Options["table-name"])
		}
	}
	c.databases = c.databases[:0]
	for d := range dbs {
		c.databases = append(c.databases, d)
	}
	slices.Sort(c.databases)

	var tz, sysTZ, offset string
	if err := db.QueryRowContext(qctx, "SELECT @@GLOBAL.time_zone, @@system_time_zone, TIME_FORMAT(TIMEDIFF(NOW(), UTC_TIMESTAMP()), '%H:%i')").
		Scan(&tz, &sysTZ, &offset); err == nil {
		c.mu.Lock()
		c.zone = serverZone(tz, sysTZ, offset)
		c.mu.Unlock()
	}

	switch c.srv.mode {
	case cdcEarliest, cdcTime:
		var first string
		rows, err := db.QueryContext(qctx, "SHOW BINARY LOGS")
		if err == nil {
			cols, _ := rows.Columns()
			if rows.Next() {
				vals := make([]sql.RawBytes, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err = rows.Scan(ptrs...); err == nil {
					first = string(vals[0])
				}
			}
			rows.Close()
		}
		if err != nil || first == "" {
			return fmt.Errorf("%s: 'scan.startup.mode' = '%s': list the binlog files: %v", c.where(), c.srv.mode, err)
		}
		c.start = &mysqlcdc.Position{File: first, Pos: 4}
	case cdcSpecific:
		c.start = &mysqlcdc.Position{File: c.srv.file, Pos: c.srv.pos}
	}

	// The reader's stored position belongs to the job, the server and the
	// set of tables: another set captures afresh.
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%s\x00%d\x00%s\x00%s\x00%d\x00%s\x00%d", c.job, c.srv.host, c.srv.port, c.srv.user, c.srv.mode, c.srv.since, c.srv.file, c.srv.pos)
	for _, tp := range c.topics() {
		fmt.Fprintf(h, "\x00%s", tp)
	}
	c.name = "cdc-" + topicSafe(c.job, 60) + "-" + hex.EncodeToString(h.Sum(nil)[:6])
	return nil
}

// serverZone is the zone the server writes TIMESTAMP values in, as the
// reader reads it: @@time_zone, else the system zone, else the offset.
func serverZone(tz, sysTZ, offset string) *time.Location {
	if tz != "SYSTEM" {
		if l, err := time.LoadLocation(tz); err == nil {
			return l
		}
		if l, err := format.ParseTimeZone(tz); err == nil {
			return l
		}
	} else if l, err := time.LoadLocation(sysTZ); err == nil && sysTZ != "" {
		return l
	}
	if !strings.HasPrefix(offset, "-") && !strings.HasPrefix(offset, "+") {
		offset = "+" + offset
	}
	if l, err := format.ParseTimeZone(offset); err == nil {
		return l
	}
	return nil
}

// service runs the capture while the job runs unbounded: a reader that
// stops with the job, started again with backoff after an error it may
// recover from (the server away); errors a user must fix end the run.
func (c *capture) service(ctx context.Context) error {
	for backoff := time.Second; ; backoff = min(2*backoff, time.Minute) {
		err := c.run(ctx, nil)
		switch {
		case ctx.Err() != nil || errors.Is(err, rlog.ErrClosed):
			return nil
		case errors.Is(err, mysqlcdc.ErrPositionPurged):
			return fmt.Errorf("%s: %w; start the job afresh with --reset-job (it snapshots again)", c.where(), err)
		case errors.Is(err, mysqlcdc.ErrPrivileges), errors.Is(err, mysqlcdc.ErrBinlogOff), errors.Is(err, mysqlcdc.ErrBinlogFormat):
			return fmt.Errorf("%s: %w", c.where(), err)
		case err == nil:
			backoff = time.Second // a clean end (cannot happen unbounded): start again
		}
		c.logger.Error("mysql-cdc capture failed; retrying", "job", c.job, "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
}

// Readers of one log and name run one at a time in a process.
var (
	readersMu sync.Mutex
	readers   = map[readerKey]chan struct{}{}
)

type readerKey struct {
	log  rlog.Log
	name string
}

// run runs the reader until stop (nil: until ctx ends). A reader with
// no stored position (a first run, or a snapshot a kill interrupted)
// first writes a marker into each topic: jobs start at the last one.
func (c *capture) run(ctx context.Context, stop *mysqlcdc.Position) error {
	if c.name == "" {
		return fmt.Errorf("%s: the capture runs before its Prepare step", c.where())
	}
	k := readerKey{c.log, c.name}
	readersMu.Lock()
	sem := readers[k]
	if sem == nil {
		sem = make(chan struct{}, 1)
		readers[k] = sem
	}
	readersMu.Unlock()
	select {
	case sem <- struct{}{}:
	case <-ctx.Done():
		return nil
	}
	defer func() { <-sem }()

	_, stored, err := mysqlcdc.StoredPosition(ctx, c.log, c.name)
	if err != nil {
		return fmt.Errorf("%s: %w", c.where(), err)
	}
	if !stored {
		if err := c.mark(ctx); err != nil {
			return err
		}
	}
	cfg := mysqlcdc.Config{DSN: c.dsn(), Databases: c.databases, Name: c.name, ServerID: c.serverID,
		Route: c.route, StopAt: stop, StartAt: c.start, Logger: c.logger}
	switch c.srv.mode {
	case cdcInitial:
		cfg.Snapshot = mysqlcdc.SnapshotInitial
	case cdcSnapshot:
		cfg.Snapshot = mysqlcdc.SnapshotOnly
	default:
		cfg.Snapshot = mysqlcdc.SnapshotNever
	}
	if c.srv.mode == cdcTime {
		cfg.Since = time.UnixMilli(c.srv.since)
	}
	if err := mysqlcdc.Run(ctx, c.log, cfg); err != nil {
		return fmt.Errorf("%s: %w", c.where(), err)
	}
	return nil
}

// The marker record: where a capture starts from scratch.
var markerKey = []byte("rtdw-cdc-capture-start")

func isMarker(key []byte) bool { return string(key) == string(markerKey) }

// mark writes a marker into each topic of the capture.
func (c *capture) mark(ctx context.Context) error {
	var recs []rlog.Record
	for _, tp := range c.topics() {
		recs = append(recs, rlog.Record{Topic: tp, Partition: 0, Key: markerKey,
			// A Maxwell record without a row, for readers of the topic
			// with the maxwell-json format.
			Value:     []byte(`{"database":"","table":"","type":"bootstrap-start","ts":0,"data":{}}`),
			Timestamp: time.Now().UnixMilli(), Headers: []rlog.Header{{Key: "rtdw.cdc", Value: []byte("capture-start " + c.name)}}})
	}
	if err := c.log.Produce(ctx, recs...); err != nil {
		return fmt.Errorf("%s: %w", c.where(), err)
	}
	return nil
}

// lastMarker is the offset of the last marker of tp in [start, end), or
// start when there is none.
func lastMarker(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, start, end int64) (int64, error) {
	last := start
	for off := start; off < end; {
		recs, err := l.Fetch(ctx, tp, off, 10000, 0)
		if err != nil {
			return 0, err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			if r.Offset >= end {
				return last, nil
			}
			if isMarker(r.Key) {
				last = r.Offset
			}
			off = r.Offset + 1
		}
	}
	return last, nil
}
