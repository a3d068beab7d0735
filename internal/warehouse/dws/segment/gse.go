package segment

import (
	_ "unsafe" // go:linkname

	_ "github.com/go-ego/gse" // links the word list below into the binary
)

// zhS is gse's embedded simplified-Chinese word list (its
// data/dict/zh/s_1.txt, "word frequency part-of-speech" lines), which gse
// keeps unexported; it is read-only data in the binary, not heap. The
// list is gse's, under its licence (Apache 2.0 / MIT); no copy of it is
// kept in this repository.
//
//go:linkname zhS github.com/go-ego/gse.zhS
var zhS string
