package stream

// Graph is a read-only description of a job's graph: its nodes, the edges
// between them and the stages the engine cuts it into (one task per input
// partition each). Consoles draw it; the engine never reads it back.
type Graph struct {
	Job        string       `json:"job"`
	DeadLetter string       `json:"dead_letter"`
	Nodes      []GraphNode  `json:"nodes"`
	Stages     []GraphStage `json:"stages"`
	// Inputs and Outputs are the job's external topics (InputTopics and
	// OutputTopics, the dead-letter topic included).
	Inputs  []string `json:"inputs"`
	Outputs []string `json:"outputs"`
}

// GraphNode is one vertex. Name is the operator label of the engine's
// metrics (rtdw_records_in_total{operator=...}).
type GraphNode struct {
	Name string `json:"name"`
	// Kind is source, operator, keyby (a repartition: the edge into the
	// next stage) or sink.
	Kind string `json:"kind"`
	// Topic is a source's, a sink's or a keyby's repartition topic; empty
	// for an operator and for a dynamic sink, whose known topics are Topics.
	Topic  string   `json:"topic,omitempty"`
	Topics []string `json:"topics,omitempty"`
	// Stage runs the node (the rtdw_watermark_ms stage label); a source or
	// keyby is an input of Stage. -1 when the graph does not plan.
	Stage int `json:"stage"`
	// WrittenBy is the stage writing a keyby's repartition topic (-1 for
	// the other kinds).
	WrittenBy int         `json:"written_by"`
	Ports     []string    `json:"ports,omitempty"`
	Inputs    []GraphEdge `json:"inputs,omitempty"`
}

// GraphEdge is an edge into a node: from the named node's output port.
type GraphEdge struct {
	From string `json:"from"`
	Port string `json:"port"`
}

// GraphStage is a part of the job between repartitions.
type GraphStage struct {
	ID int `json:"id"`
	// Inputs are the source and keyby nodes the stage reads, Topics their
	// topics (task p reads partition p of each).
	Inputs []string `json:"inputs"`
	Topics []string `json:"topics"`
	// Nodes are the operators and sinks it runs, upstream first.
	Nodes []string `json:"nodes"`
}

// Describe returns the job's graph. A job whose definition is invalid
// (Run would refuse it) is described without stages and with the error.
func (j *Job) Describe() (Graph, error) {
	g := Graph{Job: j.Name, DeadLetter: j.DeadLetter, Inputs: j.InputTopics(), Outputs: j.OutputTopics()}
	stageOf := map[*Node]int{}
	writer := map[*Node]int{}
	stages, err := j.plan()
	if err == nil {
		for _, s := range stages {
			gs := GraphStage{ID: s.id}
			for _, in := range s.inputs {
				stageOf[in] = s.id
				gs.Inputs = append(gs.Inputs, in.Name)
				gs.Topics = append(gs.Topics, in.topic)
			}
			for _, n := range s.nodes {
				if n.kind == kindKeyBy {
					writer[n] = s.id
					continue
				}
				stageOf[n] = s.id
				gs.Nodes = append(gs.Nodes, n.Name)
			}
			g.Stages = append(g.Stages, gs)
		}
	}
	for _, n := range j.nodes {
		gn := GraphNode{Name: n.Name, Kind: n.kind.String(), Topic: n.topic, Stage: -1, WrittenBy: -1}
		if n.kind == kindSink && n.topicFn != nil {
			gn.Topic, gn.Topics = "", append([]string(nil), n.known...)
		}
		if s, ok := stageOf[n]; ok {
			gn.Stage = s
		}
		if s, ok := writer[n]; ok {
			gn.WrittenBy = s
		}
		if n.kind == kindOperator {
			gn.Ports = append([]string(nil), n.ports...)
		}
		for _, in := range n.ins {
			gn.Inputs = append(gn.Inputs, GraphEdge{From: in.node.Name, Port: in.node.ports[in.port]})
		}
		g.Nodes = append(g.Nodes, gn)
	}
	return g, err
}

func (k nodeKind) String() string {
	switch k {
	case kindSource:
		return "source"
	case kindOperator:
		return "operator"
	case kindKeyBy:
		return "keyby"
	case kindSink:
		return "sink"
	}
	return "unknown"
}
