package connector

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fastjson"

	"github.com/rtdw/rtdw/internal/format"
	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/row"
	"github.com/rtdw/rtdw/internal/stream"
)

// The 'filesystem' connector: files under a directory, as Flink's, in the
// json, csv or raw format (one record per line; a csv record may span lines
// inside quotes) or in parquet (filesystem_parquet.go: one parquet file per
// in-progress file, its row groups buffered in memory up to
// 'parquet.block.size' and its footer written in PrepareCheckpoint, before
// the file is synced), with Hive-style partition directories
// (PARTITIONED BY (dt, hr) -> path/dt=2024-01-02/hr=08/) whose values are
// not repeated in the files.
//
// Sink (append, exactly-once): each task writes the rows of a checkpoint
// interval into one hidden in-progress file per partition directory,
// .part-<job>-<task>-<n>.<ext>.inprogress, where n numbers the task's
// intervals. Before the checkpoint commits (PrepareCheckpoint) the files
// are synced and closed and "interval n, these directories" is written to
// the task's state, which commits atomically with the input offsets. Once
// the checkpoint has committed (stream.CheckpointListener) the files are
// renamed to part-<job>-<task>-<n>.<ext>, which makes them visible, and a
// partition directory gets its success file ('success-file' policy).
// A crash before the commit leaves in-progress files that the restarted
// task deletes (their rows are replayed from the committed offsets into
// new files); a crash after the commit and before the renames leaves the
// committed interval in the restored state, and the restarted task renames
// its files first. Renames are idempotent, so every row is in exactly one
// visible file whatever the crash. The task finds its in-progress files by
// walking the path when it opens. Files roll at every checkpoint: the
// 'sink.rolling-policy.*' options are accepted and not used. Partitions
// are committed at every checkpoint that wrote to them (Flink's
// process-time trigger with no delay; 'partition-time' is accepted and
// commits the same way); 'metastore' is accepted and does nothing (there
// is no metastore).
//
// Source (bounded): the files under the path when the job starts (names
// starting with '.' or '_' are skipped, as Flink does), read in path
// order. rtdw's engine reads topics, so before the job starts
// (AddPrepare) their records are appended to an internal topic
// ("_rtdw-fs-<table>-<hash>"), each keyed by its file: a file's records
// that the topic already holds (counted per file) are not appended again,
// so a restart or a later run adds only new files and records appended
// to existing ones. Files are expected not to change otherwise. A parquet
// file's rows are copied as binary rows of the data columns (row.AppendRow),
// read from the file's columns by name; every file under the path is read
// as parquet, whatever its extension (Flink writes part files without one),
// and one that is not parquet fails the load.
// Metadata (Flink's): 'file.path' and 'file.name' (STRING), 'file.size'
// (BIGINT, the file's size when the record is read) and
// 'file.modification-time' (TIMESTAMP_LTZ(3), the file's modification
// time when its records were copied).

// fsMetadata are the filesystem source's metadata keys and their types.
var fsMetadata = map[string]row.Type{
	"file.path":              row.StringType.WithNotNull(true),
	"file.name":              row.StringType.WithNotNull(true),
	"file.size":              row.BigIntType.WithNotNull(true),
	"file.modification-time": row.TimestampLTZOf(3).WithNotNull(true),
}

var filesystemIgnored = []string{"sink.rolling-policy.*", "sink.partition-commit.delay", "sink.partition-commit.watermark-time-zone",
	"partition.time-extractor.*", "auto-compaction", "compaction.file-size", "sink.shuffle-by-partition.enable", "sink.parallelism", "source.path.regex-pattern"}

var filesystemFactory = &Factory{
	Name: "filesystem",
	Doc:  "Files under a directory (json, csv, raw, parquet) with partition directories: bounded source, exactly-once sink.",
	Options: []OptionSpec{
		spec("path", "", true, "Directory of the table (a source may name a single file)."),
		spec("format", "", true, "json, csv, raw or parquet; the CDC formats for a source."),
		spec("partition.default-name", "__DEFAULT_PARTITION__", false, "Directory name of a NULL or empty partition value."),
		spec("source.monitor-interval", "", false, "Not supported yet: the source reads the files present when the job starts."),
		spec("source.path.regex-pattern", "", false, "Accepted and not used."),
		spec("sink.rolling-policy.*", "", false, "file-size, rollover-interval, check-interval, inactivity-interval: accepted; rtdw rolls files at every checkpoint."),
		spec("sink.partition-commit.trigger", "process-time", false, "process-time or partition-time: partitions are committed at every checkpoint that wrote to them."),
		spec("sink.partition-commit.delay", "0 s", false, "Accepted and not used."),
		spec("sink.partition-commit.watermark-time-zone", "UTC", false, "Accepted and not used."),
		spec("sink.partition-commit.policy.kind", "", false, "Comma-separated: success-file writes the success file into committed partitions; metastore is accepted."),
		spec("sink.partition-commit.success-file.name", "_SUCCESS", false, "Name of the success file."),
		spec("partition.time-extractor.*", "", false, "Accepted and not used."),
		spec("auto-compaction", "false", false, "Accepted and not used."),
		spec("compaction.file-size", "", false, "Accepted and not used."),
		spec("sink.shuffle-by-partition.enable", "false", false, "Accepted and not used."),
		spec("sink.parallelism", "", false, "Accepted and not used."),
		spec("parquet.compression", "SNAPPY", false, "parquet: UNCOMPRESSED, SNAPPY, GZIP, ZSTD, BROTLI or LZ4_RAW (LZO and Hadoop's LZ4 are refused); 'parquet.compression.codec.zstd.level' (3) sets ZSTD's level."),
		spec("parquet.utc-timezone", "false", false, "parquet: true stores a timestamp's wall clock as if UTC; false converts it from the session time zone (Flink: the JVM's zone) to an instant."),
		spec("parquet.write.int64.timestamp", "false", false, "parquet: write TIMESTAMP and TIMESTAMP_LTZ as INT64 TIMESTAMP in 'parquet.timestamp.time.unit' rather than INT96."),
		spec("parquet.timestamp.time.unit", "micros", false, "parquet: millis, micros or nanos (INT64 timestamps; nanos holds 1677-09-21 to 2262-04-11 only)."),
		spec("parquet.block.size", "134217728", false, "parquet: bytes of values buffered before a row group is written (a file rolls at every checkpoint)."),
		spec("parquet.page.size", "1048576", false, "parquet: data page size in bytes; 'parquet.dictionary.page.size' (1048576) the dictionary page limit."),
		spec("parquet.enable.dictionary", "true", false, "parquet: dictionary encoding."),
		spec("parquet.writer.version", "PARQUET_1_0", false, "parquet: PARQUET_1_0 or PARQUET_2_0 (data page v2). Other parquet-mr options (parquet.validation, parquet.bloom.filter.*, ...) are accepted and not used; unknown parquet.* options are errors."),
	},
}

func init() {
	filesystemFactory.NewSource = func(ctx *Context, t *Table) (Source, error) {
		fsys, err := newFilesystem(ctx, t, true)
		if err != nil {
			return nil, err
		}
		return fsSource{fsys}, nil
	}
	filesystemFactory.NewSink = func(ctx *Context, t *Table) (Sink, error) {
		fsys, err := newFilesystem(ctx, t, false)
		if err != nil {
			return nil, err
		}
		return fsSinkTable{fsys}, nil
	}
	Register(filesystemFactory)
}

// fsSource and fsSinkTable are a filesystem table read or written.
type (
	fsSource    struct{ *filesystem }
	fsSinkTable struct{ *filesystem }
)

type filesystem struct {
	ctx         *Context
	t           *Table
	l           *layout
	path        string
	format      *format.Format // over dataCols; nil for parquet
	pq          *pqFormat      // 'format' = 'parquet'
	formatName  string
	dataSchema  *row.Schema // the dataCols
	dataCols    []int       // physical columns stored in the files
	partCols    []int       // partition columns, in PARTITIONED BY order
	defaultName string
	successFile string // "" without the success-file policy
	ext         string
	csv         bool
}

func newFilesystem(ctx *Context, t *Table, source bool) (*filesystem, error) {
	f := filesystemFactory
	name := opt(t, "format", "")
	if err := checkOptions(ctx, f, t, filesystemIgnored, name+"."); err != nil {
		return nil, err
	}
	switch name {
	case "orc", "avro":
		return nil, fmt.Errorf("%s: format '%s' is not supported yet (json, csv, raw, parquet)", where(f, t), name)
	}
	if name != "parquet" {
		for k := range t.Options {
			if strings.HasPrefix(k, "parquet.") {
				return nil, fmt.Errorf("%s: unsupported option '%s': the format is '%s'", where(f, t), k, name)
			}
		}
	}
	l, err := newLayout(t)
	if err != nil {
		return nil, err
	}
	fsys := &filesystem{ctx: ctx, t: t, l: l, path: filepath.Clean(opt(t, "path", "")),
		defaultName: opt(t, "partition.default-name", "__DEFAULT_PARTITION__"), ext: "." + name, csv: name == format.CSV, formatName: name}
	if strings.HasPrefix(fsys.path, "file:") {
		fsys.path = filepath.Clean(strings.TrimPrefix(strings.TrimPrefix(opt(t, "path", ""), "file:"), "//"))
	}
	if _, ok := t.Options["source.monitor-interval"]; ok {
		return nil, fmt.Errorf("%s: 'source.monitor-interval' is not supported yet: the source reads the files present when the job starts", where(f, t))
	}
	for _, c := range t.PartitionKeys {
		if _, isMeta := l.meta[c]; isMeta {
			return nil, fmt.Errorf("%s: partition column %s is a metadata column", where(f, t), t.Schema.Column(c).Name)
		}
		if k := t.Schema.Column(c).Type.Kind; k == row.KindArray || k == row.KindMap || k == row.KindRow || k == row.KindMultiset {
			return nil, fmt.Errorf("%s: partition column %s cannot be of type %s", where(f, t), t.Schema.Column(c).Name, t.Schema.Column(c).Type)
		}
	}
	fsys.partCols = slices.Clone(t.PartitionKeys)
	for _, c := range l.physical {
		if !slices.Contains(fsys.partCols, c) {
			fsys.dataCols = append(fsys.dataCols, c)
		}
	}
	if len(fsys.dataCols) == 0 {
		return nil, fmt.Errorf("%s: every column is a partition column: the files would hold nothing", where(f, t))
	}
	ds, err := l.subSchema(fsys.dataCols, "")
	if err != nil {
		return nil, err
	}
	fsys.dataSchema = ds
	if name == "parquet" {
		if fsys.pq, err = newParquetFormat(ctx, t, ds); err != nil {
			return nil, err
		}
	} else {
		if fsys.format, err = format.FromOptions(ds, t.Options, ""); err != nil {
			return nil, fmt.Errorf("%s: %w", where(f, t), err)
		}
		fsys.format = withLoc(ctx, t, fsys.format)
	}
	for _, m := range t.Metadata {
		key := l.metaKey(m)
		typ, ok := fsMetadata[key]
		if !ok {
			return nil, fmt.Errorf("%s: column %s: unknown metadata key '%s' (available: file.modification-time, file.name, file.path, file.size)", where(f, t), t.Schema.Column(m.Index).Name, key)
		}
		if col := t.Schema.Column(m.Index).Type; !metaCastable(typ, col) && !(typ.IsString() && col.IsString()) {
			return nil, fmt.Errorf("%s: column %s: metadata '%s' is %s and cannot be read as %s", where(f, t), t.Schema.Column(m.Index).Name, key, typ, col)
		}
		if !source && !m.Virtual {
			return nil, fmt.Errorf("%s: column %s: metadata '%s' cannot be written; declare the column VIRTUAL", where(f, t), t.Schema.Column(m.Index).Name, key)
		}
	}
	if _, err := enumOpt(f, t, "sink.partition-commit.trigger", "process-time", "process-time", "partition-time"); err != nil {
		return nil, err
	}
	for _, p := range strings.Split(opt(t, "sink.partition-commit.policy.kind", ""), ",") {
		switch p = strings.ToLower(strings.TrimSpace(p)); p {
		case "":
		case "success-file":
			fsys.successFile = opt(t, "sink.partition-commit.success-file.name", "_SUCCESS")
		case "metastore":
		default:
			return nil, fmt.Errorf("%s: 'sink.partition-commit.policy.kind': '%s' is not supported (success-file, metastore)", where(f, t), p)
		}
	}
	if !source && fsys.format != nil && fsys.format.Changelog() != format.InsertOnly {
		return nil, fmt.Errorf("%s: the filesystem sink is append-only: format '%s' is a changelog format", where(f, t), name)
	}
	return fsys, nil
}

// Mode: the format's (a CDC format makes a retract source).
func (src fsSource) Mode() ChangelogMode { return src.mode() }

func (fsys *filesystem) mode() ChangelogMode {
	if fsys.format != nil && fsys.format.Changelog() == format.AllKinds {
		return Retract
	}
	return InsertOnly
}

// Accepts: the filesystem sink is append-only, as Flink's.
func (fsSinkTable) Accepts() ChangelogMode { return InsertOnly }

// partitionDir is the relative directory of a row's partition values.
func (fsys *filesystem) partitionDir(r *row.Row) string {
	if len(fsys.partCols) == 0 {
		return ""
	}
	var b strings.Builder
	for i, c := range fsys.partCols {
		if i > 0 {
			b.WriteByte('/')
		}
		b.WriteString(escapePartition(fsys.t.Schema.Column(c).Name))
		b.WriteByte('=')
		v := r.Values[c]
		text := ""
		if !v.IsNull() {
			if v.Kind() == row.KindChar || v.Kind() == row.KindVarChar {
				text = v.Str()
			} else {
				text = v.String()
			}
		}
		if text == "" {
			b.WriteString(fsys.defaultName)
		} else {
			b.WriteString(escapePartition(text))
		}
	}
	return b.String()
}

// escapePartition escapes a partition name or value as Hive and Flink do:
// characters that are special in paths become %XX.
func escapePartition(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c == 0x7f || strings.IndexByte("\"#%'*/:=?\\{[]^", c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func unescapePartition(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b.WriteByte(byte(n))
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// --- sink ---

func (sink fsSinkTable) Attach(s stream.Stream) error {
	fsys := sink.filesystem
	if fsys.format != nil {
		if _, err := fsys.format.NewEncoder(); err != nil {
			return err // the planner names the table
		}
	}
	name := nodeName("fs_sink", fsys.t)
	s.Process(name, func() stream.Operator { return &fsSink{fs: fsys, name: name} })
	return nil
}

// fsState is a sink task's committed state.
type fsState struct {
	Next    int64    `json:"next"`    // the interval being written
	Pending []string `json:"pending"` // directories of interval Next-1, to publish once committed
}

type fsSink struct {
	fs      *filesystem
	name    string // node name
	ctx     *stream.Context
	st      interface{ Put(k, v []byte) error }
	enc     format.Encoder
	prefix  string // part-<job>-<task>-
	state   fsState
	open    map[string]*fsFile // by directory
	publish []string           // directories of the prepared interval
	full    row.Row
	data    row.Row
	buf     []byte
}

type fsFile struct {
	f  *os.File
	w  *bufio.Writer
	pq *pqWriter // parquet: the file's writer, over w
}

var fsStateKey = []byte("s")

// fsTestHook, when set, is called before a committed interval is
// published (tests inject a crash there).
var fsTestHook func() error

// SinkTarget names the sink in the job's output counts.
func (s *fsSink) SinkTarget() string { return s.name }

func (s *fsSink) Open(ctx *stream.Context) error {
	s.ctx = ctx
	if s.fs.format != nil {
		s.enc, _ = s.fs.format.NewEncoder() // checked in Attach
	}
	s.open = map[string]*fsFile{}
	s.prefix = "part-" + fileSafe(ctx.Job) + "-" + strconv.Itoa(int(ctx.Partition)) + "-"
	vs := ctx.Value("fs")
	s.st = vs
	raw, ok, err := vs.Get(fsStateKey)
	if err != nil {
		return err
	}
	if ok {
		if err := json.Unmarshal(raw, &s.state); err != nil {
			return fmt.Errorf("filesystem sink state: %w", err)
		}
	}
	if err := os.MkdirAll(s.fs.path, 0o755); err != nil {
		return fmt.Errorf("filesystem sink: %w", err)
	}
	// The interval the restored state committed may not be published yet
	// (a crash after the commit): publish it. Any other in-progress file of
	// this task belongs to an interval that did not commit: its rows are
	// replayed, so it goes.
	if len(s.state.Pending) > 0 {
		if err := s.publishInterval(s.state.Next-1, s.state.Pending); err != nil {
			return err
		}
	}
	return s.removeUncommitted()
}

// fileSafe keeps [A-Za-z0-9_-] of a name for file names.
func fileSafe(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			b[i] = '_'
		}
	}
	return string(b)
}

func (s *fsSink) inProgressName(seq int64) string {
	return "." + s.prefix + strconv.FormatInt(seq, 10) + s.fs.ext + ".inprogress"
}

func (s *fsSink) finalName(seq int64) string {
	return s.prefix + strconv.FormatInt(seq, 10) + s.fs.ext
}

// removeUncommitted deletes this task's in-progress files.
func (s *fsSink) removeUncommitted() error {
	head := "." + s.prefix
	return filepath.WalkDir(s.fs.path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		name := d.Name()
		if d.IsDir() || !strings.HasPrefix(name, head) || !strings.HasSuffix(name, ".inprogress") {
			return nil
		}
		seq := strings.TrimSuffix(strings.TrimSuffix(strings.TrimPrefix(name, head), ".inprogress"), s.fs.ext)
		if _, err := strconv.ParseInt(seq, 10, 64); err != nil {
			return nil // another task's (a longer prefix) or not ours
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("filesystem sink: remove uncommitted %s: %w", p, err)
		}
		return nil
	})
}

func (s *fsSink) Process(rec *stream.Record, _ stream.Emitter) error {
	if rec.Row == nil {
		return stream.BadInput("untyped_record", "the filesystem sink needs typed rows")
	}
	r := s.fs.l.full(rec.Row, &s.full)
	if r.Kind.IsRetract() {
		return stream.BadInput("encode_failed", "the filesystem sink is append-only: cannot write a %s row", r.Kind)
	}
	dr := project(&s.data, r, s.fs.dataCols)
	dr.Kind = row.Insert
	if s.fs.pq != nil {
		f, err := s.file(s.fs.partitionDir(r))
		if err != nil {
			return err
		}
		if err := f.pq.write(dr); err != nil {
			if errors.Is(err, errPQWrite) {
				return fmt.Errorf("filesystem sink: %w", err)
			}
			return stream.BadInput("encode_failed", "parquet: %v", err)
		}
		return nil
	}
	out, null, err := s.enc.Append(s.buf[:0], dr)
	if err != nil {
		return stream.BadInput("encode_failed", "%v", err)
	}
	s.buf = out
	if null {
		return nil // raw's NULL: no line
	}
	dir := s.fs.partitionDir(r)
	f, err := s.file(dir)
	if err != nil {
		return err
	}
	if _, err := f.w.Write(out); err != nil {
		return fmt.Errorf("filesystem sink: %w", err)
	}
	return f.w.WriteByte('\n')
}

// file returns the in-progress file of dir for the current interval.
func (s *fsSink) file(dir string) (*fsFile, error) {
	if f, ok := s.open[dir]; ok {
		return f, nil
	}
	d := filepath.Join(s.fs.path, filepath.FromSlash(dir))
	if err := os.MkdirAll(d, 0o755); err != nil {
		return nil, fmt.Errorf("filesystem sink: %w", err)
	}
	// Truncate: a file of this interval left by a crashed attempt holds
	// rows that are being replayed.
	f, err := os.OpenFile(filepath.Join(d, s.inProgressName(s.state.Next)), os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("filesystem sink: %w", err)
	}
	ff := &fsFile{f: f, w: bufio.NewWriterSize(f, 64<<10)}
	if s.fs.pq != nil {
		if ff.pq, err = s.fs.pq.newWriter(ff.w); err != nil {
			f.Close()
			return nil, fmt.Errorf("filesystem sink: %w", err)
		}
	}
	s.open[dir] = ff
	return ff, nil
}

// PrepareCheckpoint syncs and closes the interval's files and records the
// interval in state, which commits with the checkpoint.
func (s *fsSink) PrepareCheckpoint(stream.Emitter) error {
	if len(s.open) == 0 {
		return nil
	}
	dirs := make([]string, 0, len(s.open))
	for dir, f := range s.open {
		var err error
		if f.pq != nil {
			err = f.pq.finish()
		}
		if err == nil {
			err = f.w.Flush()
		}
		if err == nil {
			err = f.f.Sync()
		}
		if cerr := f.f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("filesystem sink: %w", err)
		}
		dirs = append(dirs, dir)
	}
	clear(s.open)
	slices.Sort(dirs)
	s.state = fsState{Next: s.state.Next + 1, Pending: dirs}
	s.publish = dirs
	return s.saveState()
}

func (s *fsSink) saveState() error {
	b, _ := json.Marshal(s.state) // plain fields: cannot fail
	return s.st.Put(fsStateKey, b)
}

// CheckpointCommitted publishes the committed interval's files.
func (s *fsSink) CheckpointCommitted() error {
	if len(s.publish) == 0 {
		return nil
	}
	if err := s.publishInterval(s.state.Next-1, s.publish); err != nil {
		return err
	}
	s.publish = nil
	s.state.Pending = nil
	return s.saveState()
}

// publishInterval renames interval seq's in-progress files in dirs to
// their final names and commits their partitions. It is idempotent.
func (s *fsSink) publishInterval(seq int64, dirs []string) error {
	if fsTestHook != nil {
		if err := fsTestHook(); err != nil {
			return err
		}
	}
	for _, dir := range dirs {
		d := filepath.Join(s.fs.path, filepath.FromSlash(dir))
		from, to := filepath.Join(d, s.inProgressName(seq)), filepath.Join(d, s.finalName(seq))
		if err := os.Rename(from, to); err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("filesystem sink: publish %s: %w", to, err)
			}
			if _, serr := os.Stat(to); serr != nil {
				return fmt.Errorf("filesystem sink: committed file %s is missing", from)
			}
		}
		if s.fs.successFile != "" && dir != "" {
			if err := os.WriteFile(filepath.Join(d, s.fs.successFile), nil, 0o644); err != nil {
				return fmt.Errorf("filesystem sink: success file: %w", err)
			}
		}
	}
	if err := syncDirs(s.fs.path, dirs); err != nil {
		return err
	}
	return nil
}

// syncDirs makes renames durable.
func syncDirs(root string, dirs []string) error {
	for _, dir := range dirs {
		d, err := os.Open(filepath.Join(root, filepath.FromSlash(dir)))
		if err != nil {
			return fmt.Errorf("filesystem sink: %w", err)
		}
		err = d.Sync()
		d.Close()
		if err != nil {
			return fmt.Errorf("filesystem sink: %w", err)
		}
	}
	return nil
}

// --- source ---

// topic is the internal topic the source's records are copied into.
func (fsys *filesystem) topic() string {
	h := sha256.New()
	abs, _ := filepath.Abs(fsys.path)
	fmt.Fprintf(h, "%s\x00%s\x00%s\x00%v", abs, fsys.formatName, fsys.t.Schema.String(), fsys.partCols)
	keys := make([]string, 0, len(fsys.t.Options))
	for k := range fsys.t.Options {
		if strings.HasPrefix(k, fsys.formatName+".") {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "\x00%s=%s", k, fsys.t.Options[k])
	}
	if fsys.pq != nil && !fsys.pq.utc { // the zone parquet timestamps are read in
		fmt.Fprintf(h, "\x00zone=%s", fsys.pq.loc)
	}
	return "_rtdw-fs-" + fileSafe(fsys.t.ObjectName) + "-" + hex.EncodeToString(h.Sum(nil)[:6])
}

// Attach copies the files' new records into the internal topic before
// the job starts (AddPrepare) and reads that topic.
func (src fsSource) Attach(j *stream.Job, opts ...stream.SourceOption) (stream.Stream, error) {
	fsys := src.filesystem
	// The log is needed when the job runs and the files are copied (a
	// plan that is only explained has none).
	if fsys.ctx == nil {
		return stream.Stream{}, fmt.Errorf("%s: the source needs the log to copy its files into", where(filesystemFactory, fsys.t))
	}
	if fsys.format != nil {
		if _, err := fsys.format.NewDecoder(); err != nil {
			return stream.Stream{}, err
		}
	}
	if _, err := fsys.partitionParsers(); err != nil {
		return stream.Stream{}, err
	}
	topic := fsys.topic()
	if fsys.ctx.AddPrepare != nil {
		fsys.ctx.AddPrepare(func() error { return fsys.load(context.Background(), topic) })
	}
	return j.Source(topic, append(slices.Clone(opts), stream.DecodedRecords(fsys.newDecode))...), nil
}

// load appends the records of the files under the path that the topic
// does not hold yet.
func (fsys *filesystem) load(ctx context.Context, topic string) error {
	l := fsys.ctx.Log
	if l == nil {
		return fmt.Errorf("%s: the source needs the log to copy its files into", where(filesystemFactory, fsys.t))
	}
	if _, err := rlog.EnsureTopic(ctx, l, topic, rlog.TopicConfig{Partitions: 1}); err != nil {
		return fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
	}
	have, err := recordsPerKey(ctx, l, rlog.TopicPartition{Topic: topic})
	if err != nil {
		return fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
	}
	files, err := fsys.files()
	if err != nil {
		return err
	}
	var batch []rlog.Record
	size := 0
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := l.Produce(ctx, batch...)
		batch, size = batch[:0], 0
		return err
	}
	for _, rel := range files {
		full := filepath.Join(fsys.path, filepath.FromSlash(rel))
		if rel == "" {
			full = fsys.path
		}
		info, err := os.Stat(full)
		if err != nil {
			return fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
		}
		if fsys.pq != nil {
			ts := max(1, info.ModTime().UnixMilli())
			err := fsys.pq.readFile(full, have[rel], func(r *row.Row) error {
				rec, err := row.AppendRow(nil, fsys.dataSchema, r)
				if err != nil {
					return fmt.Errorf("%s: %w", rel, err)
				}
				batch = append(batch, rlog.Record{Topic: topic, Key: []byte(rel), Value: rec, Timestamp: ts})
				if size += len(rec) + len(rel); len(batch) >= 1000 || size >= 4<<20 {
					return flush()
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
			}
			continue
		}
		data, err := os.ReadFile(full)
		if err != nil {
			return fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
		}
		skip := have[rel]
		n := int64(0)
		for _, rec := range fsys.split(data) {
			if n++; n <= skip {
				continue
			}
			batch = append(batch, rlog.Record{Topic: topic, Key: []byte(rel), Value: rec, Timestamp: max(1, info.ModTime().UnixMilli())})
			if size += len(rec) + len(rel); len(batch) >= 1000 || size >= 4<<20 {
				if err := flush(); err != nil {
					return fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
	}
	return nil
}

// recordsPerKey counts a partition's records by key.
func recordsPerKey(ctx context.Context, l rlog.Log, tp rlog.TopicPartition) (map[string]int64, error) {
	start, end, err := l.Offsets(ctx, tp)
	if err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for off := start; off < end; {
		recs, err := l.Fetch(ctx, tp, off, 1000, 0)
		if err != nil {
			return nil, err
		}
		if len(recs) == 0 {
			break
		}
		for _, r := range recs {
			out[string(r.Key)]++
			off = r.Offset + 1
		}
	}
	return out, nil
}

// files lists the data files under the path, relative and slash-separated,
// in order; "" when the path is a file.
func (fsys *filesystem) files() ([]string, error) {
	info, err := os.Stat(fsys.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil // no files yet
	}
	if err != nil {
		return nil, fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
	}
	if !info.IsDir() {
		return []string{""}, nil
	}
	var out []string
	err = filepath.WalkDir(fsys.path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == fsys.path {
			return nil
		}
		if name := d.Name(); strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(fsys.path, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("filesystem source %s: %w", fsys.t.Name, err)
	}
	slices.Sort(out)
	return out, nil
}

// split cuts a file into records: lines, or for csv the format's records
// (format.SplitCSV: a quoted field may hold line breaks). Blank lines are
// no records in json and csv; in raw every line is one, as in Flink (an
// empty one is an empty record, which the source skips and counts).
func (fsys *filesystem) split(data []byte) [][]byte {
	var out [][]byte
	raw := fsys.format != nil && fsys.format.Name() == format.Raw
	add := func(rec []byte) {
		rec = bytes.TrimSuffix(rec, []byte{'\r'})
		if raw || len(bytes.TrimSpace(rec)) > 0 {
			out = append(out, rec)
		}
	}
	if fsys.csv {
		for _, rec := range fsys.format.SplitCSV(data) {
			add(rec)
		}
		return out
	}
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		if i < 0 {
			add(data)
			break
		}
		add(data[:i])
		data = data[i+1:]
	}
	return out
}

// partitionParsers reads partition values from their text by the column
// types (as a JSON string: numbers, dates and timestamps from text).
func (fsys *filesystem) partitionParsers() ([]func(string) (row.Value, error), error) {
	var out []func(string) (row.Value, error)
	for _, c := range fsys.partCols {
		col := fsys.t.Schema.Column(c)
		sch, err := row.NewSchema(row.Column{Name: "v", Type: col.Type})
		if err != nil {
			return nil, err
		}
		dec, err := row.NewJSONDecoder(sch, row.JSONOptions{Location: fsys.ctxLoc()})
		if err != nil {
			return nil, err
		}
		var p fastjson.Parser
		var r row.Row
		out = append(out, func(text string) (row.Value, error) {
			if text == fsys.defaultName {
				return row.Null(), nil
			}
			js, _ := json.Marshal(map[string]string{"v": text})
			if err := dec.DecodeBytes(&p, js, &r); err != nil {
				return row.Null(), fmt.Errorf("partition %s=%s: %v", col.Name, text, err)
			}
			return r.Values[0], nil
		})
	}
	return out, nil
}

func (fsys *filesystem) ctxLoc() *time.Location {
	if fsys.ctx != nil {
		return fsys.ctx.Loc
	}
	return nil
}

// newDecode makes one task's decoder of the copied records: the format
// reads the data columns, the path the partition columns and metadata.
func (fsys *filesystem) newDecode() stream.RecordDecode {
	var dec format.Decoder
	if fsys.format != nil {
		dec, _ = fsys.format.NewDecoder() // checked in Attach
	}
	parsers, _ := fsys.partitionParsers()
	n := fsys.t.Schema.Len()
	var b format.Batch
	var out row.Row
	lastKey := "\x00"
	var parts []row.Value
	var partErr error
	sizeOf, size := "\x00", int64(0) // file.size of the file sizeOf
	return func(rec *stream.Record, emit func(*row.Row)) error {
		if len(rec.Value) == 0 {
			return nil
		}
		if string(rec.Key) != lastKey {
			lastKey = string(rec.Key)
			parts, partErr = fsys.partitionValues(lastKey, parsers)
		}
		if partErr != nil {
			return stream.BadInput("bad_partition", "%s: %v", lastKey, partErr)
		}
		if dec == nil { // parquet: binary rows of the data columns
			b.Rows = slices.Grow(b.Rows[:0], 1)[:1]
			if err := row.DecodeRow(rec.Value, fsys.dataSchema, &b.Rows[0]); err != nil {
				return badRecord("", err)
			}
		} else if err := dec.Decode(rec.Value, &b); err != nil {
			return badRecord("", err)
		}
		for i := range b.Rows {
			out.Reset(b.Rows[i].Kind, n)
			for j, c := range fsys.dataCols {
				out.Values[c] = b.Rows[i].Values[j]
			}
			for j, c := range fsys.partCols {
				out.Values[c] = parts[j]
			}
			for _, m := range fsys.t.Metadata {
				key := fsys.l.metaKey(m)
				full := filepath.Join(fsys.path, filepath.FromSlash(lastKey))
				if lastKey == "" {
					full = fsys.path
				}
				if abs, err := filepath.Abs(full); err == nil {
					full = abs
				}
				var v row.Value
				switch key {
				case "file.name":
					v = row.String(filepath.Base(full))
				case "file.size":
					if sizeOf != lastKey { // one stat per file read
						sizeOf, size = lastKey, 0
						if info, err := os.Stat(full); err == nil {
							size = info.Size()
						}
					}
					v = row.BigInt(size)
				case "file.modification-time":
					v = row.TimestampLTZ(rec.Time, 0) // the copy's record time
				default:
					v = row.String(full)
				}
				out.Values[m.Index] = castMeta(v, fsMetadata[key], fsys.t.Schema.Column(m.Index).Type, fsys.ctx)
			}
			emit(&out)
		}
		return nil
	}
}

// partitionValues reads the partition columns from a file's relative
// path ("dt=2024-01-02/hr=08/part-0.json"); a missing one is NULL.
func (fsys *filesystem) partitionValues(rel string, parsers []func(string) (row.Value, error)) ([]row.Value, error) {
	vals := make([]row.Value, len(fsys.partCols))
	dirs := strings.Split(rel, "/")
	for _, d := range dirs[:max(0, len(dirs)-1)] {
		k, v, ok := strings.Cut(d, "=")
		if !ok {
			continue
		}
		k = unescapePartition(k)
		for j, c := range fsys.partCols {
			if strings.EqualFold(fsys.t.Schema.Column(c).Name, k) {
				val, err := parsers[j](unescapePartition(v))
				if err != nil {
					return nil, err
				}
				vals[j] = val
			}
		}
	}
	return vals, nil
}
