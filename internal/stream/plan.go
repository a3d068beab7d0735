package stream

import "fmt"

// stage is the part of a job between repartitions: it reads one input (a
// source topic or a repartition topic) and runs as one task per partition.
type stage struct {
	id    int
	job   *Job
	input *Node   // a source or keyBy node
	nodes []*Node // nodes run by this stage, in topological order
	// upstream is the stage writing this stage's repartition input (nil for a source).
	upstream *stage
}

func (s *stage) String() string {
	return fmt.Sprintf("%s/stage%d(%s)", s.job.Name, s.id, s.input.topic)
}

// plan cuts the job graph into stages at KeyBy nodes.
func (j *Job) plan() ([]*stage, error) {
	if j.err != nil {
		return nil, j.err
	}
	if j.Name == "" || !nameRE.MatchString(j.Name) {
		return nil, fmt.Errorf("job name %q must match %s", j.Name, nameRE)
	}
	var stages []*stage
	var build func(in *Node, up *stage)
	build = func(in *Node, up *stage) {
		s := &stage{id: len(stages), job: j, input: in, upstream: up}
		stages = append(stages, s)
		var walk func(n *Node)
		walk = func(n *Node) {
			for _, outs := range n.outs {
				for _, d := range outs {
					s.nodes = append(s.nodes, d)
					if d.kind == kindKeyBy {
						defer build(d, s) // after this stage is complete
						continue
					}
					walk(d)
				}
			}
		}
		walk(in)
	}
	for _, n := range j.nodes {
		if n.kind == kindSource {
			build(n, nil)
		}
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("job %s has no source", j.Name)
	}
	for _, s := range stages {
		if len(s.nodes) == 0 {
			return nil, fmt.Errorf("job %s: %s leads nowhere (add operators and a sink)", j.Name, s.input.Name)
		}
	}
	return stages, nil
}

// InputTopics returns the external topics the job reads.
func (j *Job) InputTopics() []string {
	var out []string
	for _, n := range j.nodes {
		if n.kind == kindSource {
			out = append(out, n.topic)
		}
	}
	return out
}

// OutputTopics returns the topics the job writes, the dead-letter topic included.
func (j *Job) OutputTopics() []string {
	out := []string{j.DeadLetter}
	for _, n := range j.nodes {
		if n.kind == kindSink && n.topicFn == nil {
			out = append(out, n.topic)
		}
		out = append(out, n.known...)
	}
	return out
}
