package stream

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// stage is the part of a job between repartitions: the operators connected
// to each other without a KeyBy in between. It reads one or more inputs
// (source topics and repartition topics: a union or a join of two keyed
// streams reads several) and runs as one task per partition; task p reads
// partition p of every input.
type stage struct {
	id     int
	job    *Job
	inputs []*Node // source and keyBy nodes, in node order
	nodes  []*Node // nodes run by this stage (operators, sinks, the KeyBys it writes), topological order
	// upstream[i] is the stage writing inputs[i] (nil for a source).
	upstream []*stage
	// reach[n] has bit i set when inputs[i] reaches node n: an operator's
	// watermark is the combination of the watermarks of the inputs reaching it.
	reach map[*Node]uint64
	// hold[n] is how far n's watermark stays behind its inputs' (the
	// holds of the WatermarkHolders before it, summed along a path, the
	// largest path); outHold the largest over the KeyBys the stage
	// writes, which its markers carry.
	hold    map[*Node]int64
	outHold int64
}

func (s *stage) String() string {
	var topics []string
	for _, in := range s.inputs {
		topics = append(topics, in.topic)
	}
	return fmt.Sprintf("%s/stage%d(%s)", s.job.Name, s.id, strings.Join(topics, ","))
}

// maxStageInputs bounds the inputs of one stage (a bit set per node).
const maxStageInputs = 64

// plan cuts the job graph into stages at KeyBy nodes. Stage ids number the
// stages in the order of a depth-first walk from the sources (KeyBys after
// the rest of their stage), so that a job's stages keep their ids, and so
// their checkpointed metadata, as long as its graph does not change.
// Stages are returned upstream first.
func (j *Job) plan() ([]*stage, error) {
	if j.err != nil {
		return nil, j.err
	}
	if j.Name == "" || !nameRE.MatchString(j.Name) {
		return nil, fmt.Errorf("job name %q must match %s", j.Name, nameRE)
	}
	// Union-find: an operator or sink joins the stage of each of its
	// inputs; sources and KeyBys start stages of their own.
	parent := make([]int, len(j.nodes))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	for _, n := range j.nodes {
		if n.kind == kindSource || n.kind == kindKeyBy {
			continue
		}
		for _, in := range n.ins {
			a, b := find(n.id), find(in.node.id)
			if a != b {
				parent[max(a, b)] = min(a, b)
			}
		}
	}
	// Number the stages in the walk order.
	byRoot := map[int]*stage{}
	var stages []*stage
	visited := make([]bool, len(j.nodes))
	var build func(in *Node)
	build = func(in *Node) {
		if visited[in.id] {
			return
		}
		if _, ok := byRoot[find(in.id)]; !ok {
			s := &stage{id: len(stages), job: j}
			byRoot[find(in.id)] = s
			stages = append(stages, s)
		}
		var walk func(n *Node)
		walk = func(n *Node) {
			visited[n.id] = true
			for _, outs := range n.outs {
				for _, d := range outs {
					if d.kind == kindKeyBy {
						defer build(d) // after this stage's part is complete
						continue
					}
					if !visited[d.id] {
						walk(d)
					}
				}
			}
		}
		walk(in)
	}
	for _, n := range j.nodes {
		if n.kind == kindSource {
			build(n)
		}
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("job %s has no source", j.Name)
	}
	for _, n := range j.nodes { // node order is topological: a node is made after its inputs
		s := byRoot[find(n.id)]
		if s == nil {
			return nil, fmt.Errorf("job %s: %s is not fed by any source", j.Name, n.Name)
		}
		switch n.kind {
		case kindSource:
			s.inputs = append(s.inputs, n)
			s.upstream = append(s.upstream, nil)
		case kindKeyBy:
			s.inputs = append(s.inputs, n)
			up := byRoot[find(n.ins[0].node.id)]
			if up == s {
				return nil, fmt.Errorf("job %s: %s feeds the stage that writes it (a stream keyed by %s rejoins its own input); key both sides", j.Name, n.Name, n.Name)
			}
			s.upstream = append(s.upstream, up)
			up.nodes = append(up.nodes, n)
		default:
			s.nodes = append(s.nodes, n)
		}
	}
	for _, s := range stages {
		if len(s.nodes) == 0 {
			return nil, fmt.Errorf("job %s: %s leads nowhere (add operators and a sink)", j.Name, s.inputs[0].Name)
		}
		if len(s.inputs) > maxStageInputs {
			return nil, fmt.Errorf("job %s: %s reads %d inputs; at most %d", j.Name, s, len(s.inputs), maxStageInputs)
		}
		slices.SortFunc(s.nodes, func(a, b *Node) int { return a.id - b.id })
		s.reach = map[*Node]uint64{}
		for i, in := range s.inputs {
			var mark func(n *Node)
			mark = func(n *Node) {
				for _, outs := range n.outs {
					for _, d := range outs {
						if s.reach[d]&(1<<i) != 0 {
							continue
						}
						s.reach[d] |= 1 << i
						if d.kind != kindKeyBy {
							mark(d)
						}
					}
				}
			}
			mark(in)
		}
		s.hold = map[*Node]int64{}
		for _, n := range s.nodes { // topological: ids follow the graph
			var h int64
			for _, in := range n.ins {
				if p := in.node; p.kind == kindOperator {
					h = max(h, s.hold[p]+p.hold)
				}
			}
			s.hold[n] = h
			if n.kind == kindKeyBy {
				s.outHold = max(s.outHold, h)
			}
		}
	}
	return upstreamFirst(stages), nil
}

// heldBack is watermark wm held back by hold milliseconds (the
// watermark before any input and the final one stay as they are).
func heldBack(wm, hold int64) int64 {
	if hold == 0 || wm == MinWatermark || wm == math.MaxInt64 {
		return wm
	}
	return max(MinWatermark+1, wm-hold)
}

// upstreamFirst orders stages so every stage comes after the stages that
// write its inputs, keeping id order where the graph allows.
func upstreamFirst(stages []*stage) []*stage {
	var out []*stage
	done := map[*stage]bool{}
	var visit func(s *stage)
	visit = func(s *stage) {
		if done[s] {
			return
		}
		done[s] = true
		for _, u := range s.upstream {
			if u != nil {
				visit(u)
			}
		}
		out = append(out, s)
	}
	for _, s := range stages {
		visit(s)
	}
	return out
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
