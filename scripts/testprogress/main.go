// Command testprogress reads `go test -json` on stdin and prints progress
// as the tests run: a line per test that took a second or more (so a
// package of slow end-to-end tests is not silent for minutes), a line per
// package as `go test` prints it, every skipped test, and the whole
// output of every failed test and failed build. It exits 1 when anything
// failed, so `go test -json ./... | go run ./scripts/testprogress` fails
// as `go test ./...` would.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// event is one line of `go test -json` (cmd/test2json).
type event struct {
	Time        time.Time
	Action      string
	Package     string
	Test        string
	Elapsed     float64
	Output      string
	ImportPath  string
	FailedBuild string
}

func main() {
	failed := false
	outputs := map[string]*strings.Builder{} // package + test -> its output
	// Output is kept per top-level test (its subtests' included, in order).
	key := func(e *event) string {
		top, _, _ := strings.Cut(e.Test, "/")
		return e.Package + "\x00" + top
	}
	add := func(k, text string) {
		b := outputs[k]
		if b == nil {
			b = &strings.Builder{}
			outputs[k] = b
		}
		b.WriteString(text)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		var e event
		if err := json.Unmarshal(in.Bytes(), &e); err != nil {
			fmt.Fprintln(out, in.Text()) // not an event: pass it on
			out.Flush()
			continue
		}
		switch e.Action {
		case "build-output":
			add("build\x00"+e.ImportPath, e.Output)
		case "build-fail":
			failed = true
			fmt.Fprintf(out, "BUILD FAILED %s\n%s", e.ImportPath, outputs["build\x00"+e.ImportPath])
		case "output":
			add(key(&e), e.Output)
		case "pass", "fail", "skip":
			if e.Test == "" { // the package
				b := outputs[key(&e)]
				if e.Action == "fail" {
					failed = true
					if b != nil {
						fmt.Fprint(out, b.String())
					}
				} else if b != nil {
					// The package summary line (ok / no test files).
					for _, l := range strings.Split(b.String(), "\n") {
						if strings.HasPrefix(l, "ok ") || strings.HasPrefix(l, "? ") || strings.HasPrefix(l, "ok\t") || strings.HasPrefix(l, "?\t") {
							fmt.Fprintln(out, l)
						}
					}
				}
				for k := range outputs {
					if strings.HasPrefix(k, e.Package+"\x00") {
						delete(outputs, k)
					}
				}
				out.Flush()
				continue
			}
			top := !strings.Contains(e.Test, "/")
			switch {
			case e.Action == "fail":
				failed = true
				if b := outputs[key(&e)]; b != nil && top {
					fmt.Fprintf(out, "%s: %s", e.Package, b.String())
				} else if top {
					fmt.Fprintf(out, "--- FAIL: %s %s (%.2fs)\n", e.Package, e.Test, e.Elapsed)
				}
			case e.Action == "skip" && top:
				fmt.Fprintf(out, "--- SKIP: %s %s\n", e.Package, e.Test)
			case e.Action == "pass" && top && e.Elapsed >= 1:
				fmt.Fprintf(out, "    pass %s %s (%.1fs)\n", shortPkg(e.Package), e.Test, e.Elapsed)
			}
			if top {
				delete(outputs, key(&e))
			}
			out.Flush()
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintln(out, "testprogress:", err)
		failed = true
	}
	out.Flush()
	if failed {
		os.Exit(1)
	}
}

func shortPkg(p string) string { return strings.TrimPrefix(p, "github.com/rtdw/rtdw/") }
