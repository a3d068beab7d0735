package cli

// Reading a data dir that a running rtdw holds. The embedded log's store
// and the DuckDB file allow one process; `run`, `demo` and `sql` hold
// them and advertise their HTTP address and a per-process token in
// <data-dir>/rtdw.addr (readable by the data dir's owner only). The topic
// commands already go through it (internal/log/remote); `rtdw dim get`,
// `rtdw dim list` and `rtdw query` do too: dimension reads under
// /api/dim/ behind the same process token, queries through the console's
// confined read-only /api/query.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/rtdw/rtdw/internal/dim"
	"github.com/rtdw/rtdw/internal/log/remote"
	"github.com/rtdw/rtdw/internal/olap"
)

// runningProcess returns the address and process token of the rtdw
// holding the data dir, if one advertised itself.
func (g *globals) runningProcess() (addr, token string, ok bool) {
	raw, err := os.ReadFile(filepath.Join(g.dataDir, addrFile))
	if err != nil {
		return "", "", false
	}
	addr, token, _ = strings.Cut(strings.TrimSpace(string(raw)), "\n")
	return addr, strings.TrimSpace(token), addr != ""
}

// dimHandler serves a process's dimension store read-only under
// /api/dim/ to clients presenting the process token: GET /api/dim/tables
// and GET /api/dim/row?table=T&key=K (404: no such row).
func dimHandler(s dim.Store, token string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !remote.HasToken(r, token) {
			http.Error(w, "wrong or missing process token (read it from the data dir's rtdw.addr)", http.StatusForbidden)
			return
		}
		if r.Method != http.MethodGet {
			http.Error(w, "GET only", http.StatusMethodNotAllowed)
			return
		}
		if s == nil {
			http.Error(w, "this rtdw keeps no dimension store (run or demo with the warehouse's jobs does)", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch strings.TrimPrefix(r.URL.Path, "/api/dim/") {
		case "tables":
			ts, err := s.Tables(r.Context())
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			json.NewEncoder(w).Encode(ts)
		case "row":
			row, ok, err := s.Get(r.Context(), r.URL.Query().Get("table"), r.URL.Query().Get("key"))
			switch {
			case err != nil:
				http.Error(w, err.Error(), http.StatusInternalServerError)
			case !ok:
				http.Error(w, "no such row", http.StatusNotFound)
			default:
				w.Write(row)
			}
		default:
			http.NotFound(w, r)
		}
	})
}

// processClient calls the running rtdw's HTTP API.
type processClient struct {
	base, token, auth string
	c                 *http.Client
}

func (g *globals) processClient() (*processClient, bool) {
	addr, token, ok := g.runningProcess()
	if !ok {
		return nil, false
	}
	return &processClient{base: "http://" + addr, token: token, auth: g.authToken, c: &http.Client{Timeout: 2 * time.Minute}}, true
}

func (p *processClient) do(ctx context.Context, method, path string, body []byte) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, method, p.base+path, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set(remote.TokenHeader, p.token)
	if p.auth != "" {
		req.Header.Set("Authorization", "Bearer "+p.auth)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := p.c.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("the rtdw holding the data dir does not answer at %s: %w", p.base, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if resp.StatusCode == http.StatusUnauthorized {
		return nil, resp.StatusCode, remote.ErrUnauthorized
	}
	return b, resp.StatusCode, err
}

// remoteDims reads the dimension store of the running rtdw (Get and
// Tables; writes are refused: the store is the jobs').
type remoteDims struct{ p *processClient }

var errRemoteDimsReadOnly = errors.New("the dimension store of a running rtdw is read-only from here")

func (d remoteDims) CreateTable(context.Context, dim.Table) error      { return errRemoteDimsReadOnly }
func (d remoteDims) DropTable(context.Context, string) error           { return errRemoteDimsReadOnly }
func (d remoteDims) Put(context.Context, string, string, []byte) error { return errRemoteDimsReadOnly }
func (d remoteDims) Delete(context.Context, string, string) error      { return errRemoteDimsReadOnly }
func (d remoteDims) Close() error                                      { return nil }

func (d remoteDims) Get(ctx context.Context, table, key string) ([]byte, bool, error) {
	b, code, err := d.p.do(ctx, http.MethodGet, "/api/dim/row?table="+url.QueryEscape(table)+"&key="+url.QueryEscape(key), nil)
	switch {
	case err != nil:
		return nil, false, err
	case code == http.StatusNotFound:
		return nil, false, nil
	case code != http.StatusOK:
		return nil, false, fmt.Errorf("dim get through the running rtdw: %s", strings.TrimSpace(string(b)))
	}
	return b, true, nil
}

func (d remoteDims) Tables(ctx context.Context) ([]dim.Table, error) {
	b, code, err := d.p.do(ctx, http.MethodGet, "/api/dim/tables", nil)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("dim tables through the running rtdw: %s", strings.TrimSpace(string(b)))
	}
	var ts []dim.Table
	return ts, json.Unmarshal(b, &ts)
}

// remoteQuerier runs queries through the running rtdw's console
// (/api/query: one read-only statement on its confined OLAP path, at most
// its row cap).
type remoteQuerier struct {
	p         *processClient
	truncated func(max int)
}

func (q remoteQuerier) Query(ctx context.Context, sql string, _ ...any) (*olap.Result, error) {
	body, _ := json.Marshal(map[string]string{"sql": sql})
	b, code, err := q.p.do(ctx, http.MethodPost, "/api/query", body)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return nil, errors.New(e.Error)
		}
		return nil, fmt.Errorf("query through the running rtdw: %s", strings.TrimSpace(string(b)))
	}
	var ans struct {
		Columns   []string `json:"columns"`
		Types     []string `json:"types"`
		Rows      [][]any  `json:"rows"`
		Truncated bool     `json:"truncated"`
		MaxRows   int      `json:"max_rows"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers as their text: no float rounding of BIGINT or DECIMAL
	if err := dec.Decode(&ans); err != nil {
		return nil, fmt.Errorf("query through the running rtdw: %w", err)
	}
	res := &olap.Result{Columns: ans.Columns, Rows: ans.Rows}
	for _, t := range ans.Types {
		res.Types = append(res.Types, olap.Type(t))
	}
	for _, r := range res.Rows {
		for i, v := range r {
			if n, ok := v.(json.Number); ok {
				if x, err := n.Int64(); err == nil {
					r[i] = x
				} else {
					r[i] = olap.DecimalString(n.String()) // printed as sent: no float rounding
				}
			}
		}
	}
	if ans.Truncated && q.truncated != nil {
		q.truncated(ans.MaxRows)
	}
	return res, nil
}

func (q remoteQuerier) Close() error { return nil }
