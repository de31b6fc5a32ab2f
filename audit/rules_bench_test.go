package audit_test

import (
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit/audit"
)

// benchDraft is about 35 KB of report-like text (drafts are usually under
// 2 KB; the parser is linear, so size only scales the time).
func benchDraft() string {
	return strings.Repeat("The heart size is normal. No pleural effusion or pneumothorax. Small nodular opacity in the left upper lobe may represent early infiltrate; recommend CT to exclude a mass. ", 200)
}

// BenchmarkRulesParser measures the draft parser's throughput on one core.
func BenchmarkRulesParser(b *testing.B) {
	p, err := audit.NewRulesParser("")
	if err != nil {
		b.Fatal(err)
	}
	text := benchDraft()
	b.ResetTimer()
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		p.Parse(text)
	}
}

// BenchmarkLowerFields is the peer of BenchmarkRulesParser: lowercasing and
// splitting the same text into words with the standard library, the least
// work any word-level parser does.
func BenchmarkLowerFields(b *testing.B) {
	text := benchDraft()
	b.SetBytes(int64(len(text)))
	for i := 0; i < b.N; i++ {
		_ = strings.Fields(strings.ToLower(text))
	}
}
