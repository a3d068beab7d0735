package session

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// WriteTable prints rows as the SQL client's tableau: a boxed table with
// columns as wide as their widest cell, counting East Asian wide
// characters as two columns so Chinese text lines up.
func WriteTable(w io.Writer, header []string, rows [][]string) {
	widths := make([]int, len(header))
	for i, h := range header {
		widths[i] = displayWidth(h)
	}
	for _, r := range rows {
		for i, c := range r {
			if n := displayWidth(c); n > widths[i] {
				widths[i] = n
			}
		}
	}
	line := func() {
		var b strings.Builder
		b.WriteByte('+')
		for _, n := range widths {
			b.WriteString(strings.Repeat("-", n+2))
			b.WriteByte('+')
		}
		fmt.Fprintln(w, b.String())
	}
	cells := func(r []string) {
		var b strings.Builder
		b.WriteByte('|')
		for i, c := range r {
			b.WriteByte(' ')
			b.WriteString(c)
			b.WriteString(strings.Repeat(" ", widths[i]-displayWidth(c)))
			b.WriteString(" |")
		}
		fmt.Fprintln(w, b.String())
	}
	line()
	cells(header)
	line()
	for _, r := range rows {
		cells(r)
	}
	line()
	if len(rows) == 1 {
		fmt.Fprintln(w, "1 row in set")
	} else {
		fmt.Fprintf(w, "%d rows in set\n", len(rows))
	}
}

func displayWidth(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}
