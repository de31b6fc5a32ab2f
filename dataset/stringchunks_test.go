package dataset

import (
	"strconv"
	"strings"
	"testing"
)

// TestStringChunksKeepCopies: every copy keeps its value while later
// copies fill the chunk, start new chunks (a string longer than a chunk
// included) and the source bytes are overwritten; small copies share
// chunks, one allocation per chunk.
func TestStringChunksKeepCopies(t *testing.T) {
	tests := []struct {
		name  string
		chunk int
		sizes []int
	}{
		{"one chunk", 64, []int{1, 2, 3, 10}},
		{"exact fit", 8, []int{4, 4, 4, 4}},
		{"across chunks", 16, []int{5, 7, 9, 3, 16, 1, 15}},
		{"longer than a chunk", 8, []int{3, 20, 2, 9, 0, 8}},
		{"line chunk", lineChunk, []int{100, lineChunk - 50, 80, 1 << 17, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := stringChunks{chunk: tt.chunk}
			var got, want []string
			buf := make([]byte, 0, 1<<18)
			for i, n := range tt.sizes {
				s := strings.Repeat(strconv.Itoa(i%10), n)
				buf = append(buf[:0], s...)
				if i%2 == 0 {
					got = append(got, c.cloneBytes(buf))
				} else {
					got = append(got, c.clone(string(buf)))
				}
				for k := range buf {
					buf[k] = 'x' // the source is reused: the copy must not see it
				}
				want = append(want, s)
				for k := range got {
					if got[k] != want[k] {
						t.Fatalf("after copy %d: copy %d is %.20q..., want %.20q...", i, k, got[k], want[k])
					}
				}
			}
		})
	}
	c := stringChunks{chunk: 1 << 10}
	b := []byte("0123456789abcdef")
	if allocs := testing.AllocsPerRun(640, func() { c.cloneBytes(b) }); allocs > 0.05 {
		t.Fatalf("%.3f allocations per 16-byte copy into 1 KiB chunks, want one per 64 copies", allocs)
	}
}
