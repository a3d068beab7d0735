package mock

// Binary min-heaps on slices, for the generators' time-ordered queues.
// Ties are not ordered by the heap: callers break them with a sequence
// number, so the output stays deterministic.

func heapPush[T any](h []T, x T, less func(a, b T) bool) []T {
	h = append(h, x)
	for i := len(h) - 1; i > 0; {
		p := (i - 1) / 2
		if !less(h[i], h[p]) {
			break
		}
		h[i], h[p] = h[p], h[i]
		i = p
	}
	return h
}

// heapPop removes and returns the smallest element.
func heapPop[T any](h []T, less func(a, b T) bool) ([]T, T) {
	top := h[0]
	n := len(h) - 1
	h[0] = h[n]
	var zero T
	h[n] = zero // drop the reference
	h = h[:n]
	heapDown(h, 0, less)
	return h, top
}

// heapDown restores the order after h[i] grew.
func heapDown[T any](h []T, i int, less func(a, b T) bool) {
	for n := len(h); ; {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && less(h[r], h[l]) {
			m = r
		}
		if !less(h[m], h[i]) {
			return
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
}
