package connector

import (
	"fmt"
	"sort"
	"strings"
)

// Markdown documents every registered connector from its Factory (the
// options table of docs/sql.md is generated from it, so the doc and the
// code cannot disagree).
func Markdown() string {
	mu.RLock()
	seen := map[*Factory]bool{}
	var fs []*Factory
	for _, f := range factories {
		if !seen[f] {
			seen[f] = true
			fs = append(fs, f)
		}
	}
	mu.RUnlock()
	sort.Slice(fs, func(i, j int) bool { return fs[i].Name < fs[j].Name })
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "### `%s`", f.Name)
		if len(f.Aliases) > 0 {
			fmt.Fprintf(&b, " (alias `%s`)", strings.Join(f.Aliases, "`, `"))
		}
		b.WriteString("\n\n")
		var roles []string
		if f.NewSource != nil {
			roles = append(roles, "source")
		}
		if f.NewSink != nil {
			roles = append(roles, "sink")
		}
		if f.NewLookup != nil {
			roles = append(roles, "lookup")
		}
		fmt.Fprintf(&b, "%s\n\nRoles: %s.\n\n", f.Doc, strings.Join(roles, ", "))
		if len(f.Options) == 0 {
			continue
		}
		b.WriteString("| option | default | required | description |\n|---|---|---|---|\n")
		for _, o := range f.Options {
			req := ""
			if o.Required {
				req = "yes"
			}
			def := ""
			if o.Default != "" {
				def = "`" + o.Default + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", o.Key, def, req, strings.ReplaceAll(o.Doc, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	return b.String()
}
