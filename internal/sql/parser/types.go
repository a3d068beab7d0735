package parser

import (
	"strings"

	"github.com/rtdw/rtdw/internal/row"
)

// Data types are parsed in two steps. The grammar below finds where a
// type ends and reports syntax errors at their position in the file;
// the type's tokens are then handed to row.ParseType, the one place
// that knows Flink's type defaults and aliases (DECIMAL is
// DECIMAL(10, 0), VARCHAR without a length is STRING, INTERVAL
// resolutions...), so a type in a CREATE TABLE and one in the catalog
// or a format can never disagree.

// dataType parses a data type: a base type, ARRAY / MULTISET suffixes
// and NOT NULL / NULL.
func (p *parser) dataType() row.Type {
	start := p.i
	p.typeSyntax()
	var b strings.Builder
	for i := start; i < p.i; i++ {
		if i > start {
			b.WriteByte(' ')
		}
		t := &p.toks[i]
		switch t.kind {
		case tQuoted:
			b.Write(row.AppendIdent(nil, t.val))
		case tString:
			b.WriteString("'" + strings.ReplaceAll(t.val, "'", "''") + "'")
		default:
			b.WriteString(t.val)
		}
	}
	typ, err := row.ParseType(b.String())
	if err != nil {
		msg := err.Error()
		if i := strings.Index(msg, "\": "); strings.HasPrefix(msg, "type \"") && i > 0 {
			msg = msg[i+3:]
		}
		p.failAt(p.toks[start].pos, "invalid type %s: %s", p.src[p.toks[start].pos.Offset:p.lastEnd], msg)
	}
	return typ
}

// typeSyntax consumes one type, checking its grammar.
func (p *parser) typeSyntax() {
	p.enter()
	defer p.leave()
	p.baseType()
	for p.acceptKw("ARRAY") || p.acceptKw("MULTISET") {
	}
	if p.isKw("NOT") && p.isKwAt(1, "NULL") {
		p.next()
		p.next()
	} else if p.isKw("NULL") && !p.isKwAt(1, "ON") {
		// (NULL ON EMPTY after JSON_VALUE's RETURNING type is a clause)
		p.next()
	}
}

// typeNames are the base type names; the value says which parameters
// follow: "" none, "n" (n), "nn" (n[, m]).
var typeNames = map[string]string{
	"BOOLEAN": "", "TINYINT": "", "SMALLINT": "", "INT": "", "INTEGER": "", "BIGINT": "",
	"FLOAT": "", "REAL": "", "DOUBLE": "", "DATE": "", "STRING": "", "BYTES": "", "NULL": "",
	"DECIMAL": "nn", "DEC": "nn", "NUMERIC": "nn",
	"CHAR": "n", "CHARACTER": "n", "VARCHAR": "n", "BINARY": "n", "VARBINARY": "n",
	"TIME": "n", "TIMESTAMP": "n", "TIMESTAMP_LTZ": "n",
	"INTERVAL": "", "ARRAY": "", "MULTISET": "", "MAP": "", "ROW": "",
}

func (p *parser) baseType() {
	t := p.peek()
	if t.kind != tWord {
		p.unexpected("a data type")
	}
	params, ok := typeNames[t.up]
	if !ok {
		switch t.up {
		case "RAW", "STRUCTURED":
			p.failAt(t.pos, "%s types are not supported", t.up)
		case "BOOL":
			p.failAt(t.pos, "unknown data type BOOL: write BOOLEAN")
		case "LONG":
			p.failAt(t.pos, "unknown data type LONG: write BIGINT")
		case "TEXT":
			p.failAt(t.pos, "unknown data type TEXT: write STRING")
		case "DATETIME":
			p.failAt(t.pos, "unknown data type DATETIME: write TIMESTAMP(3)")
		}
		p.failAt(t.pos, "unknown data type %s", describe(p.src, *t))
	}
	p.next()
	switch t.up {
	case "DOUBLE":
		p.acceptKw("PRECISION")
	case "CHAR", "CHARACTER":
		p.acceptKw("VARYING")
	case "INTERVAL":
		p.intervalType()
		return
	case "ARRAY", "MULTISET":
		p.expectOp("<")
		p.typeSyntax()
		p.expectOp(">")
		return
	case "MAP":
		p.expectOp("<")
		p.typeSyntax()
		p.expectOp(",")
		p.typeSyntax()
		p.expectOp(">")
		return
	case "ROW":
		p.rowFields()
		return
	}
	if params != "" && p.acceptOp("(") {
		p.typeParam()
		if params == "nn" && p.acceptOp(",") {
			p.typeParam()
		}
		p.expectOp(")")
	}
	switch {
	case (t.up == "TIME" || t.up == "TIMESTAMP") && p.isKw("WITHOUT"):
		p.next()
		p.expectKws("TIME", "ZONE")
	case t.up == "TIMESTAMP" && p.isKw("WITH") && (p.isKwAt(1, "LOCAL") || p.isKwAt(1, "TIME")):
		p.next()
		if !p.isKw("LOCAL") {
			p.failAt(p.peek().pos, "TIMESTAMP WITH TIME ZONE is not supported (as in Flink): use TIMESTAMP_LTZ or TIMESTAMP WITH LOCAL TIME ZONE")
		}
		p.next()
		p.expectKws("TIME", "ZONE")
	}
}

// typeParam parses a length, precision or scale.
func (p *parser) typeParam() {
	t := p.peek()
	if t.kind != tNumber || strings.ContainsAny(t.val, ".eE") {
		p.unexpected("an integer")
	}
	if len(t.val) > 10 || len(t.val) == 10 && t.val > "2147483647" {
		p.failAt(t.pos, "%s is out of range (at most 2147483647)", t.val)
	}
	p.next()
}

// intervalType parses the qualifier of an INTERVAL type:
// unit [(p[, f])] [TO unit [(f)]].
func (p *parser) intervalType() {
	unit := func() string {
		t := p.peek()
		switch t.up {
		case "YEAR", "MONTH", "DAY", "HOUR", "MINUTE", "SECOND":
			if t.kind == tWord {
				p.next()
				return t.up
			}
		}
		p.unexpected("YEAR, MONTH, DAY, HOUR, MINUTE or SECOND")
		return ""
	}
	from := unit()
	if p.acceptOp("(") {
		p.typeParam()
		if p.acceptOp(",") {
			p.typeParam()
		}
		p.expectOp(")")
	}
	if p.isKw("TO") {
		to := p.next()
		u := unit()
		if !strings.Contains(intervalTo[from], u) {
			p.failAt(to.pos, "INTERVAL %s TO %s is not a valid interval type", from, u)
		}
		if p.acceptOp("(") {
			p.typeParam()
			p.expectOp(")")
		}
	}
}

// rowFields parses ROW<name type ['description'], ...> or ROW(...).
func (p *parser) rowFields() {
	closer := ">"
	if p.acceptOp("(") {
		closer = ")"
	} else if !p.acceptOp("<") {
		if p.isOp("<>") {
			p.next()
			return
		}
		p.unexpected(`"<" or "("`)
	}
	if p.acceptOp(closer) {
		return
	}
	for {
		t := p.peek()
		if t.kind != tWord && t.kind != tQuoted {
			p.unexpected("a field name")
		}
		p.next()
		p.typeSyntax()
		if p.peek().kind == tString {
			p.next()
		}
		if p.acceptOp(closer) {
			return
		}
		p.expectOp(",")
	}
}
