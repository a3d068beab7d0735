package connector

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/connector/streamload"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'starrocks' and 'doris' connectors: sinks into a StarRocks PRIMARY
// KEY table or a Doris UNIQUE KEY (merge-on-write) table with Stream Load
// (internal/connector/streamload), with the option names of the Flink
// connectors of StarRocks (jdbc-url, load-url, database-name, table-name)
// and Doris (fenodes, table.identifier; the StarRocks names work too).
// The table must exist (the sink does not create it); the DDL's PRIMARY
// KEY, required, is its key.
//
// Each task buffers its rows, one operation per key (the last), and loads
// them before its checkpoint commits: one JSON load per flush (a JSON
// array for StarRocks, JSON lines for Doris, fields named after the
// columns; 'sink.properties.*' are sent as Stream Load headers). A -D row
// is loaded with StarRocks' `__op` = 1 (the `columns` header lists the
// columns and __op) or Doris' `__DORIS_DELETE_SIGN__` = 1 (the
// `hidden_columns` header), so upserts and deletes go in one load.
//
// Exactly-once: the load's label is derived from the job, the task, the
// checkpoint epoch (kept in the task's state, see the buffered sink in
// jdbc_sink_batch.go), the flush and a hash of the body; the label
// prefix is 'sink.label-prefix'. A crash after the load and before the
// checkpoint commits replays the same rows: when they make the same batch
// the label is reused and Stream Load refuses it ("Label Already Exists":
// not loaded twice); when the replay cut its batches elsewhere the new
// batch loads, and since every row is an upsert or delete by key, the
// table ends as after one load. Without a PRIMARY KEY (a duplicate-key
// table) a replay could load rows twice, so the DDL must declare one.
// 'sink.semantic', 'sink.version', 'sink.enable-2pc' and the like are
// accepted: the labels give the guarantee. Rows load at checkpoints (and
// whenever 'sink.buffer-flush.max-rows' rows are buffered);
// 'sink.buffer-flush.interval-ms' and the byte limits are accepted.

var starrocksIgnored = []string{"jdbc-url", "sink.version", "sink.semantic", "sink.buffer-flush.interval-ms",
	"sink.buffer-flush.interval", "sink.connect.timeout-ms", "sink.wait-for-continue.timeout-ms", "sink.io.thread-count", "sink.parallelism",
	"sink.ignore.update-before", "sink.chunk-limit", "sink.scan-frequency.ms", "sink.exactly-once.enable-label-gen",
	"sink.exactly-once.enable-abort-lingering-txn", "sink.exactly-once.check-num-lingering-txn", "sink.use.new-sink-api",
	"sink.socket.timeout-ms", "sink.at-least-once.use-transaction-stream-load", "sink.enable-2pc", "sink.buffer-size", "sink.buffer-count",
	"sink.check-interval", "sink.enable.batch-mode", "sink.flush.queue-size", "sink.use-cache", "sink.retry.interval-ms",
	"sink.metric.histogram-window-size", "sink.publish-timeout.ms", "sink.sanitize-error-log", "sink.wrap-json-as-array",
	"sink.transaction.multi-table.enabled", "sink.write-mode", "sink.ignore.commit-error", "sink.http-utf8-charset"}

func streamLoadOptions(kind string) []OptionSpec {
	opts := []OptionSpec{
		spec("jdbc-url", "", false, "The FE's MySQL address (jdbc:mysql://fe:9030): accepted; the sink only uses Stream Load."),
		spec("load-url", "", kind == olap.KindStarRocks, "The FE's HTTP address, fe:8030 (several separated by ';': the first is used)."),
		spec("database-name", "", false, "Database of the table."),
		spec("table-name", "", false, "Table to load into; it must exist, with the DDL's columns and key."),
		spec("username", "root", false, "User."),
		spec("password", "", false, "Password."),
		spec("sink.label-prefix", "rtdw", false, "Prefix of the load labels."),
		spec("sink.properties.*", "", false, "Stream Load headers (format must be json; strip_outer_array / read_json_by_line are set by rtdw)."),
		spec("sink.buffer-flush.max-rows", "500000", false, "Load early when this many rows (keys) are buffered; otherwise rows load at each checkpoint."),
		spec("sink.buffer-flush.max-bytes", "94371840", false, "A load's largest body in bytes (default 90 MB): a bigger batch loads in several (StarRocks refuses JSON over 100 MB unless 'ignore_json_size', which rtdw sets unless told otherwise)."),
		spec("sink.buffer-flush.*", "", false, "Other buffer limits (interval-ms): accepted; rows load at each checkpoint."),
		spec("sink.max-retries", "3", false, "Retries of a failed load before the task fails (and restarts from its checkpoint)."),
		spec("sink.semantic", "exactly-once", false, "Accepted: the sink is exactly-once by its labels."),
		spec("sink.version", "AUTO", false, "Accepted and not used."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
		spec("sink.ignore.update-before", "true", false, "Accepted: a -U deletes its key unless its +U follows in the same load, as it does but when a filter or a change of key dropped the +U (loads never fall between the two)."),
	}
	if kind == olap.KindDoris {
		opts = append(opts,
			spec("fenodes", "", false, "Doris' name of 'load-url': the FE's HTTP address, fe:8030 (one of the two is required)."),
			spec("table.identifier", "", false, "Doris' name of the table: db.table (or 'database-name' and 'table-name')."),
			spec("sink.enable-delete", "true", false, "Apply -D rows (with __DORIS_DELETE_SIGN__); false: -D rows are dead-lettered."),
			spec("sink.enable-2pc", "true", false, "Accepted: the labels make the loads exactly-once."),
			spec("benodes", "", false, "Accepted and not used: loads go through the FE."),
			spec("auto-redirect", "true", false, "Accepted: loads go through the FE, which redirects."),
			spec("doris.request.*", "", false, "Accepted and not used."),
		)
	}
	for _, k := range starrocksIgnored {
		if !slices.ContainsFunc(opts, func(o OptionSpec) bool { return o.Key == k }) {
			opts = append(opts, spec(k, "", false, "Accepted and not used."))
		}
	}
	return opts
}

var (
	starrocksFactory = &Factory{
		Name:    "starrocks",
		Doc:     "Sink into a StarRocks PRIMARY KEY table with Stream Load: upserts and deletes (__op) by the PRIMARY KEY, exactly-once by deterministic labels.",
		Options: streamLoadOptions(olap.KindStarRocks),
	}
	dorisFactory = &Factory{
		Name:    "doris",
		Doc:     "Sink into a Doris UNIQUE KEY table with Stream Load: upserts and deletes (__DORIS_DELETE_SIGN__) by the PRIMARY KEY, exactly-once by deterministic labels.",
		Options: streamLoadOptions(olap.KindDoris),
	}
)

func init() {
	starrocksFactory.NewSink = func(ctx *Context, t *Table) (Sink, error) { return newStreamLoadSink(ctx, t, olap.KindStarRocks) }
	dorisFactory.NewSink = func(ctx *Context, t *Table) (Sink, error) { return newStreamLoadSink(ctx, t, olap.KindDoris) }
	Register(starrocksFactory)
	Register(dorisFactory)
}

type streamLoadSink struct {
	ctx          *Context
	t            *Table
	kind         string
	opts         streamload.Options
	table        string
	prefix       string
	headers      map[string]string
	deletes      bool
	maxBytes     int // sink.buffer-flush.max-bytes: a load's largest body
	spec         extSpec
	columnHeader string
}

// feURL turns 'fe:8030' or 'http://fe:8030' (the first of a ';' list)
// into an http URL.
func feURL(s string) (string, error) {
	s = strings.TrimSpace(strings.Split(s, ";")[0])
	s = strings.TrimSpace(strings.Split(s, ",")[0])
	if !strings.Contains(s, "://") {
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("'%s' is not host:port", s)
	}
	return strings.TrimSuffix(u.String(), "/"), nil
}

// queryAddrOf reads host:port of jdbc:mysql://host:port/...; default the
// FE's host with port 9030.
func queryAddrOf(jdbcURL, fe string) string {
	if rest, ok := strings.CutPrefix(jdbcURL, "jdbc:mysql://"); ok {
		host := strings.Split(strings.Split(rest, "/")[0], ",")[0]
		if _, _, err := net.SplitHostPort(host); err == nil {
			return host
		}
		if host != "" {
			return net.JoinHostPort(host, "9030")
		}
	}
	u, _ := url.Parse(fe)
	return net.JoinHostPort(u.Hostname(), "9030")
}

func newStreamLoadSink(ctx *Context, t *Table, kind string) (Sink, error) {
	f := starrocksFactory
	if kind == olap.KindDoris {
		f = dorisFactory
	}
	if err := checkOptions(ctx, f, t, starrocksIgnored); err != nil {
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
		return nil, fmt.Errorf("%s: the %s sink needs a PRIMARY KEY (...) NOT ENFORCED, the key of the %s table: rows are upserted and deleted by it, which makes a replayed load harmless (appending into a duplicate-key table would not be exactly-once)",
			where(f, t), kind, map[string]string{olap.KindDoris: "UNIQUE KEY", olap.KindStarRocks: "PRIMARY KEY"}[kind])
	}
	s := &streamLoadSink{ctx: ctx, t: t, kind: kind, headers: map[string]string{}, deletes: true}
	fe := opt(t, "load-url", opt(t, "fenodes", ""))
	if fe == "" {
		return nil, fmt.Errorf("%s: option 'load-url' is required (Doris: 'fenodes')", where(f, t))
	}
	feu, err := feURL(fe)
	if err != nil {
		return nil, fmt.Errorf("%s: 'load-url': %v", where(f, t), err)
	}
	db, table := opt(t, "database-name", ""), opt(t, "table-name", "")
	if id, ok := t.Options["table.identifier"]; ok {
		d, tb, ok := strings.Cut(id, ".")
		if !ok || d == "" || tb == "" {
			return nil, fmt.Errorf("%s: 'table.identifier' = '%s': want db.table", where(f, t), id)
		}
		db, table = d, tb
	}
	if db == "" || table == "" {
		return nil, fmt.Errorf("%s: options 'database-name' and 'table-name' are required (Doris: or 'table.identifier')", where(f, t))
	}
	for _, id := range []string{db, table} {
		if !identRE.MatchString(id) {
			return nil, fmt.Errorf("%s: name '%s' must match %s", where(f, t), id, identRE)
		}
	}
	s.table = table
	s.opts = streamload.Options{Kind: kind, FE: feu, QueryAddr: queryAddrOf(opt(t, "jdbc-url", ""), feu),
		User: opt(t, "username", "root"), Password: opt(t, "password", ""), Database: db, Timeout: time.Minute}
	if err := s.opts.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %v", where(f, t), err)
	}
	s.prefix = opt(t, "sink.label-prefix", "rtdw")
	if s.prefix != "" && !strings.HasSuffix(s.prefix, "_") {
		s.prefix += "_"
	}
	if kind == olap.KindDoris {
		if s.deletes, err = boolOpt(f, t, "sink.enable-delete", true); err != nil {
			return nil, err
		}
	}
	for k, v := range t.Options {
		h, ok := strings.CutPrefix(k, "sink.properties.")
		if !ok {
			continue
		}
		switch strings.ToLower(h) {
		case "format":
			if !strings.EqualFold(v, "json") {
				return nil, fmt.Errorf("%s: '%s' = '%s': rtdw loads JSON (format json)", where(f, t), k, v)
			}
			continue
		case "strip_outer_array", "read_json_by_line", "columns", "hidden_columns", "label", "jsonpaths":
			continue // set by the sink
		}
		s.headers[h] = v
	}
	var names []string
	for _, c := range l.physical {
		col := t.Schema.Column(c)
		names = append(names, col.Name)
	}
	if kind == olap.KindStarRocks {
		s.headers["columns"] = strings.Join(slices.Concat(quoteAll(names), []string{"__op"}), ",")
	} else if s.deletes {
		s.headers["hidden_columns"] = "__DORIS_DELETE_SIGN__"
	}
	maxRows, retries, err := extOptions(f, t, "sink.buffer-flush.max-rows", 500000, "sink.max-retries", 3)
	if err != nil {
		return nil, err
	}
	maxBytes, err := intOpt(f, t, "sink.buffer-flush.max-bytes", 90<<20)
	if err != nil {
		return nil, err
	}
	if maxBytes < 1 {
		return nil, fmt.Errorf("%s: 'sink.buffer-flush.max-bytes' must be positive", where(f, t))
	}
	s.maxBytes = int(maxBytes)
	if _, set := s.headers["ignore_json_size"]; !set && kind == olap.KindStarRocks {
		s.headers["ignore_json_size"] = "true" // as the StarRocks connector sets for JSON
	}
	s.spec = extSpec{name: nodeName(kind+"_sink", t), l: l, key: t.PrimaryKey, maxRows: maxRows, retries: retries, backoff: 200 * time.Millisecond,
		open: s.openTask}
	if !s.deletes {
		s.spec.refuseDelete = "doris: 'sink.enable-delete' is false: the -D row is not applied"
	}
	return s, nil
}

// quoteAll puts StarRocks' backquotes around names in the columns header.
func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = "`" + n + "`"
	}
	return out
}

func (s *streamLoadSink) Accepts() ChangelogMode { return Retract }

func (s *streamLoadSink) Attach(st stream.Stream) error {
	attachExt(st, &s.spec)
	return nil
}

func (s *streamLoadSink) openTask(ctx *stream.Context) (extWriter, error) {
	id := fmt.Sprintf("streamload|%s|%s|%s|%s|%s", s.opts.Kind, s.opts.FE, s.opts.QueryAddr, s.opts.User, s.opts.Database)
	sink, err := shared(id, func() (*streamload.Sink, error) {
		return streamload.Open(context.Background(), s.opts)
	})
	if err != nil {
		return nil, err
	}
	enc, err := newExtJSON(s.ctx, s.t, s.spec.l.physical)
	if err != nil {
		return nil, err
	}
	return &streamLoadWriter{ctx: ctx, s: s, sink: sink, enc: enc}, nil
}

type streamLoadWriter struct {
	ctx  *stream.Context
	s    *streamLoadSink
	sink *streamload.Sink
	enc  *extJSON
	body []byte
}

// write loads the batch: one load, or one per 'sink.buffer-flush.max-bytes'
// of body (a replay cuts the same batch the same way, so each load keeps
// its label).
func (w *streamLoadWriter) write(ctx context.Context, b *extBatch) error {
	star := w.s.kind == olap.KindStarRocks
	body := w.body[:0]
	rows := 0
	load := func() error {
		if rows == 0 {
			return nil
		}
		if star {
			body = append(body, ']')
		}
		err := w.sink.Load(ctx, streamload.Request{Table: w.s.table, Label: b.label(w.s.prefix, body), Body: body, Header: w.s.headers})
		w.body, body, rows = body, body[:0], 0
		return err
	}
	for i := range b.Ops {
		op := &b.Ops[i]
		if rows == 0 && star {
			body = append(body, '[')
		}
		if star && rows > 0 {
			body = append(body, ',')
		}
		flag := `0`
		if op.Delete {
			flag = `1`
		}
		var ok bool
		body, ok = encodeOp(w.ctx, w.s.spec.name, body, op, func(dst []byte) ([]byte, error) {
			switch {
			case star:
				return w.enc.append(dst, &op.Row, `"__op":`+flag)
			case w.s.deletes:
				return w.enc.append(dst, &op.Row, `"__DORIS_DELETE_SIGN__":`+flag)
			}
			return w.enc.append(dst, &op.Row)
		})
		if !ok {
			if star && rows > 0 {
				body = body[:len(body)-1] // the comma before the row left out
			}
			if rows == 0 {
				body = body[:0]
			}
			continue
		}
		if !star {
			body = append(body, '\n')
		}
		rows++
		if w.s.maxBytes > 0 && len(body) >= w.s.maxBytes {
			if err := load(); err != nil {
				return err
			}
		}
	}
	return load()
}
