// Package operator holds rtdw's reusable operators, one per file. Each is a
// stream.Factory, so a job adds one with Stream.Process:
//
//	s.Process("valid", operator.Filter(isValid))
//
// and each has a harness test that crashes and restores it mid-stream and
// compares the committed output with an uninterrupted run.
package operator
