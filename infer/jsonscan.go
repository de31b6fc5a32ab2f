package infer

// quoteState says where a byte sits relative to JSON string literals.
type quoteState uint8

const (
	outsideString quoteState = iota // structural byte: brackets, colons, values
	openQuote                       // the quote that starts a string
	insideString                    // string content, escapes included
	closeQuote                      // the quote that ends a string
)

// stringTracker follows JSON string literals byte by byte so hand-rolled
// scanners over broken or truncated JSON never mistake a bracket or a
// quote inside a string for structure. The zero value starts outside.
type stringTracker struct {
	inString, escaped bool
}

func (t *stringTracker) step(c byte) quoteState {
	if !t.inString {
		if c == '"' {
			t.inString = true
			return openQuote
		}
		return outsideString
	}
	switch {
	case t.escaped:
		t.escaped = false
	case c == '\\':
		t.escaped = true
	case c == '"':
		t.inString = false
		return closeQuote
	}
	return insideString
}
