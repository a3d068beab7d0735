// Package aggfn holds rtdw's SQL aggregate functions (COUNT, SUM, MIN,
// MAX, AVG, FIRST_VALUE, LAST_VALUE, LISTAGG, COLLECT, ...) with Flink's
// semantics, and the registry user aggregate functions join by name.
//
// An aggregate is bound at plan time to its argument types; the bound
// function makes accumulators. Accumulators live in keyed state between
// records, so they serialize themselves (Marshal / Unmarshal) compactly;
// the group and window operators keep decoded accumulators in memory and
// write them back once per checkpoint.
package aggfn

import (
	"sort"
	"strings"
	"sync"

	"github.com/rtdw/rtdw/internal/row"
)

// Acc is one group's (or window's) accumulator.
type Acc interface {
	// Add accumulates one input row's arguments (COUNT(*) gets none).
	Add(args []row.Value) error
	// Retract takes back an earlier Add of the same arguments (a -U/-D
	// input row). Only called when Bound.Retractable.
	Retract(args []row.Value) error
	// Merge folds another accumulator of the same bound function in
	// (session windows merging, HOP/CUMULATE slices). Only called when
	// Bound.Mergeable.
	Merge(other Acc) error
	// Result is the current aggregate value (NULL for SUM/MIN/MAX/AVG of
	// no rows, as SQL; COUNT gives 0).
	Result() row.Value
	// Marshal appends the accumulator's state; Unmarshal restores it
	// into a fresh accumulator from Bound.New.
	Marshal(dst []byte) []byte
	Unmarshal(src []byte) error
}

// Bound is an aggregate function bound to argument types.
type Bound struct {
	Name        string
	Type        row.Type // result type, as Flink derives it
	New         func() Acc
	Retractable bool
	Mergeable   bool
}

// Func is an aggregate function.
type Func struct {
	Name string
	// Bind checks the argument types; distinct is COUNT(DISTINCT x) and
	// the like (the function wraps itself with a per-value count so a
	// value counts once and a retraction of its last copy takes it back).
	// Literal arguments (LISTAGG's separator) come as consts[i] != nil.
	Bind func(args []row.Type, consts []*row.Value, distinct bool) (Bound, error)
}

var (
	mu    sync.RWMutex
	funcs = map[string]*Func{}
)

// Register adds an aggregate function; names are case-insensitive.
func Register(f *Func) {
	mu.Lock()
	defer mu.Unlock()
	funcs[strings.ToUpper(f.Name)] = f
}

// Lookup finds an aggregate function by name.
func Lookup(name string) (*Func, bool) {
	mu.RLock()
	defer mu.RUnlock()
	f, ok := funcs[strings.ToUpper(name)]
	return f, ok
}

// Names lists the registered aggregate functions, sorted (SHOW FUNCTIONS).
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(funcs))
	for n := range funcs {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
