package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/olap"
)

// maxQueryBytes caps the SQL of one /api/query request.
const maxQueryBytes = 64 << 10

// readOnlyFirst are the statements the SQL editor runs; rowQueries are
// those whose rows it can cap with an outer LIMIT.
var (
	readOnlyFirst = map[string]bool{"SELECT": true, "WITH": true, "FROM": true, "VALUES": true,
		"SHOW": true, "DESCRIBE": true, "DESC": true, "EXPLAIN": true, "SUMMARIZE": true}
	rowQueries = map[string]bool{"SELECT": true, "WITH": true, "FROM": true, "VALUES": true}
	// writeWords may not appear outside quotes and comments, wherever: a
	// WITH ... DELETE, an EXPLAIN ANALYZE UPDATE. The query path rolls
	// every statement back anyway (and DuckDB runs without external
	// access, PostgreSQL in READ ONLY transactions); refusing these keeps
	// a console query from even contending with the loads.
	writeWords = map[string]bool{"INSERT": true, "UPDATE": true, "DELETE": true, "MERGE": true, "UPSERT": true,
		"CREATE": true, "DROP": true, "ALTER": true, "TRUNCATE": true, "COPY": true, "ATTACH": true, "DETACH": true,
		"INSTALL": true, "LOAD": true, "IMPORT": true, "EXPORT": true, "SET": true, "RESET": true, "PRAGMA": true,
		"CALL": true, "CHECKPOINT": true, "VACUUM": true, "BEGIN": true, "COMMIT": true, "ROLLBACK": true,
		"ABORT": true, "GRANT": true, "REVOKE": true, "KILL": true, "OPTIMIZE": true}
)

// sqlScan is one reading of SQL text: its words outside quotes and
// comments, and whether a ';' ends a statement before the end.
type sqlScan struct {
	words []string
	semi  bool // a ';' with more SQL after it
}

// scanSQL reads q; backslash says whether '\' escapes inside quotes
// (MySQL-like dialects: Doris, StarRocks, ClickHouse; E'...' in
// PostgreSQL and DuckDB), dollar whether $tag$...$tag$ quotes.
func scanSQL(q string, backslash, dollar bool) sqlScan {
	var s sqlScan
	semiAt := -1
	for i := 0; i < len(q); {
		ch := q[i]
		switch {
		case ch == '-' && i+1 < len(q) && q[i+1] == '-', ch == '#' && backslash:
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case ch == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				i = len(q)
			} else {
				i += end + 4
			}
		case ch == '\'' || ch == '"' || ch == '`':
			i++
			for i < len(q) {
				if backslash && q[i] == '\\' {
					i += 2
					continue
				}
				if q[i] == ch {
					if i+1 < len(q) && q[i+1] == ch { // doubled: an escaped quote
						i += 2
						continue
					}
					break
				}
				i++
			}
			i++
		case ch == '$' && dollar:
			j := i + 1
			for j < len(q) && (isWordByte(q[j]) && !(j == i+1 && q[j] >= '0' && q[j] <= '9')) {
				j++
			}
			if j < len(q) && q[j] == '$' {
				tag := q[i : j+1]
				end := strings.Index(q[j+1:], tag)
				if end < 0 {
					i = len(q)
				} else {
					i = j + 1 + end + len(tag)
				}
			} else {
				i = j
			}
		case ch == ';':
			if semiAt < 0 {
				semiAt = i
			}
			i++
		case isWordByte(ch):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			if semiAt >= 0 {
				s.semi = true
			}
			s.words = append(s.words, strings.ToUpper(q[i:j]))
			i = j
		default:
			if semiAt >= 0 && ch != ' ' && ch != '\t' && ch != '\n' && ch != '\r' {
				s.semi = true
			}
			i++
		}
	}
	return s
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// ErrNotReadOnly is the SQL editor's refusal of a statement that is not a
// query.
var ErrNotReadOnly = errors.New("the console runs read-only queries")

// checkReadOnly accepts one query (SELECT, WITH, FROM, VALUES, SHOW,
// DESCRIBE, EXPLAIN, SUMMARIZE) and returns it without its trailing ';'
// and whether its rows can be capped by wrapping it. Every reading of the
// quotes (with and without backslash escapes and dollar quoting) must
// find no write keyword outside quotes and comments, so a dialect's
// quoting cannot hide one.
func checkReadOnly(q string) (string, bool, error) {
	q = strings.TrimSpace(q)
	for strings.HasSuffix(q, ";") {
		q = strings.TrimSpace(strings.TrimSuffix(q, ";"))
	}
	var first string
	for _, backslash := range []bool{false, true} {
		for _, dollar := range []bool{true, false} {
			s := scanSQL(q, backslash, dollar)
			if len(s.words) == 0 {
				return "", false, errors.New("the SQL is empty")
			}
			if s.semi {
				return "", false, fmt.Errorf("%w: one statement at a time", ErrNotReadOnly)
			}
			if !readOnlyFirst[s.words[0]] {
				return "", false, fmt.Errorf("%w (SELECT, WITH, SHOW, DESCRIBE, EXPLAIN), not %s", ErrNotReadOnly, s.words[0])
			}
			for _, w := range s.words {
				if writeWords[w] {
					return "", false, fmt.Errorf("%w: %s is not allowed outside quotes (quote an identifier of that name: \"%s\")", ErrNotReadOnly, w, strings.ToLower(w))
				}
			}
			if first == "" {
				first = s.words[0]
			}
		}
	}
	return q, rowQueries[first], nil
}

type queryRequest struct {
	SQL string `json:"sql"`
}

type queryAnswer struct {
	Columns   []string `json:"columns"`
	Types     []string `json:"types"`
	Rows      [][]any  `json:"rows"`
	Truncated bool     `json:"truncated"`
	MaxRows   int      `json:"max_rows"`
	ElapsedMs float64  `json:"elapsed_ms"`
}

// query is POST /api/query: {"sql": "..."} →
// {columns, types, rows, truncated}. One read-only statement, run on the
// confined OLAP query path within QueryTimeout, at most MaxRows rows.
func (c *Console) query(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, r.Method+" not allowed: POST {\"sql\": \"SELECT ...\"}")
		return
	}
	// JSON only: a browser sends it cross-site only after a CORS preflight,
	// which this server never grants.
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send Content-Type: application/json and {\"sql\": \"SELECT ...\"}")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxQueryBytes))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "the SQL must be at most "+strconv.Itoa(maxQueryBytes)+" bytes")
		return
	}
	var req queryRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "bad JSON: "+err.Error())
		return
	}
	q, wrap, err := checkReadOnly(req.SQL)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if c.o.Querier == nil {
		writeError(w, http.StatusServiceUnavailable, "no OLAP database configured in this process: the SQL editor has nothing to query")
		return
	}
	if wrap {
		// A trailing comment must not swallow the wrapper: newlines.
		q = "SELECT * FROM (\n" + q + "\n) AS rtdw_console LIMIT " + strconv.Itoa(c.o.MaxRows+1)
	}
	ctx, cancel := context.WithTimeout(olap.WithExactDecimals(r.Context()), c.o.QueryTimeout)
	defer cancel()
	began := time.Now()
	res, err := c.o.Querier.Query(ctx, q)
	if err != nil {
		msg := err.Error()
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			msg = "the query ran longer than " + c.o.QueryTimeout.String() + " and was stopped: " + msg
		}
		writeError(w, http.StatusBadRequest, msg)
		return
	}
	ans := queryAnswer{Columns: res.Columns, Types: make([]string, len(res.Columns)), Rows: [][]any{}, MaxRows: c.o.MaxRows,
		ElapsedMs: float64(time.Since(began).Microseconds()) / 1000}
	if ans.Columns == nil {
		ans.Columns = []string{}
	}
	for i := range ans.Types {
		if i < len(res.Types) {
			ans.Types[i] = string(res.Types[i])
		}
	}
	for i, row := range res.Rows {
		if i == c.o.MaxRows {
			ans.Truncated = true
			break
		}
		out := make([]any, len(row))
		for k, v := range row {
			switch x := v.(type) {
			case time.Time:
				var t olap.Type
				if k < len(res.Types) {
					t = res.Types[k]
				}
				out[k] = olap.FormatValue(x, t)
			default:
				out[k] = x
			}
		}
		ans.Rows = append(ans.Rows, out)
	}
	writeJSON(w, http.StatusOK, ans)
}
