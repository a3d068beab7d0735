package embedded

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	rlog "github.com/rtdw/rtdw/internal/log"
)

// fetchPart returns every record of tp, failing on an offset gap.
func fetchPart(t testing.TB, l *Log, tp rlog.TopicPartition) []rlog.Record {
	t.Helper()
	start, end, err := l.Offsets(ctx, tp)
	if err != nil {
		t.Fatal(err)
	}
	var out []rlog.Record
	for off := start; off < end; {
		recs, err := l.Fetch(ctx, tp, off, 1000, 0)
		if err != nil || len(recs) == 0 {
			t.Fatalf("fetch %s at %d: %d records, %v", tp, off, len(recs), err)
		}
		for _, r := range recs {
			if r.Offset != off {
				t.Fatalf("%s: offset %d where %d was expected", tp, r.Offset, off)
			}
			off++
		}
		out = append(out, recs...)
	}
	return out
}

func values(recs []rlog.Record) []string {
	var out []string
	for _, r := range recs {
		out = append(out, string(r.Value))
	}
	return out
}

func stateGet(t testing.TB, l *Log, key string) (string, bool) {
	t.Helper()
	v, c, err := l.StateStore().Get([]byte(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return "", false
	}
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return string(v), true
}

func stateBatch(l *Log, kv ...string) *pebble.Batch {
	b := l.StateStore().NewIndexedBatch()
	for i := 0; i+1 < len(kv); i += 2 {
		b.Set([]byte(kv[i]), []byte(kv[i+1]), nil)
	}
	return b
}

// commitGrouped commits txns as one group: a first commit (to topic
// "hold") waits in beforeBatchCommit until every txn is queued behind it.
// hook, if set, then sees the later groups. It returns each txn's error
// (a panic as an error) and the txn counts of the groups after the first.
func commitGrouped(t *testing.T, l *Log, hook func(n int) error, txns ...*rlog.Txn) ([]error, []int) {
	t.Helper()
	if _, err := l.topic("hold"); err != nil {
		if err := l.CreateTopic(ctx, "hold", rlog.TopicConfig{Partitions: 1}); err != nil {
			t.Fatal(err)
		}
	}
	var (
		mu      sync.Mutex
		sizes   []int
		calls   int
		entered = make(chan struct{})
		release = make(chan struct{})
	)
	l.beforeBatchCommit = func(n int) error {
		mu.Lock()
		calls++
		first := calls == 1
		if !first {
			sizes = append(sizes, n)
		}
		mu.Unlock()
		if first {
			close(entered)
			<-release
			return nil
		}
		if hook != nil {
			return hook(n)
		}
		return nil
	}
	defer func() { l.beforeBatchCommit = nil }()
	held := make(chan error, 1)
	go func() { held <- l.Produce(ctx, rlog.Record{Topic: "hold", Partition: 0, Value: []byte("hold")}) }()
	<-entered
	errs := make([]error, len(txns))
	var wg sync.WaitGroup
	for i, txn := range txns {
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("panic: %v", p)
				}
			}()
			errs[i] = l.Commit(ctx, txn)
		})
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		l.queue.mu.Lock()
		n := len(l.queue.queue)
		l.queue.mu.Unlock()
		if n == 1+len(txns) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d commits queued, want %d", n, 1+len(txns))
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	return errs, sizes
}

// Many committers at once, on shared and separate partitions, with state
// batches, every tenth txn invalid: every valid txn's records are there
// exactly once, in each committer's order, with its state and offsets;
// nothing of an invalid one is.
func TestGroupCommitConcurrent(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, RetentionInterval: -1, MaxRecordBytes: 1024, SegmentBytes: 64 << 10}
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	for name, parts := range map[string]int32{"own": 16, "shared": 3, "in": 16} {
		if err := l.CreateTopic(ctx, name, rlog.TopicConfig{Partitions: parts}); err != nil {
			t.Fatal(err)
		}
	}
	const writers, each = 16, 200
	invalid := func(i int) bool { return i%10 == 9 }
	hasState := func(i int) bool { return i%7 != 3 }
	var groups, grouped atomic.Int64
	l.beforeBatchCommit = func(n int) error { groups.Add(1); grouped.Add(int64(n)); return nil }
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				recs := []rlog.Record{
					{Topic: "own", Partition: int32(w), Value: fmt.Appendf(nil, "%d-%d-0", w, i)},
					{Topic: "own", Partition: int32(w), Value: fmt.Appendf(nil, "%d-%d-1", w, i)},
					{Topic: "shared", Partition: int32(i % 3), Value: fmt.Appendf(nil, "%d-%d-2", w, i)},
					{Topic: "shared", Partition: rlog.AutoPartition, Key: fmt.Appendf(nil, "k-%d", w), Value: fmt.Appendf(nil, "%d-%d-3", w, i)},
				}
				var want error
				if invalid(i) {
					bad := []rlog.Record{
						{Topic: "missing", Value: []byte("x")},
						{Topic: "shared", Partition: 7, Value: []byte("x")},
						{Topic: "shared", Partition: 0, Value: make([]byte, 2000)},
					}[(w+i/10)%3]
					want = map[bool]error{true: rlog.ErrRecordTooLarge, false: rlog.ErrUnknownTopic}[bad.Topic == "shared" && bad.Partition == 0]
					recs = append(recs[:2], append([]rlog.Record{bad}, recs[2:]...)...)
				}
				txn := &rlog.Txn{Records: recs, Group: "g", Offsets: map[rlog.TopicPartition]int64{{Topic: "in", Partition: int32(w)}: int64(i + 1)}}
				if hasState(i) {
					txn.State = stateBatch(l, fmt.Sprintf("\x2fgc-%d-%d", w, i), "1", fmt.Sprintf("\x2fgc-%d", w), fmt.Sprint(i))
				}
				err := l.Commit(ctx, txn)
				if txn.State != nil {
					txn.State.Close()
				}
				if want == nil && err != nil || want != nil && !errors.Is(err, want) {
					t.Errorf("writer %d txn %d: got %v, want %v", w, i, err, want)
					return
				}
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	t.Logf("%d txns in %d batches", grouped.Load(), groups.Load())

	verify := func(l *Log) {
		for w := range writers {
			var want []string
			lastState := -1
			for i := range each {
				if invalid(i) {
					continue
				}
				want = append(want, fmt.Sprintf("%d-%d-0", w, i), fmt.Sprintf("%d-%d-1", w, i))
				if hasState(i) {
					lastState = i
				}
				_, ok := stateGet(t, l, fmt.Sprintf("\x2fgc-%d-%d", w, i))
				if ok != hasState(i) {
					t.Fatalf("state of writer %d txn %d: present=%v", w, i, ok)
				}
			}
			if got := values(fetchPart(t, l, rlog.TopicPartition{Topic: "own", Partition: int32(w)})); fmt.Sprint(got) != fmt.Sprint(want) {
				t.Fatalf("own/%d = %v\nwant %v", w, got, want)
			}
			for i := 9; i < each; i += 10 {
				if _, ok := stateGet(t, l, fmt.Sprintf("\x2fgc-%d-%d", w, i)); ok {
					t.Fatalf("state of failed txn %d of writer %d committed", i, w)
				}
			}
			if v, _ := stateGet(t, l, fmt.Sprintf("\x2fgc-%d", w)); v != fmt.Sprint(lastState) {
				t.Fatalf("writer %d's last state %q, want %d", w, v, lastState)
			}
			if off, ok, _ := l.CommittedOffset(ctx, "g", rlog.TopicPartition{Topic: "in", Partition: int32(w)}); !ok || off != each-1 {
				t.Fatalf("writer %d's offset %d %v, want %d", w, off, ok, each-1)
			}
		}
		seen := map[string]int{}
		for p := range int32(3) {
			last := map[int][2]int{}
			for _, r := range fetchPart(t, l, rlog.TopicPartition{Topic: "shared", Partition: p}) {
				var w, i, k int
				if _, err := fmt.Sscanf(string(r.Value), "%d-%d-%d", &w, &i, &k); err != nil {
					t.Fatalf("shared/%d@%d: %q", p, r.Offset, r.Value)
				}
				if invalid(i) {
					t.Fatalf("record %q of a failed txn committed", r.Value)
				}
				if k == 3 && p != rlog.PartitionFor(r.Key, 3) {
					t.Fatalf("keyed record %q in partition %d", r.Value, p)
				}
				if prev, ok := last[w]; ok && (prev[0] > i || prev[0] == i && prev[1] >= k) {
					t.Fatalf("shared/%d: %q after %d-%d-%d", p, r.Value, w, prev[0], prev[1])
				}
				last[w] = [2]int{i, k}
				seen[string(r.Value)]++
			}
		}
		for w := range writers {
			for i := range each {
				for k := 2; k <= 3; k++ {
					if n, want := seen[fmt.Sprintf("%d-%d-%d", w, i, k)], map[bool]int{true: 0, false: 1}[invalid(i)]; n != want {
						t.Fatalf("record %d-%d-%d seen %d times, want %d", w, i, k, n, want)
					}
				}
			}
		}
	}
	verify(l)
	l.Close()
	if l, err = Open(opts); err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	verify(l)
}

// Txns of one group that fail validation fail alone: the others commit,
// with no offset gap and no trace of the failed ones.
func TestGroupCommitInvalidTxnFailsAlone(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), RetentionInterval: -1})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2})
	tp0, tp1 := rlog.TopicPartition{Topic: "t", Partition: 0}, rlog.TopicPartition{Topic: "t", Partition: 1}
	txns := []*rlog.Txn{
		{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("a1")}, {Topic: "t", Partition: 1, Value: []byte("a2")}},
			Group: "g", Offsets: map[rlog.TopicPartition]int64{tp0: 1}, State: stateBatch(l, "\x2fa", "a")},
		{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("b1")}, {Topic: "nope", Value: []byte("b2")}},
			Group: "g", Offsets: map[rlog.TopicPartition]int64{tp0: 99}, State: stateBatch(l, "\x2fb", "b")},
		{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("c1")}}, State: stateBatch(l, "\x2fc", "c")},
		{Records: []rlog.Record{{Topic: "t", Partition: 1, Value: []byte("d1")}},
			Group: "g", Offsets: map[rlog.TopicPartition]int64{{Topic: "nope"}: 5}, State: stateBatch(l, "\x2fd", "d")},
	}
	errs, sizes := commitGrouped(t, l, nil, txns...)
	for i, want := range []error{nil, rlog.ErrUnknownTopic, nil, rlog.ErrUnknownTopic} {
		if want == nil && errs[i] != nil || want != nil && !errors.Is(errs[i], want) {
			t.Errorf("txn %d: got %v, want %v", i, errs[i], want)
		}
	}
	if fmt.Sprint(sizes) != "[2]" {
		t.Fatalf("groups after the held one: %v, want [2] (one group of the two valid txns)", sizes)
	}
	got0 := strings.Join(values(fetchPart(t, l, tp0)), " ")
	if got0 != "a1 c1" && got0 != "c1 a1" {
		t.Fatalf("t/0 = %s", got0)
	}
	if got1 := fmt.Sprint(values(fetchPart(t, l, tp1))); got1 != "[a2]" {
		t.Fatalf("t/1 = %s", got1)
	}
	for k, want := range map[string]bool{"\x2fa": true, "\x2fb": false, "\x2fc": true, "\x2fd": false} {
		if _, ok := stateGet(t, l, k); ok != want {
			t.Fatalf("state %q present=%v", k, ok)
		}
	}
	if off, _, _ := l.CommittedOffset(ctx, "g", tp0); off != 1 {
		t.Fatalf("group offset %d, want 1", off)
	}
}

// A group in which one txn writes state commits in that txn's own state
// batch (nothing copied); the txns without state, an invalid one among
// them, are as in any group. When that group's commit fails, none of it
// is visible.
func TestGroupCommitInTheOnlyStateBatch(t *testing.T) {
	for _, fail := range []bool{false, true} {
		l, _ := Open(Options{Dir: t.TempDir(), RetentionInterval: -1})
		l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2})
		tp0, tp1 := rlog.TopicPartition{Topic: "t", Partition: 0}, rlog.TopicPartition{Topic: "t", Partition: 1}
		st := stateBatch(l, "\x2fa", "a")
		txns := []*rlog.Txn{
			{Records: []rlog.Record{{Topic: "t", Partition: 1, Value: []byte("b1")}}, Group: "g", Offsets: map[rlog.TopicPartition]int64{tp1: 7}},
			{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("a1")}}, Group: "g", Offsets: map[rlog.TopicPartition]int64{tp0: 3}, State: st},
			{Records: []rlog.Record{{Topic: "nope", Value: []byte("c1")}}},
		}
		var hook func(int) error
		if fail {
			hook = func(int) error { return errors.New("injected") }
		}
		errs, sizes := commitGrouped(t, l, hook, txns...)
		if fmt.Sprint(sizes) != "[2]" || !errors.Is(errs[2], rlog.ErrUnknownTopic) {
			t.Fatalf("fail=%v: groups %v, errors %v", fail, sizes, errs)
		}
		if fail != (errs[0] != nil) || fail != (errs[1] != nil) {
			t.Fatalf("fail=%v: errors %v", fail, errs)
		}
		if st.Count() < 4 { // its write, the offset, the partition's end, segment and index entries
			t.Fatalf("fail=%v: the state batch holds %d writes: the group did not commit in it", fail, st.Count())
		}
		st.Close()
		_, ok := stateGet(t, l, "\x2fa")
		off0, _, _ := l.CommittedOffset(ctx, "g", tp0)
		off1, _, _ := l.CommittedOffset(ctx, "g", tp1)
		got := fmt.Sprint(values(fetchPart(t, l, tp0)), values(fetchPart(t, l, tp1)))
		if fail && (ok || off0 != 0 || off1 != 0 || got != "[] []") {
			t.Fatalf("a failed group left state %v, offsets %d %d, records %s", ok, off0, off1, got)
		}
		if !fail && (!ok || off0 != 3 || off1 != 7 || got != "[a1] [b1]") {
			t.Fatalf("state %v, offsets %d %d, records %s", ok, off0, off1, got)
		}
		// The log goes on (a fresh state batch, as after a task's restart).
		if err := l.Commit(ctx, &rlog.Txn{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("z")}}, State: stateBatch(l, "\x2fz", "z")}); err != nil {
			t.Fatal(err)
		}
		if _, ok := stateGet(t, l, "\x2fz"); !ok {
			t.Fatal("the next commit's state is missing")
		}
		l.Close()
	}
}

// A state batch that breaks halfway through being applied spoils the
// group's batch: its txn fails and the others commit in a new one.
func TestGroupCommitCorruptStateBatchFailsAlone(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), RetentionInterval: -1})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	corrupt := new(pebble.Batch)
	repr := binary.LittleEndian.AppendUint32(make([]byte, 8), 2) // header: seqnum, count 2
	repr = append(repr, byte(pebble.InternalKeyKindSet), 2, 0x2f, 'x', 1, 'v', 0x7f, 1, 'k')
	if err := corrupt.SetRepr(repr); err != nil {
		t.Fatal(err)
	}
	txns := []*rlog.Txn{
		{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("a")}}, State: stateBatch(l, "\x2fa", "a")},
		{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("b")}}, State: corrupt},
		{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: []byte("c")}}, State: stateBatch(l, "\x2fc", "c")},
	}
	errs, sizes := commitGrouped(t, l, nil, txns...)
	if errs[0] != nil || errs[2] != nil || !errors.Is(errs[1], pebble.ErrInvalidBatch) {
		t.Fatalf("errors %v, want nil, ErrInvalidBatch, nil", errs)
	}
	if fmt.Sprint(sizes) != "[2]" {
		t.Fatalf("groups after the held one: %v, want [2]", sizes)
	}
	got := strings.Join(values(fetchPart(t, l, rlog.TopicPartition{Topic: "t"})), " ")
	if got != "a c" && got != "c a" {
		t.Fatalf("t/0 = %s", got)
	}
	for k, want := range map[string]bool{"\x2fa": true, "\x2fx": false, "\x2fc": true} {
		if _, ok := stateGet(t, l, k); ok != want {
			t.Fatalf("state %q present=%v", k, ok)
		}
	}
}

func segmentBytes(t *testing.T, dir string) int64 {
	var n int64
	filepath.WalkDir(filepath.Join(dir, "segments"), func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			fi, _ := d.Info()
			n += fi.Size()
		}
		return nil
	})
	return n
}

// A group whose frames are written and synced but whose batch does not
// commit (the window a crash can hit) leaves nothing: every txn of it
// fails, nothing is visible, Open cuts the bytes and later commits go on
// at the committed ends.
func TestGroupCommitFailedBatchLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	opts := Options{Dir: dir, RetentionInterval: -1, SegmentBytes: 200} // the group rolls segments
	l, _ := Open(opts)
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 2})
	l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("before")})
	injected := errors.New("injected: crash before the batch")
	var txns []*rlog.Txn
	for i := range 4 {
		txns = append(txns, &rlog.Txn{
			Records: []rlog.Record{{Topic: "t", Partition: int32(i % 2), Value: fmt.Appendf(nil, "lost-%d-%s", i, make([]byte, 100))}},
			Group:   "g", Offsets: map[rlog.TopicPartition]int64{{Topic: "t"}: int64(i + 1)}, State: stateBatch(l, fmt.Sprintf("\x2flost-%d", i), "x"),
		})
	}
	errs, sizes := commitGrouped(t, l, func(int) error { return injected }, txns...)
	if fmt.Sprint(sizes) != "[4]" {
		t.Fatalf("groups after the held one: %v, want [4]", sizes)
	}
	for i, err := range errs {
		if !errors.Is(err, injected) {
			t.Fatalf("txn %d: %v", i, err)
		}
	}
	check := func(l *Log) {
		t.Helper()
		if got := fmt.Sprint(values(fetchPart(t, l, rlog.TopicPartition{Topic: "t"}))); got != "[before]" {
			t.Fatalf("t/0 = %s", got)
		}
		if n := len(fetchPart(t, l, rlog.TopicPartition{Topic: "t", Partition: 1})); n != 0 {
			t.Fatalf("t/1 has %d records", n)
		}
		if _, ok, _ := l.CommittedOffset(ctx, "g", rlog.TopicPartition{Topic: "t"}); ok {
			t.Fatal("group offset of a failed group committed")
		}
		for i := range 4 {
			if _, ok := stateGet(t, l, fmt.Sprintf("\x2flost-%d", i)); ok {
				t.Fatalf("state of failed txn %d committed", i)
			}
		}
	}
	check(l)
	torn := segmentBytes(t, dir)
	l.Close()
	l, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	check(l)
	if cut := segmentBytes(t, dir); cut >= torn {
		t.Fatalf("segment bytes %d after Open, %d before: the failed group's frames were not cut", cut, torn)
	}
	for i := range 3 {
		if err := l.Produce(ctx, rlog.Record{Topic: "t", Partition: 1, Value: fmt.Appendf(nil, "after-%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	if got := fmt.Sprint(values(fetchPart(t, l, rlog.TopicPartition{Topic: "t", Partition: 1}))); got != "[after-0 after-1 after-2]" {
		t.Fatalf("t/1 after reopen = %s", got)
	}
}

// A panic while committing a group fails that group and the queue goes on.
func TestGroupCommitPanicFailsGroupOnly(t *testing.T) {
	l, _ := Open(Options{Dir: t.TempDir(), NoSync: true, RetentionInterval: -1})
	defer l.Close()
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: 1})
	var txns []*rlog.Txn
	for i := range 3 {
		txns = append(txns, &rlog.Txn{Records: []rlog.Record{{Topic: "t", Partition: 0, Value: fmt.Appendf(nil, "%d", i)}}})
	}
	errs, _ := commitGrouped(t, l, func(int) error { panic("boom") }, txns...)
	for i, err := range errs {
		if err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("txn %d: %v", i, err)
		}
	}
	if err := l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("next")}); err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(values(fetchPart(t, l, rlog.TopicPartition{Topic: "t"}))); got != "[next]" {
		t.Fatalf("t/0 = %s", got)
	}
}

// A process killed (SIGKILL) after a group's frames are written and
// synced, before its batch commits: on reopen every txn is all there or
// not at all, each committer's committed txns are a prefix of what it
// sent, and the torn group's bytes are cut.
func TestGroupCommitKilled(t *testing.T) {
	if dir := os.Getenv("RTDW_GROUPCOMMIT_CRASH_DIR"); dir != "" {
		groupCommitCrashChild(dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestGroupCommitKilled$", "-test.count=1")
	cmd.Env = append(os.Environ(), "RTDW_GROUPCOMMIT_CRASH_DIR="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("child: %v\n%s", err, out)
	}
	torn := segmentBytes(t, dir)
	l, err := Open(Options{Dir: dir, RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if cut := segmentBytes(t, dir); cut >= torn {
		t.Fatalf("segment bytes %d after Open, %d before: the killed group's frames were not cut", cut, torn)
	}
	committed := map[int]int{} // writer -> txns committed
	total := 0
	for w := range crashWriters {
		off, _, err := l.CommittedOffset(ctx, "g", rlog.TopicPartition{Topic: "in", Partition: int32(w)})
		if err != nil {
			t.Fatal(err)
		}
		committed[w] = int(off)
		total += 2 * int(off)
		it, _ := l.StateStore().NewIter(&pebble.IterOptions{LowerBound: fmt.Appendf(nil, "\x2fcrash-%d-", w), UpperBound: fmt.Appendf(nil, "\x2fcrash-%d.", w)})
		n := 0
		for it.First(); it.Valid(); it.Next() {
			n++
		}
		it.Close()
		if n != int(off) {
			t.Fatalf("writer %d: %d state keys, %d txns by its offset", w, n, off)
		}
	}
	seen := map[string]bool{}
	for p := range int32(crashParts) {
		last := map[int][2]int{}
		for _, r := range fetchPart(t, l, rlog.TopicPartition{Topic: "t", Partition: p}) {
			var w, i, k int
			fmt.Sscanf(string(r.Value), "%d-%d-%d", &w, &i, &k)
			if i >= committed[w] || seen[string(r.Value)] {
				t.Fatalf("t/%d: record %q (writer %d committed %d txns, seen before: %v)", p, r.Value, w, committed[w], seen[string(r.Value)])
			}
			if prev, ok := last[w]; ok && (prev[0] > i || prev[0] == i && prev[1] >= k) {
				t.Fatalf("t/%d: %q after %d-%d-%d", p, r.Value, w, prev[0], prev[1])
			}
			last[w], seen[string(r.Value)] = [2]int{i, k}, true
		}
	}
	if len(seen) != total {
		t.Fatalf("%d records, want %d (2 per committed txn)", len(seen), total)
	}
	t.Logf("%d txns committed before the kill", total/2)
	if err := l.Produce(ctx, rlog.Record{Topic: "t", Partition: 0, Value: []byte("after")}); err != nil {
		t.Fatal(err)
	}
	if recs := fetchPart(t, l, rlog.TopicPartition{Topic: "t"}); string(recs[len(recs)-1].Value) != "after" {
		t.Fatalf("last record after reopen %q", recs[len(recs)-1].Value)
	}
}

const crashWriters, crashParts = 8, 4

func groupCommitCrashChild(dir string) {
	l, err := Open(Options{Dir: dir, RetentionInterval: -1, SegmentBytes: 4096})
	if err != nil {
		panic(err)
	}
	l.CreateTopic(ctx, "t", rlog.TopicConfig{Partitions: crashParts})
	l.CreateTopic(ctx, "in", rlog.TopicConfig{Partitions: crashWriters})
	var groups atomic.Int64
	l.beforeBatchCommit = func(n int) error {
		if g := groups.Add(1); g > 300 || g > 30 && n >= 3 {
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
		return nil
	}
	for w := range crashWriters {
		go func() {
			for i := 0; ; i++ {
				st := stateBatch(l, fmt.Sprintf("\x2fcrash-%d-%06d", w, i), "1")
				err := l.Commit(ctx, &rlog.Txn{
					Records: []rlog.Record{
						{Topic: "t", Partition: int32(w % crashParts), Value: fmt.Appendf(nil, "%d-%d-0-%s", w, i, make([]byte, i%300))},
						{Topic: "t", Partition: int32((w + i) % crashParts), Value: fmt.Appendf(nil, "%d-%d-1", w, i)},
					},
					Group: "g", Offsets: map[rlog.TopicPartition]int64{{Topic: "in", Partition: int32(w)}: int64(i + 1)}, State: st,
				})
				st.Close()
				if err != nil {
					fmt.Println("commit:", err)
					os.Exit(2)
				}
			}
		}()
	}
	select {}
}

// BenchmarkCommitParallel is many tasks checkpointing at once with fsync on:
// small txns (two records, an input offset, one state key), 16 committers
// on 8 partitions, as concurrent jobs' tasks do.
func BenchmarkCommitParallel(b *testing.B) {
	l, err := Open(Options{Dir: b.TempDir(), RetentionInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	const parts = 8
	if err := l.CreateTopic(ctx, "out", rlog.TopicConfig{Partitions: parts}); err != nil {
		b.Fatal(err)
	}
	val := make([]byte, 200)
	var ids atomic.Int32
	b.SetParallelism(max(1, 16/runtime.GOMAXPROCS(0))) // 16 goroutines
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		id := ids.Add(1) - 1
		part := id % parts
		key := fmt.Appendf(nil, "\x2fbench-%d", id)
		in := rlog.TopicPartition{Topic: "out", Partition: part}
		for i := int64(0); pb.Next(); i++ {
			st := l.StateStore().NewBatch()
			st.Set(key, val[:16], nil)
			err := l.Commit(ctx, &rlog.Txn{
				Records: []rlog.Record{{Topic: "out", Partition: part, Value: val}, {Topic: "out", Partition: part, Value: val}},
				Group:   "g", Offsets: map[rlog.TopicPartition]int64{in: i}, State: st,
			})
			st.Close()
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "txns/s")
}
