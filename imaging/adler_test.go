package imaging

import (
	"bytes"
	"hash/adler32"
	"testing"
)

func FuzzAdler32Sum(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte("x"))
	f.Add(bytes.Repeat([]byte{0xff}, 3*2048+13)) // runs at their largest lane sums
	f.Add(bytes.Repeat([]byte{0xff}, 600_000))   // s2 wraps the modulus many times
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := adler32Sum(data), adler32.Checksum(data); got != want {
			t.Fatalf("adler32Sum %08x, hash/adler32 %08x (%d bytes)", got, want, len(data))
		}
	})
}
