package cli

import (
	"runtime"
	"runtime/debug"
	"strings"
)

// Version, if set at link time (-ldflags "-X github.com/rtdw/rtdw/internal/cli.Version=v1.2.3"),
// is what --version prints first; otherwise the module version.
var Version string

// versionString is `rtdw --version`: the module version (or Version), the
// VCS revision and time the binary was built from (+dirty with
// uncommitted changes), and the Go version.
func versionString() string {
	v := Version
	var rev, at string
	dirty := false
	if bi, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.time":
				at = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	if v == "" || v == "(devel)" {
		v = "devel" // go build / go run of a work tree
	}
	var extra []string
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		if dirty {
			rev += "+dirty"
		}
		extra = append(extra, "commit "+rev)
	}
	if at != "" {
		extra = append(extra, at)
	}
	extra = append(extra, runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH)
	return v + " (" + strings.Join(extra, ", ") + ")"
}
