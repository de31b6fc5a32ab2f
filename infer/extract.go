package infer

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"

	"github.com/cxrkit/cxrkit"
)

// maxElements caps how many findings one answer may produce.
const maxElements = cxrkit.MaxAnswerFindings

var (
	thinkBlockRE = regexp.MustCompile(`(?is)<think>.*?</think>`)
	fenceRE      = regexp.MustCompile("(?s)```[a-zA-Z0-9_-]*\\s*(.*?)```")
)

// StripThinking removes reasoning blocks: closed <think>…</think> blocks,
// everything before a stray closing tag (a template that opened the block
// in the prompt), and the tag of an unclosed block.
func StripThinking(s string) string {
	s = thinkBlockRE.ReplaceAllString(s, "")
	if i := strings.LastIndex(strings.ToLower(s), "</think>"); i >= 0 {
		s = s[i+len("</think>"):]
	}
	return strings.NewReplacer("<think>", "", "<THINK>", "").Replace(s)
}

// extraction is what the JSON finder recovered from model text.
type extraction struct {
	elements []json.RawMessage
	// complete is set when a whole JSON value was parsed (rather than
	// objects salvaged from a broken one).
	complete bool
	// wrapped is set when the value was a wrapper object or single object.
	wrapped bool
	found   bool
}

// extractJSON finds the answer in model text: code fences and prose are
// ignored, the last complete JSON value holding elements wins, and when
// none is complete every complete object of a broken array is salvaged.
func extractJSON(text string) extraction {
	text = StripThinking(text)
	if m := fenceRE.FindAllStringSubmatch(text, -1); len(m) > 0 {
		text = m[len(m)-1][1]
	} else if i := strings.Index(text, "```"); i >= 0 {
		// An unclosed fence: a truncated answer.
		text = text[i+3:]
		if nl := strings.IndexByte(text, '\n'); nl >= 0 && !strings.ContainsAny(text[:nl], "[{") {
			text = text[nl+1:]
		}
	}
	// Walk the text value by value: a complete value that holds elements
	// is a candidate; a broken one is salvaged within its own extent, so
	// the objects inside it are never mistaken for whole answers.
	var best extraction
	for i := 0; i < len(text); {
		if text[i] != '[' && text[i] != '{' {
			i++
			continue
		}
		dec := json.NewDecoder(strings.NewReader(text[i:]))
		var v json.RawMessage
		if err := dec.Decode(&v); err == nil {
			if ex, ok := elementsOf(v); ok {
				best = ex
			}
			i += int(dec.InputOffset())
			continue
		}
		end := closingBracket(text, i)
		if ex := salvage(text[i:end]); ex.found {
			best = ex
		}
		i = max(end, i+1)
	}
	return best
}

// closingBracket returns the index just past the bracket that closes the
// one at start, or len(s) when it never closes (a truncated answer).
func closingBracket(s string, start int) int {
	depth := 0
	var quotes stringTracker
	for i := start; i < len(s); i++ {
		c := s[i]
		if quotes.step(c) != outsideString {
			continue
		}
		switch c {
		case '[', '{':
			depth++
		case ']', '}':
			depth--
			if depth == 0 {
				return i + 1
			}
		}
	}
	return len(s)
}

// wrapperKeys are keys whose value holds the findings in wrapped answers
// like {"findings": [...]}.
var wrapperKeys = [...]string{"findings", "results", "result", "abnormalities", "labels", "output", "answer", "predictions", "detections", "objects", "boxes", "items", "data"}

func elementsOf(v json.RawMessage) (extraction, bool) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) > 0 && v[0] == '[':
		var arr []json.RawMessage
		if json.Unmarshal(v, &arr) != nil {
			return extraction{}, false
		}
		// An array of arrays is not an answer ([y0,x0,y1,x1] alone).
		for _, e := range arr {
			if t := bytes.TrimSpace(e); len(t) == 0 || t[0] != '{' {
				return extraction{}, false
			}
		}
		return extraction{elements: arr, complete: true, found: true}, true
	case len(v) > 0 && v[0] == '{':
		var obj map[string]json.RawMessage
		if json.Unmarshal(v, &obj) != nil {
			return extraction{}, false
		}
		if hasAnyKey(obj, labelKeys[:]) {
			return extraction{elements: []json.RawMessage{v}, complete: true, wrapped: true, found: true}, true
		}
		for _, k := range wrapperKeys {
			for key, inner := range obj {
				if !strings.EqualFold(key, k) {
					continue
				}
				if ex, ok := elementsOf(inner); ok {
					ex.wrapped = true
					return ex, true
				}
			}
		}
	}
	return extraction{}, false
}

func hasAnyKey(obj map[string]json.RawMessage, keys []string) bool {
	for k := range obj {
		for _, want := range keys {
			if strings.EqualFold(k, want) {
				return true
			}
		}
	}
	return false
}

// salvage collects every complete, decodable object inside the first
// array of a broken or truncated value — wherever it sits, not only the
// leading ones. A broken single object salvages as itself when its own
// fields decode ({"label": ... cut short does not).
func salvage(text string) extraction {
	start := strings.IndexByte(text, '[')
	if start < 0 {
		return extraction{}
	}
	var out []json.RawMessage
	depth, objStart := 0, -1
	var quotes stringTracker
	for i := start + 1; i < len(text); i++ {
		c := text[i]
		if quotes.step(c) != outsideString {
			continue
		}
		switch c {
		case '{':
			if depth == 0 {
				objStart = i
			}
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			depth--
			if depth == 0 && objStart >= 0 {
				cand := json.RawMessage(text[objStart : i+1])
				if json.Valid(cand) {
					out = append(out, cand)
				}
				objStart = -1
			}
		case '[', ']':
			// A stray bracket at object level ends nothing we rely on.
		}
	}
	return extraction{elements: out, found: len(out) > 0}
}
