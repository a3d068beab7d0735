package stream

// Validate reports what Run would refuse in the job's graph (bad or
// duplicate node names, streams of other jobs, a stage plan that cannot
// be built) without running anything: the SQL planner calls it so a bad
// plan fails before any job starts.
func (j *Job) Validate() error {
	if j.err != nil {
		return j.err
	}
	_, err := j.plan()
	return err
}
