package state

// JobSpans returns the key spans [lower, upper) of the store that hold
// every value, map entry and timer of job (all its operators and
// partitions, and the engine's task metadata: watermarks, drain marks).
// Deleting them gives the job fresh state, as a Flink job started without
// a savepoint; `rtdw job reset` does it with the job's offsets.
func JobSpans(job string) [][2][]byte {
	var out [][2][]byte
	for _, ns := range []byte{nsState, nsTimer} {
		p := appendStr([]byte{ns}, job) // length-prefixed: no other job's prefix
		out = append(out, [2][]byte{p, prefixEnd(p)})
	}
	return out
}
