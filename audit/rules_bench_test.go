package audit_test

import (
	"strings"
	"testing"
	"time"

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
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		p.Parse(text)
	}
	reportCPUThroughput(b, len(text), cpu)
}

// reportCPUThroughput reports MB per CPU second: on a shared machine the
// wall clock also counts time spent waiting for a core.
func reportCPUThroughput(b *testing.B, size int, since time.Duration) {
	if used := cpuTime() - since; used > 0 {
		b.ReportMetric(float64(size)*float64(b.N)/1e6/used.Seconds(), "cpu-MB/s")
	}
}

// BenchmarkLowerFields is the peer of BenchmarkRulesParser: lowercasing and
// splitting the same text into words with the standard library, the least
// work any word-level parser does.
func BenchmarkLowerFields(b *testing.B) {
	text := benchDraft()
	b.SetBytes(int64(len(text)))
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		_ = strings.Fields(strings.ToLower(text))
	}
	reportCPUThroughput(b, len(text), cpu)
}

// BenchmarkRulesParserOneSentence parses one 35 KB sentence (a list under
// a single negation, no sentence ends): scopes and clauses stay linear
// when nothing cuts the text into sentences.
func BenchmarkRulesParserOneSentence(b *testing.B) {
	p, err := audit.NewRulesParser("")
	if err != nil {
		b.Fatal(err)
	}
	text := "No " + strings.Repeat("pleural effusion, pneumothorax, nodule, consolidation or mass; possible effusion versus atelectasis, ", 350)
	b.ResetTimer()
	b.SetBytes(int64(len(text)))
	cpu := cpuTime()
	for i := 0; i < b.N; i++ {
		p.Parse(text)
	}
	reportCPUThroughput(b, len(text), cpu)
}
