package dataset

import "strings"

// stringChunks copies strings into shared chunks: one allocation per
// chunk bytes (or per string longer than that) instead of one per string.
// A string a strings.Builder returns stays valid and unchanged while the
// Builder writes on, and a full chunk is left to the strings that point
// into it: Reset drops the Builder's reference, it never reuses the bytes
// (TestStringChunksKeepCopies).
type stringChunks struct {
	b     strings.Builder
	chunk int
}

// idChunk is the size of the chunks image ids are copied into.
const idChunk = 16 << 10

// room starts a new chunk unless n more bytes fit in the current one.
func (c *stringChunks) room(n int) int {
	if c.b.Cap()-c.b.Len() < n {
		c.b.Reset()
		c.b.Grow(max(n, c.chunk))
	}
	return c.b.Len()
}

// clone returns a copy of s in the current chunk.
func (c *stringChunks) clone(s string) string {
	start := c.room(len(s))
	c.b.WriteString(s)
	return c.b.String()[start:]
}

// cloneBytes returns b as a string in the current chunk.
func (c *stringChunks) cloneBytes(b []byte) string {
	start := c.room(len(b))
	c.b.Write(b)
	return c.b.String()[start:]
}
