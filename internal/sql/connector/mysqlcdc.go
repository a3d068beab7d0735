package connector

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rtdw/rtdw/internal/format"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'mysql-cdc' connector (alias 'mysql', the managed-Flink name): a
// MySQL/MariaDB table read as a changelog, snapshot then binlog, with
// Flink CDC's options.
//
// rtdw's engine reads topics, so the table is captured by rtdw's own
// binlog reader (internal/connector/mysqlcdc) into an internal topic the
// job reads: Maxwell records of the MySQL tables that match the table's
// 'database-name' and 'table-name', decoded by the DDL's columns (+I for
// snapshot rows and inserts, -U/+U for updates, -D for deletes). The
// tables of one job on one server (same host, port, user, password and
// startup options) share one reader: one binlog connection per statement
// set, as Flink CDC's one binlog reader per source, which routes each
// table's changes to the topic of every SQL table it matches. The reader
// commits its binlog position in the same log transaction as the records,
// and the job reads the topic from its own checkpoint: exactly-once from
// the server to the job's output, across kills and restarts.
//
// The capture runs in the job's Prepare step (Context.AddPrepare) up to
// the server's binlog position at that moment (a first run takes the
// snapshot there), and then, when the job runs unbounded, as a service
// next to the job (Context.AddService) until the job stops. A drained run
// (--drain) thus reads the snapshot and the binlog up to its start, and is
// deterministic. Changes made while no job runs stay in the binlog and are
// captured by the next run (as long as the server keeps its binlog).
//
// The topics are named after the job ('_rtdw-cdc-<table>-<hash>', one
// partition, kept forever): a job reset (--reset-job) or another job over
// the same tables captures afresh. A capture that starts from scratch
// (first run, or a snapshot interrupted by a kill) first writes a marker
// record; a job's first run starts at the last marker, so the rows of an
// interrupted snapshot are not read twice, and a job that finds a marker
// in the middle of what it already read (the capture was reset under it)
// fails with advice rather than double its rows.
//
// Differences from Flink CDC: the tables and databases are resolved when
// the job starts (new tables of a captured database that match are picked
// up from their CREATE TABLE; new databases need a restart); the snapshot
// is one consistent read (MariaDB: no lock; MySQL: a brief global read
// lock), not chunked, and the job starts once it is captured;
// 'server-time-zone' defaults to the server's own zone (the zone its
// TIMESTAMP values are written in), not the JVM's.

var mysqlCDCFactory = &Factory{
	Name:    "mysql-cdc",
	Aliases: []string{"mysql"},
	Doc: "A MySQL/MariaDB table as a changelog (snapshot, then binlog), captured by rtdw's binlog reader into an internal topic: " +
		"exactly-once, one binlog reader per job and server. Options as Flink CDC's mysql-cdc.",
	Options: []OptionSpec{
		spec("hostname", "", true, "Host name or IP address of the MySQL/MariaDB server."),
		spec("port", "3306", false, "Port of the server."),
		spec("username", "", true, "User; needs SELECT, RELOAD, REPLICATION SLAVE and REPLICATION CLIENT (MariaDB: or BINLOG MONITOR)."),
		spec("password", "", true, "Password of the user."),
		spec("database-name", "", true, "Database to capture: a regular expression (RE2) matching the whole name."),
		spec("table-name", "", true, "Table to capture: a regular expression; 'database-name' + '\\.' + 'table-name' must match the whole 'db.table' name, as Flink CDC. Several tables (shards) may match: rows are decoded by column name."),
		spec("server-id", "", false, "Replica server id of the binlog reader, or a range '5400-5408' (its first id is used); default random. Must differ from other replicas of the server."),
		spec("server-time-zone", "", false, "Time zone the server writes TIMESTAMP values in, for TIMESTAMP_LTZ columns ('Asia/Shanghai', '+08:00'); default: the server's own (@@time_zone)."),
		spec("scan.startup.mode", "initial", false, "First run of a job: initial (snapshot, then binlog), latest-offset (binlog from now), earliest-offset (the oldest binlog the server has), "+
			"timestamp (binlog events from 'scan.startup.timestamp-millis' on), specific-offset ('scan.startup.specific-offset.file' and '.pos'), snapshot (the snapshot only)."),
		spec("scan.startup.timestamp-millis", "", false, "Epoch milliseconds for 'timestamp': row changes of binlog events from then on."),
		spec("scan.startup.specific-offset.file", "", false, "Binlog file for 'specific-offset' (e.g. 'mysql-bin.000003')."),
		spec("scan.startup.specific-offset.pos", "", false, "Position in that file for 'specific-offset'."),
		spec("scan.incremental.snapshot.enabled", "true", false, "Accepted and not used: rtdw's snapshot is one consistent read, exactly-once either way."),
		spec("scan.incremental.snapshot.chunk.size", "", false, "Accepted and not used."),
		spec("scan.incremental.snapshot.chunk.key-column", "", false, "Accepted and not used: the table needs a PRIMARY KEY."),
		spec("scan.incremental.close-idle-reader.enabled", "", false, "Accepted and not used."),
		spec("scan.incremental.snapshot.backfill.skip", "", false, "Accepted and not used."),
		spec("scan.snapshot.fetch.size", "", false, "Accepted and not used."),
		spec("scan.newly-added-table.enabled", "", false, "Accepted and not used: new tables of a captured database that match are captured from their CREATE TABLE."),
		spec("scan.parallelism", "", false, "Accepted and not used: the capture topic has one partition."),
		spec("connect.timeout", "", false, "Accepted and not used."),
		spec("connect.max-retries", "", false, "Accepted and not used: a capture that loses the server retries with backoff."),
		spec("connection.pool.size", "", false, "Accepted and not used."),
		spec("heartbeat.interval", "", false, "Accepted and not used."),
		spec("chunk-meta.group.size", "", false, "Accepted and not used."),
		spec("chunk-key.even-distribution.factor.upper-bound", "", false, "Accepted and not used."),
		spec("chunk-key.even-distribution.factor.lower-bound", "", false, "Accepted and not used."),
		spec("jdbc.properties.*", "", false, "Accepted and not used."),
		spec("debezium.*", "", false, "Accepted and not used: rtdw's reader is not Debezium."),
	},
}

var mysqlCDCIgnored = []string{"scan.incremental.snapshot.enabled", "scan.incremental.snapshot.chunk.size",
	"scan.incremental.snapshot.chunk.key-column", "scan.incremental.close-idle-reader.enabled", "scan.incremental.snapshot.backfill.skip",
	"scan.snapshot.fetch.size", "scan.newly-added-table.enabled", "scan.parallelism", "connect.timeout", "connect.max-retries",
	"connection.pool.size", "heartbeat.interval", "chunk-meta.group.size", "chunk-key.even-distribution.factor.upper-bound",
	"chunk-key.even-distribution.factor.lower-bound", "jdbc.properties.*", "debezium.*",
	"scan.incremental.snapshot.unbounded-chunk-first.enabled", "scan.parse.online.schema.changes.enabled"}

func init() {
	mysqlCDCFactory.NewSource = newMySQLCDC
	Register(mysqlCDCFactory)
}

// mysql-cdc's readable metadata, with Flink CDC's types.
var mysqlCDCMeta = map[string]row.Type{
	"database_name": row.StringType.WithNotNull(true),
	"table_name":    row.StringType.WithNotNull(true),
	"op_ts":         row.TimestampLTZOf(3).WithNotNull(true),
	"row_kind":      row.StringType.WithNotNull(true),
}

// Startup modes.
const (
	cdcInitial  = "initial"
	cdcLatest   = "latest-offset"
	cdcEarliest = "earliest-offset"
	cdcTime     = "timestamp"
	cdcSpecific = "specific-offset"
	cdcSnapshot = "snapshot"
)

// cdcServer is what a capture is keyed by besides its job: tables that
// agree on it share one binlog reader ('server-id' may differ: Flink
// users give each table its own; the first table's is used).
type cdcServer struct {
	host, user, password string
	port                 int
	mode                 string // scan.startup.mode
	since                int64  // timestamp-millis
	file                 string // specific-offset
	pos                  uint32
}

// mysqlCDC is a configured mysql-cdc table.
type mysqlCDC struct {
	ctx      *Context
	t        *Table
	l        *layout
	srv      cdcServer
	serverID uint32
	dbRE     *regexp.Regexp // database-name, anchored
	fullRE   *regexp.Regexp // database-name \. table-name, anchored
	zone     *time.Location // server-time-zone; nil: the server's
	value    *format.Format // maxwell-json over the physical columns
	physical *row.Schema
	meta     []MetadataColumn
	topic    string

	mu      sync.Mutex
	cap     *capture
	startAt map[int32]int64 // the offsets StartAt chose in this process
}

func newMySQLCDC(ctx *Context, t *Table) (Source, error) {
	f := mysqlCDCFactory
	if err := checkOptions(ctx, f, t, mysqlCDCIgnored); err != nil {
		return nil, err
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	m := &mysqlCDC{ctx: ctx, t: t, l: l, startAt: map[int32]int64{}}
	if len(t.PrimaryKey) == 0 {
		return nil, fmt.Errorf("%s: a mysql-cdc table needs a PRIMARY KEY (...) NOT ENFORCED: declare the MySQL table's primary key (as Flink CDC)", where(f, t))
	}
	s := &m.srv
	s.host, s.user, s.password = strings.TrimSpace(t.Options["hostname"]), t.Options["username"], t.Options["password"]
	port, err := intOpt(f, t, "port", 3306)
	if err != nil {
		return nil, err
	}
	if port <= 0 || port > 65535 {
		return nil, fmt.Errorf("%s: 'port' = '%d': not a port", where(f, t), port)
	}
	s.port = int(port)
	if s.host == "" {
		return nil, fmt.Errorf("%s: 'hostname' is empty", where(f, t))
	}
	if m.serverID, err = serverID(opt(t, "server-id", "")); err != nil {
		return nil, fmt.Errorf("%s: 'server-id' = '%s': %v", where(f, t), t.Options["server-id"], err)
	}
	db, table := t.Options["database-name"], t.Options["table-name"]
	if m.dbRE, err = regexp.Compile(`^(?:` + db + `)$`); err != nil {
		return nil, fmt.Errorf("%s: 'database-name' = '%s': %v", where(f, t), db, err)
	}
	if _, err := regexp.Compile(table); err != nil {
		return nil, fmt.Errorf("%s: 'table-name' = '%s': %v", where(f, t), table, err)
	}
	m.fullRE = regexp.MustCompile(`^(?:` + db + `)\.(?:` + table + `)$`)
	if z, ok := t.Options["server-time-zone"]; ok {
		if m.zone, err = format.ParseTimeZone(z); err != nil {
			loc, lerr := time.LoadLocation(z)
			if lerr != nil {
				return nil, fmt.Errorf("%s: 'server-time-zone' = '%s': %v", where(f, t), z, err)
			}
			m.zone = loc
		}
	}
	if err := m.startup(); err != nil {
		return nil, err
	}
	if err := m.metadata(); err != nil {
		return nil, err
	}
	if m.physical, err = l.subSchema(l.physical, ""); err != nil {
		return nil, err
	}
	if m.value, err = format.Lookup(format.MaxwellJSON, m.physical, nil); err != nil {
		return nil, fmt.Errorf("%s: %w", where(f, t), err)
	}
	m.topic = m.topicName()
	return m, nil
}

// serverID reads 'server-id': an id or a range 'a-b' (the first is used).
func serverID(v string) (uint32, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	first, last, isRange := strings.Cut(v, "-")
	a, err := strconv.ParseUint(strings.TrimSpace(first), 10, 32)
	if err != nil || a == 0 {
		return 0, fmt.Errorf("want a positive integer or a range like '5400-5408'")
	}
	if isRange {
		b, err := strconv.ParseUint(strings.TrimSpace(last), 10, 32)
		if err != nil || b < a {
			return 0, fmt.Errorf("want a range like '5400-5408'")
		}
	}
	return uint32(a), nil
}

// startup reads scan.startup.*.
func (m *mysqlCDC) startup() error {
	f, t := mysqlCDCFactory, m.t
	mode, err := enumOpt(f, t, "scan.startup.mode", cdcInitial, cdcInitial, cdcLatest, cdcEarliest, cdcTime, cdcSpecific, cdcSnapshot)
	if err != nil {
		return err
	}
	m.srv.mode = mode
	// Another mode's option is ignored, as Flink CDC does.
	if _, ok := t.Options["scan.startup.timestamp-millis"]; !ok && mode == cdcTime {
		return fmt.Errorf("%s: 'scan.startup.mode' = 'timestamp' needs 'scan.startup.timestamp-millis'", where(f, t))
	}
	_, hasFile := t.Options["scan.startup.specific-offset.file"]
	_, hasPos := t.Options["scan.startup.specific-offset.pos"]
	if mode == cdcSpecific && (!hasFile || !hasPos) {
		return fmt.Errorf("%s: 'scan.startup.mode' = 'specific-offset' needs 'scan.startup.specific-offset.file' and '.pos' (a GTID set is not supported)", where(f, t))
	}
	switch mode {
	case cdcTime:
		if m.srv.since, err = intOpt(f, t, "scan.startup.timestamp-millis", 0); err != nil {
			return err
		}
	case cdcSpecific:
		m.srv.file = strings.TrimSpace(t.Options["scan.startup.specific-offset.file"])
		pos, err := intOpt(f, t, "scan.startup.specific-offset.pos", 0)
		if err != nil {
			return err
		}
		if pos < 4 || pos > 1<<32-1 || m.srv.file == "" {
			return fmt.Errorf("%s: 'scan.startup.specific-offset.file' / '.pos' = '%s' / %d: not a binlog position", where(f, t), m.srv.file, pos)
		}
		m.srv.pos = uint32(pos)
	}
	return nil
}

// metadata checks the metadata columns.
func (m *mysqlCDC) metadata() error {
	f, t := mysqlCDCFactory, m.t
	for _, mc := range t.Metadata {
		col := t.Schema.Column(mc.Index)
		key := m.l.metaKey(mc)
		typ, ok := mysqlCDCMeta[key]
		if !ok {
			return fmt.Errorf("%s: column %s: unknown metadata key '%s' (available: database_name, op_ts, row_kind, table_name)", where(f, t), col.Name, key)
		}
		if !metaCastable(typ, col.Type) {
			return fmt.Errorf("%s: column %s: metadata '%s' is %s and cannot be read as %s", where(f, t), col.Name, key, typ, col.Type)
		}
		m.meta = append(m.meta, mc)
	}
	return nil
}

// topicName is the internal topic of the table in its job: named after
// the table, and a hash of the job, the table and its options.
func (m *mysqlCDC) topicName() string {
	h := sha256.New()
	job := ""
	if m.ctx != nil {
		job = m.ctx.Job
	}
	fmt.Fprintf(h, "%s\x00%s", job, m.t.Name)
	keys := make([]string, 0, len(m.t.Options))
	for k := range m.t.Options {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, m.t.Options[k])
	}
	return "_rtdw-cdc-" + topicSafe(m.t.ObjectName, 120) + "-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// topicSafe makes a name usable in a topic name.
func topicSafe(s string, n int) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

// Mode: snapshot rows and inserts are +I, updates -U/+U, deletes -D.
func (m *mysqlCDC) Mode() ChangelogMode { return Retract }

// Attach joins the table to its job's capture (registering the capture's
// Prepare step and service with the first table) and reads its topic.
func (m *mysqlCDC) Attach(j *stream.Job, opts ...stream.SourceOption) (stream.Stream, error) {
	if m.ctx == nil || m.ctx.Log == nil {
		return stream.Stream{}, fmt.Errorf("%s: needs the log to capture into", where(mysqlCDCFactory, m.t))
	}
	if _, err := m.value.NewDecoder(); err != nil {
		return stream.Stream{}, err
	}
	m.mu.Lock()
	if m.cap == nil {
		m.cap = joinCapture(m.ctx, j, m)
	}
	m.mu.Unlock()
	all := append(slices.Clone(opts), stream.DecodedRecords(m.newDecode), stream.StartAt(m.start))
	return j.Source(m.topic, all...), nil
}

// start is where a job's first run reads the topic: at the last marker,
// the start of the capture the topic holds now.
func (m *mysqlCDC) start(ctx context.Context, l rlog.Log, tp rlog.TopicPartition, start, end int64) (int64, error) {
	off, err := lastMarker(ctx, l, tp, start, end)
	if err != nil {
		return 0, err
	}
	m.mu.Lock()
	m.startAt[tp.Partition] = off
	m.mu.Unlock()
	return off, nil
}

// markerOK tells whether the job may pass the capture marker at off: the
// one its first run started at, or one with nothing before it.
func (m *mysqlCDC) markerOK(tp rlog.TopicPartition, off int64) bool {
	m.mu.Lock()
	at, ok := m.startAt[tp.Partition]
	m.mu.Unlock()
	if ok && at == off {
		return true
	}
	start, _, err := m.ctx.Log.Offsets(context.Background(), tp)
	return err == nil && off == start
}

// newDecode makes one task's decoder: Maxwell records into rows of the
// table's columns, metadata filled.
func (m *mysqlCDC) newDecode() stream.RecordDecode {
	vf := m.value
	loc := m.zone
	if loc == nil && m.cap != nil {
		loc = m.cap.serverZone()
	}
	if loc == nil && m.ctx.Loc != nil {
		loc = m.ctx.Loc
	}
	if loc != nil {
		vf = vf.WithLocation(loc)
	}
	dec, err := vf.NewDecoder()
	if err != nil {
		panic(err) // checked in Attach
	}
	n := m.t.Schema.Len()
	// The primary key's positions among the decoded (physical) values.
	var pk []int
	for _, c := range m.t.PrimaryKey {
		if i := slices.Index(m.l.physical, c); i >= 0 {
			pk = append(pk, i)
		}
	}
	var b format.Batch
	var out row.Row
	return func(rec *stream.Record, emit func(*row.Row)) error {
		if isMarker(rec.Key) {
			if !m.markerOK(rec.Source, rec.Offset) {
				return fmt.Errorf("table %s: the capture of its MySQL tables restarted from scratch under this job (at %s@%d: "+
					"its tables or options changed under the same 'pipeline.name', or its position was reset), so its rows would come twice; "+
					"start the job afresh with --reset-job", m.t.Name, rec.Source, rec.Offset)
			}
			return nil
		}
		if err := dec.Decode(rec.Value, &b); err != nil {
			return badRecord("", err)
		}
		if len(b.Rows) == 0 {
			return nil // bootstrap-start / -complete
		}
		var opTS row.Value
		if m.wants("op_ts") {
			opTS = row.TimestampLTZ(0, 0)
			if !bytes.HasPrefix(maxwellType(rec.Value), []byte("bootstrap-")) && !b.Meta.IngestionTime.IsNull() {
				opTS = b.Meta.IngestionTime
			}
		}
		if keyChanged(b.Rows, pk) {
			// An UPDATE of the primary key deletes one row and inserts
			// another (Debezium's delete + create, so Flink CDC's -D, +I).
			b.Rows[0].Kind, b.Rows[1].Kind = row.Delete, row.Insert
		}
		for i := range b.Rows {
			vr := &b.Rows[i]
			out.Reset(vr.Kind, n)
			for i, c := range m.l.physical {
				out.Values[c] = vr.Values[i]
			}
			for _, mc := range m.meta {
				var v row.Value
				key := m.l.metaKey(mc)
				switch key {
				case "database_name":
					v = b.Meta.Database
				case "table_name":
					v = b.Meta.Table
				case "op_ts":
					v = opTS
				case "row_kind":
					v = row.String(vr.Kind.String())
				}
				out.Values[mc.Index] = castMeta(v, mysqlCDCMeta[key], m.t.Schema.Column(mc.Index).Type, m.ctx)
			}
			emit(&out)
		}
		return nil
	}
}

// keyChanged reports whether rows are an update (-U, +U) whose key (the
// values at positions pk) changed.
func keyChanged(rows []row.Row, pk []int) bool {
	if len(pk) == 0 || len(rows) != 2 || rows[0].Kind != row.UpdateBefore || rows[1].Kind != row.UpdateAfter {
		return false
	}
	for _, i := range pk {
		if !row.Equal(rows[0].Values[i], rows[1].Values[i]) {
			return true
		}
	}
	return false
}

func (m *mysqlCDC) wants(key string) bool {
	for _, mc := range m.meta {
		if m.l.metaKey(mc) == key {
			return true
		}
	}
	return false
}

// maxwellType is the "type" of a record rtdw's reader wrote: the first
// `,"type":"` of the record is its own (the database and table names
// before it are JSON strings, which cannot hold an unescaped quote).
func maxwellType(v []byte) []byte {
	const p = `,"type":"`
	i := bytes.Index(v, []byte(p))
	if i < 0 {
		return nil
	}
	v = v[i+len(p):]
	if j := bytes.IndexByte(v, '"'); j >= 0 {
		return v[:j]
	}
	return nil
}
