package connector

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rtdw/rtdw/internal/stream"
)

// tree lists the files under dir with their contents: "rel: content".
func tree(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, filepath.ToSlash(rel)+": "+strings.ReplaceAll(string(b), "\n", `\n`))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A partitioned json sink writes one file per partition directory and
// interval, without the partition column, and commits the partitions with
// a success file; the source reads the tree back, partition values from
// the paths.
func TestFilesystemPartitionedRoundTrip(t *testing.T) {
	e := newEnv(t)
	dir := filepath.Join(t.TempDir(), "table")
	e.values("in",
		`{"id":1,"name":"a","dt":"2024-01-01"}`,
		`{"id":2,"name":"b","dt":"2024-01-02"}`,
		`{"id":3,"name":"c","dt":"2024-01-01"}`,
		`{"id":4,"name":null,"dt":null}`)
	src := tbl("in", "id INT, name STRING, dt STRING", kafkaOpts("format", "json", "scan.startup.mode", "earliest-offset"))
	fsOpts := map[string]string{"connector": "filesystem", "path": dir, "format": "json",
		"sink.partition-commit.policy.kind": "metastore,success-file", "sink.rolling-policy.file-size": "128MB",
		"sink.rolling-policy.rollover-interval": "30 min", "sink.partition-commit.trigger": "process-time"}
	out := tbl("fs_out", "id INT, name STRING, dt STRING", fsOpts)
	out.PartitionKeys = []int{2}
	e.mustRun(e.pipe("j", src, out))
	eq(t, "files", tree(t, dir), []string{
		`dt=2024-01-01/_SUCCESS: `,
		`dt=2024-01-01/part-j-0-0.json: {"id":1,"name":"a"}\n{"id":3,"name":"c"}\n`,
		`dt=2024-01-02/_SUCCESS: `,
		`dt=2024-01-02/part-j-0-0.json: {"id":2,"name":"b"}\n`,
		`dt=__DEFAULT_PARTITION__/_SUCCESS: `,
		`dt=__DEFAULT_PARTITION__/part-j-0-0.json: {"id":4,"name":null}\n`,
	})
	back := tbl("fs_out", "id INT, name STRING, dt DATE, file STRING", map[string]string{"connector": "filesystem", "path": dir, "format": "json"}, "file:file.name:virtual")
	back.PartitionKeys = []int{2}
	e.mustRun(e.pipe("back", back, tbl("p", "id INT, name STRING, dt DATE, file STRING", map[string]string{"connector": "print"})))
	eq(t, "read back", lines(e.out.String()), []string{
		"+I[1, a, 2024-01-01, part-j-0-0.json]",
		"+I[3, c, 2024-01-01, part-j-0-0.json]",
		"+I[2, b, 2024-01-02, part-j-0-0.json]",
		"+I[4, NULL, NULL, part-j-0-0.json]",
	})
}

// The source copies each file's records once: a later run adds only new
// files and records appended to old ones. CSV records may span lines.
func TestFilesystemSourceIncremental(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	write := func(name, content string, appendTo bool) {
		flag := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
		if appendTo {
			flag = os.O_CREATE | os.O_WRONLY | os.O_APPEND
		}
		f, err := os.OpenFile(filepath.Join(dir, name), flag, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(content)
		f.Close()
	}
	write("a.csv", "1,\"two\nlines\"\n2,plain\n\n", false)
	write(".hidden.csv", "9,hidden\n", false)
	write("_tmp.csv", "9,temp\n", false)
	src := tbl("files", "id INT, s STRING", map[string]string{"connector": "filesystem", "path": dir, "format": "csv"})
	dst := tbl("p", "id INT, s STRING", map[string]string{"connector": "print", "print-identifier": "f"})
	e.mustRun(e.pipe("j", src, dst))
	eq(t, "first run", lines(e.out.String()), []string{"f> +I[1, two", "lines]", "f> +I[2, plain]"})
	write("a.csv", "3,appended\n", true)
	write("b.csv", "4,new file\nnot,a number\n", false)
	e.out.b.Reset()
	e.mustRun(e.pipe("j", src, dst))
	eq(t, "second run", lines(e.out.String()), []string{"f> +I[3, appended]", "f> +I[4, new file]"})
	dl := e.read("dirty_data")
	if len(dl) != 1 || !strings.Contains(dl[0], `b.csv|not,a number`) || !strings.Contains(dl[0], `bad_format: csv: field "id": cannot parse "not" as INT`) {
		t.Errorf("dead letters: %q", dl)
	}
	// A path naming one file reads that file.
	one := tbl("one", "id INT, s STRING, f STRING", map[string]string{"connector": "filesystem", "path": filepath.Join(dir, "b.csv"), "format": "csv",
		"csv.ignore-parse-errors": "true"}, "f:file.path:virtual")
	e.out.b.Reset()
	e.mustRun(e.pipe("one", one, tbl("p1", "id INT, s STRING, f STRING", map[string]string{"connector": "print"})))
	eq(t, "one file", lines(e.out.String()), []string{
		"+I[4, new file, " + filepath.Join(dir, "b.csv") + "]",
		"+I[NULL, a number, " + filepath.Join(dir, "b.csv") + "]",
	})
	// A third run with nothing new prints nothing; the copy holds each
	// record once.
	e.out.b.Reset()
	e.mustRun(e.pipe("j", src, dst))
	if got := e.out.String(); got != "" {
		t.Errorf("third run printed %q", got)
	}
	if n := len(e.read(fsSource{e.source(src).(fsSource).filesystem}.topic())); n != 5 {
		t.Errorf("the internal topic holds %d records, want 5", n)
	}
}

// readRows returns the lines of the visible files under dir, sorted, and
// fails on in-progress files left behind.
func readRows(t *testing.T, dir string) []string {
	t.Helper()
	var rows []string
	for _, f := range tree(t, dir) {
		name, content, _ := strings.Cut(f, ": ")
		if strings.HasSuffix(name, ".inprogress") {
			t.Errorf("in-progress file left: %s", name)
			continue
		}
		for _, l := range strings.Split(strings.TrimSuffix(content, `\n`), `\n`) {
			if l != "" {
				rows = append(rows, l)
			}
		}
	}
	slices.Sort(rows)
	return rows
}

// failOnce fails (a task error, not bad input) on the record with value
// at, the first time only.
type failOnce struct {
	at    string
	fired *atomic.Bool
}

func (f failOnce) Open(*stream.Context) error { return nil }
func (f failOnce) Process(rec *stream.Record, out stream.Emitter) error {
	if rec.Row != nil && rec.Row.Str(0) == f.at && f.fired.CompareAndSwap(false, true) {
		return errors.New("injected crash")
	}
	out.Emit(0, rec)
	return nil
}

// failPrepare fails its n-th checkpoint preparation, once: the checkpoint
// of the task (whose filesystem sink prepared before it) does not commit.
type failPrepare struct {
	n     int64
	count *atomic.Int64
}

func (f failPrepare) Open(*stream.Context) error                   { return nil }
func (f failPrepare) Process(*stream.Record, stream.Emitter) error { return nil }
func (f failPrepare) PrepareCheckpoint(stream.Emitter) error {
	if f.count.Add(1) == f.n {
		return errors.New("injected crash before the commit")
	}
	return nil
}

// Crashes at any point of the sink's protocol leave every row in exactly
// one visible file: in the middle of an interval (rows replayed into new
// files), after the files were prepared but before the checkpoint
// committed (in-progress files deleted on restart), and after the commit
// but before the files were renamed (renamed on restart).
func TestFilesystemSinkExactlyOnceUnderCrashes(t *testing.T) {
	var want []string
	var vals []string
	for i := range 300 {
		v := fmt.Sprintf("r%03d", i)
		vals, want = append(vals, v), append(want, v)
	}
	for _, crash := range []string{"mid-interval", "before-commit", "after-commit"} {
		t.Run(crash, func(t *testing.T) {
			e := newEnv(t)
			e.fetch, e.interval, e.restarts = 7, time.Nanosecond, 10
			e.values("in", vals...)
			dir := t.TempDir()
			src := tbl("in", "v STRING", kafkaOpts("format", "raw", "scan.startup.mode", "earliest-offset"))
			dst := tbl("files", "v STRING", map[string]string{"connector": "filesystem", "path": dir, "format": "raw"})
			j := stream.NewJob("j")
			s, err := e.source(src).Attach(j)
			if err != nil {
				t.Fatal(err)
			}
			var fired atomic.Bool
			var prepared atomic.Int64
			switch crash {
			case "mid-interval":
				s = s.Process("crash", func() stream.Operator { return failOnce{at: "r150", fired: &fired} }).Main()
			case "after-commit":
				var publishes atomic.Int64
				fsTestHook = func() error {
					if publishes.Add(1) == 20 && fired.CompareAndSwap(false, true) {
						return errors.New("injected crash after the commit")
					}
					return nil
				}
				defer func() { fsTestHook = nil }()
			}
			if err := e.sink(dst).Attach(s); err != nil {
				t.Fatal(err)
			}
			if crash == "before-commit" {
				s.Process("crash", func() stream.Operator { return failPrepare{n: 20, count: &prepared} })
			}
			e.mustRun(j)
			if crash == "before-commit" {
				if prepared.Load() < 20 {
					t.Fatalf("only %d checkpoints: no crash injected", prepared.Load())
				}
			} else if !fired.Load() {
				t.Fatal("no crash injected")
			}
			eq(t, "rows", readRows(t, dir), want)
			files := tree(t, dir)
			if len(files) < 10 {
				t.Errorf("%d files: the run had too few checkpoints to test anything", len(files))
			}
		})
	}
}

func TestFilesystemOptionErrors(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		opts   []string
		part   bool
		source bool
		want   string
	}{
		{[]string{"format", "json"}, false, true, "option 'path' is required"},
		{[]string{"path", "/tmp/x"}, false, true, "option 'format' is required"},
		{[]string{"path", "/tmp/x", "format", "orc"}, false, false, "format 'orc' is not supported yet (json, csv, raw, parquet)"},
		{[]string{"path", "/tmp/x", "format", "json", "source.monitor-interval", "10 s"}, false, true, "'source.monitor-interval' is not supported yet"},
		{[]string{"path", "/tmp/x", "format", "json", "sink.partition-commit.policy.kind", "custom"}, false, false, "'custom' is not supported"},
		{[]string{"path", "/tmp/x", "format", "json", "sink.partition-commit.trigger", "never"}, false, false, "'sink.partition-commit.trigger' = 'never'"},
		{[]string{"path", "/tmp/x", "format", "debezium-json"}, false, false, "the filesystem sink is append-only"},
		{[]string{"path", "/tmp/x", "format", "json", "csv.field-delimiter", ";"}, false, false, "unsupported option 'csv.field-delimiter'"},
		{[]string{"path", "/tmp/x", "format", "json", "path.x", "1"}, false, false, "unsupported option 'path.x'"},
	} {
		opts := map[string]string{"connector": "filesystem"}
		for i := 0; i < len(c.opts); i += 2 {
			opts[c.opts[i]] = c.opts[i+1]
		}
		tb := tbl("t", "id INT, s STRING", opts)
		var err error
		if c.source {
			_, err = filesystemFactory.NewSource(e.ctx, tb)
		} else {
			_, err = filesystemFactory.NewSink(e.ctx, tb)
		}
		errContains(t, err, c.want)
	}
	all := tbl("t", "dt STRING", map[string]string{"connector": "filesystem", "path": "/tmp/x", "format": "json"})
	all.PartitionKeys = []int{0}
	_, err := filesystemFactory.NewSink(e.ctx, all)
	errContains(t, err, "every column is a partition column")
}

// Files are cut into records as Flink's readers cut them: a csv quote
// opens a quoted field only at the field's start, a comment line is a
// line whatever it holds, the escape character takes Java escapes ('\t'),
// and a raw line of blanks is a row.
func TestFilesystemRecordSplitting(t *testing.T) {
	for _, c := range []struct {
		name, content string
		opts          map[string]string
		cols          string
		want          []string
	}{
		{"comment with a quote", "# comment with \"unbalanced quote\na,1\nb,2\n",
			map[string]string{"format": "csv", "csv.allow-comments": "true"}, "k STRING, n INT", []string{"+I[a, 1]", "+I[b, 2]"}},
		{"quote inside an unquoted field", "a,5\" screen,1\nb,plain,2\nc,\"quoted, field\",3\n",
			map[string]string{"format": "csv"}, "k STRING, s STRING, n INT", []string{"+I[a, 5\" screen, 1]", "+I[b, plain, 2]", "+I[c, quoted, field, 3]"}},
		// Flink's CsvFilesystemBatchITCase#testEscapeChar.
		{"escape character tab", "x5,\t\n5,1,1\nx5,\t5,2,2\n",
			// The escaped line break stays in the field: two records.
			map[string]string{"format": "csv", "csv.escape-character": `\t`, "csv.ignore-parse-errors": "true"}, "a STRING, b STRING, c STRING, d STRING",
			[]string{"+I[x5, ", "5, 1, 1]", "+I[x5, 5, 2, 2]"}},
		// A line of blanks is a row; an empty line is an empty record,
		// which sources skip (and count).
		{"raw keeps blank lines", "line1\r\n\r\n   \nline4\n\nlast",
			map[string]string{"format": "raw"}, "v STRING", []string{"+I[line1]", "+I[   ]", "+I[line4]", "+I[last]"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "f.txt"), []byte(c.content), 0o644); err != nil {
				t.Fatal(err)
			}
			opts := map[string]string{"connector": "filesystem", "path": dir}
			for k, v := range c.opts {
				opts[k] = v
			}
			e.mustRun(e.pipe("j", tbl("files", c.cols, opts), tbl("p", c.cols, map[string]string{"connector": "print"})))
			eq(t, "rows", lines(e.out.String()), c.want)
		})
	}
}

// Flink's other file metadata: 'file.size' and 'file.modification-time'.
func TestFilesystemFileSizeAndModificationTime(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "a.csv")
	if err := os.WriteFile(path, []byte("1\n2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	src := tbl("files", "a INT, size BIGINT, mt TIMESTAMP_LTZ(3)", map[string]string{"connector": "filesystem", "path": dir, "format": "csv"},
		"size:file.size:virtual", "mt:file.modification-time:virtual")
	e.mustRun(e.pipe("j", src, tbl("p", "a INT, size BIGINT, mt TIMESTAMP_LTZ(3)", map[string]string{"connector": "print"})))
	eq(t, "rows", lines(e.out.String()), []string{"+I[1, 4, 2024-06-01 10:00:00Z]", "+I[2, 4, 2024-06-01 10:00:00Z]"})
	bad := tbl("bad", "a INT, size STRING", map[string]string{"connector": "filesystem", "path": dir, "format": "csv"}, "size:file.size:virtual")
	if _, err := filesystemFactory.NewSource(e.ctx, bad); err == nil || !strings.Contains(err.Error(), "metadata 'file.size' is BIGINT NOT NULL and cannot be read as STRING") {
		t.Errorf("file.size as STRING: %v", err)
	}
}
