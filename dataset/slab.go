package dataset

// slab hands out short slices cut from larger allocations: prepare keeps a
// finding list, a box or two and maybe a few other labels for each of tens
// of thousands of images, all alive until the corpus is written, and one
// allocation per piece costs more than the pieces. A piece has exactly the
// capacity asked for, so appending to it never writes into its neighbour.
// Requests larger than a quarter of slabLen get their own allocation, so
// the tail a new chunk strands is bounded. The zero value is ready.
type slab[T any] struct {
	free []T
}

// slabLen is how many elements one chunk of a slab holds.
const slabLen = 1024

// take returns a zeroed slice of length and capacity n.
func (s *slab[T]) take(n int) []T {
	if n > len(s.free) {
		if n > slabLen/4 {
			return make([]T, n)
		}
		s.free = make([]T, slabLen)
	}
	out := s.free[:n:n]
	s.free = s.free[n:]
	return out
}
