package mysqlcdc

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	gmysql "github.com/go-mysql-org/go-mysql/mysql"
	"github.com/go-mysql-org/go-mysql/replication"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/log/kafka"
)

// Snapshot modes.
const (
	SnapshotInitial = "initial" // snapshot when no position is stored, then stream
	SnapshotNever   = "never"   // no snapshot: stream from the server's current position
	SnapshotOnly    = "only"    // snapshot when no position is stored, then return
)

// Config configures a reader.
type Config struct {
	// DSN in go-sql-driver form: user:password@tcp(host:port)/
	DSN string
	// Databases to capture (every base table), or only Tables of them
	// (db.table, or table in any listed database).
	Databases []string
	Tables    []string
	// Snapshot is SnapshotInitial (default), SnapshotNever or SnapshotOnly.
	Snapshot string
	// Topic receives the changes (default topic_db); it must exist.
	Topic string
	// Name identifies the reader's stored position (default "mysql"); two
	// readers of different servers into one log need different names.
	Name string
	// ServerID is the replica id the reader registers with (0: random).
	ServerID uint32
	// Reset forgets the stored position first, so the run snapshots again
	// (after the position was purged from the server).
	Reset bool
	// BatchRecords, FlushWait and MaxDelay bound how long changes wait for
	// a commit: one happens at BatchRecords records, when no event arrived
	// for FlushWait, or at the end of a transaction once the oldest pending
	// change waited MaxDelay (defaults 5000, 5ms, 20ms).
	BatchRecords int
	FlushWait    time.Duration
	MaxDelay     time.Duration
	// TransactionalID (Kafka mode) identifies the reader: a second reader
	// with the same id fences the first (default rtdw-ingest-mysql-<Name>).
	TransactionalID string
	// TransactionTimeout (Kafka mode): the broker aborts a commit left
	// open this long by a dead reader (default 10s).
	TransactionTimeout time.Duration
	// OnCommit, if set, is called after every commit to the log with the
	// number of records and the position committed (tests, benchmarks).
	OnCommit func(records int, pos Position)
	Logger   *slog.Logger

	// Route, when set, decides per table of Databases where its changes
	// go: one record to each topic it returns, none (the table is not
	// captured) for an empty answer; Tables and Topic are then unused and
	// the topics must exist. The SQL mysql-cdc connector routes each table
	// to the topics of the SQL tables whose regular expressions match it.
	Route func(db, table string) []string
	// StartAt, with Snapshot = SnapshotNever and no stored position, is
	// where streaming starts instead of the server's current position.
	StartAt *Position
	// Since, when set, drops the row changes of binlog events older than
	// it (mysql-cdc's scan.startup.mode = 'timestamp').
	Since time.Time
	// StopAt, when set, makes Run return nil once it has committed a
	// position at or past it: a bounded capture (the binlog up to the
	// server's position when a drained SQL run started).
	StopAt *Position
	// Location is the zone TIMESTAMP columns are rendered in, by the
	// snapshot and the binlog alike, whatever the server's time_zone: a
	// TIMESTAMP is an instant (UTC in the binlog; the snapshot reads it in
	// UTC too), so the same instant is the same text before and after a
	// SET GLOBAL time_zone and a restart. `rtdw ingest mysql` passes the
	// warehouse zone (rtdw.yaml timezone, default Asia/Shanghai). Nil: the
	// server's zone as read when Run starts (the SQL mysql-cdc connector,
	// which reads the values back in the zone it learns from the server;
	// a change of the server's zone between runs then changes the text).
	Location *time.Location
}

// Run captures the server's changes into l until ctx ends (nil is
// returned then) or an error that retrying cannot fix.
func Run(ctx context.Context, l rlog.Log, cfg Config) error {
	if len(cfg.Databases) == 0 {
		return errors.New("mysqlcdc: no databases to capture")
	}
	switch cfg.Snapshot {
	case "":
		cfg.Snapshot = SnapshotInitial
	case SnapshotInitial, SnapshotNever, SnapshotOnly:
	default:
		return fmt.Errorf("mysqlcdc: snapshot mode %q: want initial, never or only", cfg.Snapshot)
	}
	if cfg.Topic == "" {
		cfg.Topic = "topic_db"
	}
	if cfg.Name == "" {
		cfg.Name = "mysql"
	}
	if cfg.BatchRecords <= 0 {
		cfg.BatchRecords = 5000
	}
	if cfg.FlushWait <= 0 {
		cfg.FlushWait = 5 * time.Millisecond
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 20 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.ServerID == 0 {
		cfg.ServerID = 1<<20 + rand.Uint32N(1<<30)
	}
	if cfg.TransactionalID == "" {
		cfg.TransactionalID = "rtdw-ingest-mysql-" + cfg.Name
	}
	if cfg.Route == nil {
		if _, err := l.DescribeTopic(ctx, cfg.Topic); err != nil {
			return fmt.Errorf("mysqlcdc: topic %s: %w", cfg.Topic, err)
		}
	}
	db, dsn, err := openDB(ctx, cfg.DSN)
	if err != nil {
		return err
	}
	defer db.Close()
	srv, err := checkServer(ctx, db, dsn)
	if err != nil {
		return err
	}
	f := newFilter(cfg.Databases, cfg.Tables)
	if cfg.Route != nil {
		f.route = cfg.Route
	}
	r := &reader{cfg: cfg, l: l, db: db, srv: srv, f: f, log: cfg.Logger, loc: cfg.Location}
	if r.loc == nil {
		r.loc = srv.loc
	}
	if r.cp, err = openPositions(ctx, l, cfg); err != nil {
		return err
	}
	defer r.cp.close()
	pos, sch, ok, err := r.cp.load(ctx)
	if err != nil {
		return err
	}
	if cfg.Reset {
		if err := r.cp.reset(); err != nil {
			return fmt.Errorf("mysqlcdc: reset: %w", err)
		}
		if err := r.commit(ctx, nil); err != nil {
			return err
		}
		pos, sch, ok = Position{}, nil, false
	}
	switch {
	case !ok && cfg.Snapshot == SnapshotNever:
		if cfg.StartAt != nil {
			pos = Position{File: cfg.StartAt.File, Pos: cfg.StartAt.Pos}
		} else if pos, err = binlogPosition(ctx, db); err != nil {
			return err
		}
		if pos.GTIDSet, err = r.gtidSetAt(ctx, db, pos); err != nil {
			return err
		}
		if sch, err = loadSchemas(ctx, db, r.f); err != nil {
			return err
		}
		r.sch = sch
		if err := r.cp.putSchemas(sch); err != nil {
			return err
		}
		if err := r.cp.putPosition(pos); err != nil {
			return err
		}
		if err := r.commit(ctx, nil); err != nil {
			return err
		}
		if cfg.OnCommit != nil {
			cfg.OnCommit(0, pos)
		}
	case !ok:
		if pos, err = r.snapshot(ctx); err != nil {
			if ctx.Err() != nil {
				return nil // stopped: the next run snapshots again
			}
			return err
		}
	default:
		r.sch = sch
		if r.sch == nil {
			if r.sch, err = loadSchemas(ctx, db, r.f); err != nil {
				return err
			}
		}
		r.log.Info("mysqlcdc: resuming", "position", pos.String())
		if cfg.OnCommit != nil {
			cfg.OnCommit(0, pos)
		}
	}
	if cfg.Snapshot == SnapshotOnly {
		if ok {
			r.log.Warn("mysqlcdc: --snapshot only: a position is already stored, nothing to do (--reset snapshots again)", "position", pos.String())
		}
		return nil
	}
	if cfg.StopAt != nil && pos.Reached(*cfg.StopAt) {
		return nil
	}
	const minBackoff = 200 * time.Millisecond
	backoff := minBackoff
	for {
		began := time.Now()
		err := r.stream(ctx, pos)
		if ctx.Err() != nil || errors.Is(err, errStopped) {
			return nil
		}
		if fatal(err) {
			return err
		}
		if time.Since(began) > time.Minute {
			backoff = minBackoff // it had been working: a new incident
		}
		r.log.Warn("mysqlcdc: binlog stream broke; resuming from the last commit", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
		// Changes not committed are read again from the committed position.
		r.cp.discard()
		if pos, r.sch, _, err = r.cp.load(ctx); err != nil {
			return err
		}
	}
}

// fatal tells whether a stream error needs the user (not a retry).
func fatal(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, replication.ErrNeedSyncAgain) {
		return false
	}
	return errors.Is(err, ErrPositionPurged) || errors.Is(err, ErrPrivileges) || errors.Is(err, errSchema) ||
		errors.Is(err, rlog.ErrClosed) || errors.Is(err, kafka.ErrFenced)
}

var errSchema = errors.New("row does not match the table's columns")

// errStopped ends a stream that committed Config.StopAt.
var errStopped = errors.New("mysqlcdc: reached the stop position")

type reader struct {
	cfg Config
	l   rlog.Log
	db  *sql.DB
	srv *server
	f   filter
	sch schemas
	cp  positions
	log *slog.Logger
	loc *time.Location // TIMESTAMP columns are rendered in it (Config.Location)

	recs []rlog.Record
}

// commit writes recs and the pending position and schemas atomically.
func (r *reader) commit(ctx context.Context, recs []rlog.Record) error {
	return r.cp.commit(ctx, recs)
}

func (r *reader) record(c *change, value []byte) rlog.Record {
	return rlog.Record{Topic: r.cfg.Topic, Partition: rlog.AutoPartition, Key: c.key, Value: value, Timestamp: c.ts * 1000,
		Headers: c.headers()}
}

// appendRecords appends the records of a change: one to Topic, or one to
// each topic Route names for its table.
func (r *reader) appendRecords(dst []rlog.Record, c *change, value []byte) []rlog.Record {
	rec := r.record(c, value)
	if r.cfg.Route == nil {
		return append(dst, rec)
	}
	for _, topic := range r.cfg.Route(c.db, c.name) {
		rec.Topic = topic
		dst = append(dst, rec)
	}
	return dst
}

// txn collects one binlog transaction's captured changes until its end.
type txn struct {
	changes []change
}

// stream reads the binlog from pos until ctx ends or the stream breaks.
func (r *reader) stream(ctx context.Context, pos Position) error {
	host, portS, err := net.SplitHostPort(r.srv.addr)
	if err != nil {
		return fmt.Errorf("mysqlcdc: address %q: %w", r.srv.addr, err)
	}
	port, _ := strconv.Atoi(portS)
	// Records read but not committed by a previous stream are read again.
	clear(r.recs)
	r.recs = r.recs[:0]
	files, err := binlogFiles(ctx, r.db)
	if err != nil {
		if perr := privilegeError(err, r.srv.user, r.srv.addr); perr != nil {
			return perr
		}
		return err
	}
	known := pos.GTIDSet != ""
	if !known && r.srv.flavor == gmysql.MariaDBFlavor && files[pos.File] {
		// A position stored without its GTID state (an older reader, or
		// no GTID yet): compute it, so the set can be tracked from here.
		if pos.GTIDSet, err = r.gtidSetAt(ctx, r.db, pos); err == nil {
			known = true
		}
	}
	// By GTID when the state is known: it names transactions, not a
	// file, so it survives a failover to a server with other binlog files.
	byGTID := pos.GTIDSet != ""
	if !byGTID && !files[pos.File] {
		return r.purged(pos, nil)
	}
	gtids, err := newGTIDTracker(r.srv.flavor, pos.GTIDSet, known)
	if err != nil {
		return err
	}
	syncer := replication.NewBinlogSyncer(replication.BinlogSyncerConfig{
		ServerID: r.cfg.ServerID, Flavor: r.srv.flavor, Host: host, Port: uint16(port),
		User: r.srv.user, Password: r.srv.pass, Charset: "utf8mb4",
		TimestampStringLocation: r.loc, DisableRetrySync: true,
		HeartbeatPeriod: 10 * time.Second, ReadTimeout: 60 * time.Second,
		Logger: quietLogger(r.log),
	})
	defer syncer.Close()
	var s *replication.BinlogStreamer
	if byGTID {
		set, perr := gmysql.ParseGTIDSet(r.srv.flavor, pos.GTIDSet)
		if perr != nil {
			return fmt.Errorf("mysqlcdc: stored GTID set %q: %w", pos.GTIDSet, perr)
		}
		s, err = syncer.StartSyncGTID(set)
	} else {
		s, err = syncer.StartSync(gmysql.Position{Name: pos.File, Pos: pos.Pos})
	}
	if err != nil {
		return r.streamError(pos, err)
	}
	r.log.Info("mysqlcdc: streaming", "position", pos.String(), "flavor", r.srv.flavor, "by_gtid", byGTID)

	cur := pos       // the position after the last complete transaction
	committed := pos // the position of the last commit
	var gtid string  // GTID of the open transaction (MariaDB d-s-n, MySQL uuid:n)
	file := pos.File // the binlog file events come from
	// end moves cur to the end of the event group ending at ev.
	end := func(ev *replication.BinlogEvent) error {
		set, err := gtids.add(gtid)
		if err != nil {
			return err
		}
		cur = Position{File: file, Pos: ev.Header.LogPos, GTID: gtid, GTIDSet: set}
		if gtid == "" {
			cur.GTID = committed.GTID
		}
		gtid = ""
		return nil
	}
	var t txn      // the open transaction's changes
	var recs int   // records pending since the last commit
	dirty := false // cur moved past committed
	lastCommit := time.Now()
	var oldest time.Time // when the oldest pending record was read
	flush := func(ctx context.Context) error {
		if err := r.cp.putPosition(cur); err != nil {
			return err
		}
		n := len(r.recs)
		if err := r.commit(ctx, r.recs); err != nil {
			return err
		}
		clear(r.recs)
		r.recs = r.recs[:0]
		recs, dirty, committed, lastCommit = 0, false, cur, time.Now()
		if r.cfg.OnCommit != nil {
			r.cfg.OnCommit(n, cur)
		}
		return nil
	}
	// stop commits and ends the stream once it reached StopAt, between
	// transactions.
	stop := func(ctx context.Context) error {
		if r.cfg.StopAt == nil || len(t.changes) > 0 || gtid != "" || !cur.Reached(*r.cfg.StopAt) {
			return nil
		}
		if dirty {
			if err := flush(ctx); err != nil {
				return err
			}
		}
		return errStopped
	}
	for {
		var ev *replication.BinlogEvent
		if dirty && (recs > 0 || time.Since(lastCommit) > time.Second) {
			wctx, cancel := context.WithTimeout(ctx, r.cfg.FlushWait)
			ev, err = s.GetEvent(wctx)
			cancel()
			if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
				// The server has nothing more right now: commit what we have.
				if err := flush(ctx); err != nil {
					return err
				}
				continue
			}
		} else {
			ev, err = s.GetEvent(ctx)
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return r.streamError(cur, err)
		}
		switch e := ev.Event.(type) {
		case *replication.RotateEvent:
			file = string(e.NextLogName)
			if byGTID && ev.Header.Timestamp == 0 {
				// The server's fake rotate when streaming starts by GTID
				// names the file but not where in it the stream resumes:
				// the position is known at the first event group's end.
				break
			}
			if len(t.changes) == 0 {
				cur.File, cur.Pos = file, uint32(e.Position)
				dirty = dirty || cur != committed
			}
		case *replication.FormatDescriptionEvent, *replication.MariadbGTIDListEvent, *replication.MariadbBinlogCheckPointEvent,
			*replication.PreviousGTIDsEvent:
			// Events of a binlog file's header, never inside a transaction:
			// a bounded run whose stop position follows them (a server
			// that rotated its binlog and wrote nothing since) is done
			// once they are read.
			at := Position{File: file, Pos: ev.Header.LogPos, GTID: cur.GTID, GTIDSet: cur.GTIDSet}
			if r.cfg.StopAt != nil && ev.Header.LogPos > 0 && len(t.changes) == 0 && gtid == "" &&
				at.Reached(*r.cfg.StopAt) && at.Reached(cur) {
				cur, dirty = at, true
			}
		case *replication.MariadbGTIDEvent:
			gtid = fmt.Sprintf("%d-%d-%d", e.GTID.DomainID, e.GTID.ServerID, e.GTID.SequenceNumber)
		case *replication.GTIDEvent:
			if g, err := e.GTIDNext(); err == nil {
				gtid = g.String()
			}
		case *replication.RowsEvent:
			if err := r.rows(ctx, ev, e, &t); err != nil {
				return err
			}
		case *replication.XIDEvent:
			if recs == 0 {
				oldest = time.Now()
			}
			recs += r.endTxn(&t, e.XID)
			if err := end(ev); err != nil {
				return err
			}
			dirty = true
			if recs > 0 && time.Since(oldest) >= r.cfg.MaxDelay {
				// Under steady load events never pause: commit by age too.
				if err := flush(ctx); err != nil {
					return err
				}
			}
		case *replication.QueryEvent:
			q := strings.TrimSpace(string(e.Query))
			switch {
			case strings.EqualFold(q, "BEGIN"):
			case strings.EqualFold(q, "COMMIT"):
				// Transactions of non-transactional tables end so.
				recs += r.endTxn(&t, 0)
				if err := end(ev); err != nil {
					return err
				}
				dirty = true
			default:
				if err := end(ev); err != nil {
					return err
				}
				dirty = true
				changed, err := r.ddl(ctx, string(e.Schema), q)
				if err != nil {
					return err
				}
				if changed {
					// The new layout is committed with the position after
					// the DDL, so a restart decodes later rows with it.
					if err := r.cp.putSchemas(r.sch); err != nil {
						return err
					}
					if err := flush(ctx); err != nil {
						return err
					}
				}
			}
		}
		if recs >= r.cfg.BatchRecords {
			if err := flush(ctx); err != nil {
				return err
			}
		}
		if err := stop(ctx); err != nil {
			return err
		}
	}
}

// endTxn turns the transaction's changes into records; it returns how many.
func (r *reader) endTxn(t *txn, xid uint64) int {
	n := len(t.changes)
	for i := range t.changes {
		c := &t.changes[i]
		r.recs = r.appendRecords(r.recs, c, c.txnValue(xid, i, n))
	}
	clear(t.changes)
	t.changes = t.changes[:0]
	return n
}

// rows renders a rows event of a captured table into t.
func (r *reader) rows(ctx context.Context, ev *replication.BinlogEvent, e *replication.RowsEvent, t *txn) error {
	db, name := string(e.Table.Schema), string(e.Table.Table)
	if !r.f.captured(db, name) {
		return nil
	}
	if !r.cfg.Since.IsZero() && time.Unix(int64(ev.Header.Timestamp), 0).Before(r.cfg.Since) {
		return nil
	}
	tbl := r.sch[tableKey(db, name)]
	width := int(e.ColumnCount)
	if tbl == nil || len(tbl.Cols) != width {
		// A table or layout we have not seen (created, or changed by a DDL
		// we could not attribute): read it again.
		s, err := loadSchemas(ctx, r.db, r.f)
		if err != nil {
			return err
		}
		r.sch = s
		if tbl = r.sch[tableKey(db, name)]; tbl == nil || len(tbl.Cols) != width {
			have := -1
			if tbl != nil {
				have = len(tbl.Cols)
			}
			return fmt.Errorf("mysqlcdc: %w: %s.%s has %d columns in the binlog, %d in information_schema "+
				"(more DDL followed on the server since this position); re-snapshot with `rtdw ingest mysql --reset`",
				errSchema, db, name, width, have)
		}
		if err := r.cp.putSchemas(r.sch); err != nil {
			return err
		}
	}
	ts := int64(ev.Header.Timestamp)
	render := func(row []any) [][]byte {
		out := make([][]byte, len(tbl.Cols))
		for j := range tbl.Cols {
			var v any
			if j < len(row) {
				v = row[j]
			}
			out[j] = appendBinlog(nil, &tbl.Cols[j], v)
		}
		return out
	}
	switch e.Type() {
	case replication.EnumRowsEventTypeInsert:
		for _, row := range e.Rows {
			t.changes = append(t.changes, newChange(tbl, typeInsert, ts, render(row), nil))
		}
	case replication.EnumRowsEventTypeDelete:
		for _, row := range e.Rows {
			t.changes = append(t.changes, newChange(tbl, typeDelete, ts, render(row), nil))
		}
	case replication.EnumRowsEventTypeUpdate:
		for i := 0; i+1 < len(e.Rows); i += 2 {
			t.changes = append(t.changes, newChange(tbl, typeUpdate, ts, render(e.Rows[i+1]), render(e.Rows[i])))
		}
	}
	return nil
}

// ddl follows a DDL statement: captured layouts change as the statement
// says (applyDDL); a statement the parser cannot read that may touch a
// captured database makes the layouts be read again from the server.
// DDL of other databases is ignored. It reports whether a layout changed.
func (r *reader) ddl(ctx context.Context, schema, q string) (bool, error) {
	next := schemas{}
	for k, t := range r.sch {
		c := *t
		c.Cols, c.PK = slices.Clone(t.Cols), slices.Clone(t.PK)
		next[k] = &c
	}
	changed, ok := applyDDL(next, r.f, schema, q)
	if !ok {
		lq := strings.ToLower(q)
		touches := r.f.dbs[schema]
		for d := range r.f.dbs {
			if strings.Contains(lq, strings.ToLower(d)) {
				touches = true
			}
		}
		if !touches {
			return false, nil
		}
		r.log.Warn("mysqlcdc: DDL not understood; reading table layouts from the server", "ddl", truncate(q, 200))
		s, err := loadSchemas(ctx, r.db, r.f)
		if err != nil {
			return false, err
		}
		next, changed = s, string(s.encode()) != string(r.sch.encode())
	}
	if changed {
		r.log.Info("mysqlcdc: table layout changed", "ddl", truncate(q, 200))
		r.sch = next
	}
	return changed, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// streamError explains the errors a user must fix.
func (r *reader) streamError(pos Position, err error) error {
	var me *gmysql.MyError
	if errors.As(err, &me) {
		switch me.Code {
		case 1236: // ER_MASTER_FATAL_ERROR_READING_BINLOG
			return r.purged(pos, err)
		case 1227, 1044, 1045:
			return fmt.Errorf("mysqlcdc: %w for user %q on %s: %s; run as an admin: "+
				"GRANT SELECT, RELOAD, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '%s'@'%%'",
				ErrPrivileges, r.srv.user, r.srv.addr, me.Message, r.srv.user)
		}
	}
	return fmt.Errorf("mysqlcdc: binlog stream from %s: %w", pos, err)
}

func (r *reader) purged(pos Position, err error) error {
	detail := "the server no longer has binlog file " + pos.File
	if err != nil {
		detail = err.Error()
	}
	return fmt.Errorf("mysqlcdc: %w: resume position %s: %s (purged: binlog_expire_logs_seconds/expire_logs_days or PURGE BINARY LOGS). "+
		"Changes since then are lost to the binlog; re-snapshot with `rtdw ingest mysql --reset ...` "+
		"(forgets the position and snapshots every table again: bootstrap-start, bootstrap-insert, bootstrap-complete), "+
		"and keep binlogs longer than the reader may be down",
		ErrPositionPurged, pos, detail)
}

// quietLogger keeps go-mysql's own lines out of the log: every error it
// meets comes back to the reader, which logs or returns it with context.
func quietLogger(l *slog.Logger) *slog.Logger {
	return slog.New(levelHandler{l.Handler(), slog.LevelError + 1})
}

type levelHandler struct {
	slog.Handler
	min slog.Level
}

func (h levelHandler) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= h.min && h.Handler.Enabled(ctx, lv)
}

func (h levelHandler) WithAttrs(a []slog.Attr) slog.Handler {
	return levelHandler{h.Handler.WithAttrs(a), h.min}
}

func (h levelHandler) WithGroup(n string) slog.Handler {
	return levelHandler{h.Handler.WithGroup(n), h.min}
}
