package cli

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	rlog "github.com/rtdw/rtdw/internal/log"
	"github.com/rtdw/rtdw/internal/olap"
	"github.com/rtdw/rtdw/internal/sql/catalog"
	"github.com/rtdw/rtdw/internal/sql/connector"
	"github.com/rtdw/rtdw/internal/sql/planner"
	"github.com/rtdw/rtdw/internal/sql/session"
)

// sqlFiles expands the --sql / sql: arguments: a file, or a directory's
// *.sql files in name order.
func sqlFiles(paths []string) ([]sqlSource, error) {
	var out []sqlSource
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, usageError{err}
		}
		files := []string{p}
		if st.IsDir() {
			if files, err = filepath.Glob(filepath.Join(p, "*.sql")); err != nil {
				return nil, err
			}
			sort.Strings(files)
			if len(files) == 0 {
				return nil, usagef("--sql %s: no *.sql files in the directory", p)
			}
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, usageError{err}
			}
			out = append(out, sqlSource{f, string(b)})
		}
	}
	return out, nil
}

// sqlPipeline plans the SQL files of `run --sql` / `worker --sql` (and
// rtdw.yaml's sql: list). Their DDL is session-scoped (temporary), so the
// same files start the same jobs again after a restart; SELECTs are
// refused (a pipeline writes with INSERT INTO).
type sqlPipeline struct {
	jobs     []*planner.Job
	cat      *catalog.Manager
	services *connector.Services // mysql-cdc captures, to run next to unbounded jobs
}

func (g *globals) planSQLPipeline(cfg Config, l rlog.Log, paths, resets []string, checkPlans bool, olapSink olap.Sink) (*sqlPipeline, error) {
	srcs, err := sqlFiles(paths)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(g.dataDir, 0o755); err != nil {
		return nil, err
	}
	cat, err := catalog.Open(filepath.Join(g.dataDir, "catalog"))
	if err != nil {
		return nil, err
	}
	olapCfg := cfg.OLAP
	olapCfg.DataDir, olapCfg.Logger = g.dataDir, g.logger
	conn := connector.Context{Log: l, KafkaMode: cfg.Mode == "kafka", DataDir: g.dataDir, OLAP: &olapCfg, OLAPSink: olapSink, Out: g.stdout, Logger: g.logger}
	sess := session.New(cat, map[string]string{"table.local-time-zone": cfg.Timezone}, conn, g.stdout)
	sess.TemporaryDDL = true
	sess.RefuseQueries = "a SELECT in a pipeline file: write its result with INSERT INTO (rtdw sql -e runs queries)"
	services := &connector.Services{}
	sess.Conn.AddService = services.Add
	reg, err := openSQLJobRegistry(g.dataDir)
	if err != nil {
		cat.Close()
		return nil, err
	}
	if err := reg.applyResets(resets); err != nil {
		cat.Close()
		return nil, err
	}
	sess.Rename = reg.name
	sess.JobNames = map[string]bool{} // across files: they run as one
	p := &sqlPipeline{cat: cat, services: services}
	for _, s := range srcs {
		sc, err := sess.Execute(s.name, s.text, session.Plan)
		if err != nil {
			cat.Close()
			return nil, sqlError(err)
		}
		p.jobs = append(p.jobs, sc.Jobs...)
	}
	if checkPlans {
		if err := reg.check(p.jobs); err != nil {
			cat.Close()
			return nil, err
		}
	}
	return p, nil
}

// sqlJobRegistry remembers, per SQL job of a data dir, the fingerprint of
// its plan and its generation, so a job whose SQL changed in a way its
// state cannot follow is refused instead of misreading its state, and
// --reset-job starts it afresh (a new generation is a new engine job:
// new state, offsets and internal topics).
type sqlJobRegistry struct {
	path  string
	Jobs  map[string]*sqlJobEntry `json:"jobs"`
	reset bool                    // applyResets changed Jobs; check saves it
}

type sqlJobEntry struct {
	Generation int    `json:"generation"`
	Plan       string `json:"plan"` // sha256 of the plan without its header
	Statement  string `json:"statement"`
}

func openSQLJobRegistry(dataDir string) (*sqlJobRegistry, error) {
	r := &sqlJobRegistry{path: filepath.Join(dataDir, "sql-jobs.json"), Jobs: map[string]*sqlJobEntry{}}
	b, err := os.ReadFile(r.path)
	if errors.Is(err, os.ErrNotExist) {
		return r, nil
	}
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, r); err != nil {
		return nil, fmt.Errorf("%s: %v", r.path, err)
	}
	if r.Jobs == nil {
		r.Jobs = map[string]*sqlJobEntry{}
	}
	return r, nil
}

func (r *sqlJobRegistry) name(base string) string {
	if e, ok := r.Jobs[base]; ok && e.Generation > 1 {
		return fmt.Sprintf("%s_g%d", base, e.Generation)
	}
	return base
}

func planFingerprint(plan string) string {
	if i := strings.IndexByte(plan, '\n'); i >= 0 {
		plan = plan[i+1:] // the header names the job (and its generation)
	}
	sum := sha256.Sum256([]byte(plan))
	return hex.EncodeToString(sum[:])
}

// check compares each job's plan with the one it last ran with and, when
// every plan passes, records new jobs' plans and the resets of
// applyResets. It is called once every statement has planned, just
// before the jobs start: a run that fails earlier leaves the registry as
// it was, so a failed --reset-job does not start the job afresh later.
func (r *sqlJobRegistry) check(jobs []*planner.Job) error {
	for _, j := range jobs {
		if e, ok := r.Jobs[j.Base]; ok && e.Plan != "" && e.Plan != planFingerprint(j.Plan) {
			return fmt.Errorf("SQL job %s changed since it last ran on this data dir: its state (windows, aggregates) cannot follow the new plan.\n"+
				"  Start it from scratch with --reset-job %s (it re-reads its sources; its sink gets its output again),\n"+
				"  or give the new version its own SET 'pipeline.name'", j.Base, j.Base)
		}
	}
	changed := r.reset
	for _, j := range jobs {
		fp := planFingerprint(j.Plan)
		switch e, ok := r.Jobs[j.Base]; {
		case !ok:
			r.Jobs[j.Base] = &sqlJobEntry{Generation: 1, Plan: fp, Statement: j.Statement}
			changed = true
		case e.Plan == "":
			e.Plan, e.Statement = fp, j.Statement
			changed = true
		}
	}
	if !changed {
		return nil
	}
	r.reset = false
	return r.save()
}

// applyResets moves the named jobs to a new generation before planning
// (so they plan under their new engine names). Only in memory: check
// saves it once the run's plans pass.
func (r *sqlJobRegistry) applyResets(resets []string) error {
	for _, n := range resets {
		e, ok := r.Jobs[n]
		if !ok {
			return usagef("--reset-job %s: no SQL job of that name has run on this data dir", n)
		}
		e.Generation++
		e.Plan = "" // recorded again from the new plan
		r.reset = true
	}
	return nil
}

func (r *sqlJobRegistry) save() error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := r.path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, r.path)
}
