package pipeline

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/dataset"
	"github.com/cxrkit/cxrkit/labelmap"
	"github.com/cxrkit/cxrkit/synth"
)

// BenchmarkGoldAuditFullVinDr audits the 56,352 synthetic cases of full
// VinDr (prepare --normal-ratio all on train.csv and train_meta.csv, then
// synth with every case type) with gold grounding, as `cxrkit audit
// --grounding gold` does: loading the cases, reading every draft, writing
// every result line. cases/s counts the audit and its writing (the
// figure the command prints); load+cases/s adds loading the case file;
// cpu-µs/case is the process's CPU over both.
func BenchmarkGoldAuditFullVinDr(b *testing.B) {
	realdata := filepath.Join("..", "..", "shared", "realdata", "vindr-cxr")
	if _, err := os.Stat(filepath.Join(realdata, "train.csv")); err != nil {
		b.Skip("real VinDr annotations not found in ../shared/realdata")
	}
	ctx := context.Background()
	dir := b.TempDir()
	o := dataset.Defaults()
	o.VinDr = []string{filepath.Join(realdata, "train.csv")}
	o.VinDrMeta = []string{filepath.Join(realdata, "train_meta.csv")}
	o.NormalRatio = dataset.NormalRatioAll
	o.Out = filepath.Join(dir, "prepare")
	if _, err := dataset.Prepare(ctx, o); err != nil {
		b.Fatal(err)
	}
	corpusPath := filepath.Join(o.Out, "corpus.jsonl")
	vocab, err := labelmap.Default()
	if err != nil {
		b.Fatal(err)
	}
	bank, err := synth.LoadPhraseBank("")
	if err != nil {
		b.Fatal(err)
	}
	g, err := synth.NewGenerator(synth.Options{CaseTypes: cxrkit.CaseTypes(), Vocab: vocab, Bank: bank})
	if err != nil {
		b.Fatal(err)
	}
	casesPath := filepath.Join(dir, "cases.jsonl")
	if _, err := g.GenerateFile(ctx, corpusPath, casesPath); err != nil {
		b.Fatal(err)
	}
	records, err := cxrkit.LoadJSONL[cxrkit.Record](corpusPath)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := filepath.Join(dir, "results.jsonl")
		os.Remove(out)
		cpu0 := cpuTime()
		start := time.Now()
		setup, err := NewAuditor(AuditorConfig{Gold: records})
		if err != nil {
			b.Fatal(err)
		}
		inputs, err := audit.LoadInputs(casesPath, records, filepath.Dir(corpusPath), "")
		if err != nil {
			b.Fatal(err)
		}
		s, err := setup.Auditor.RunBatch(ctx, inputs, audit.BatchOptions{Out: out, Concurrency: 8})
		if err != nil || s.Errors != 0 {
			b.Fatalf("%v %+v", err, s)
		}
		el := time.Since(start)
		cpu := (cpuTime() - cpu0) / time.Duration(len(inputs))
		b.ReportMetric(s.CasesPerSecond, "cases/s")
		b.ReportMetric(float64(len(inputs))/el.Seconds(), "load+cases/s")
		b.ReportMetric(float64(cpu.Nanoseconds())/1000, "cpu-µs/case")
		b.ReportMetric(float64(len(inputs)), "cases")
	}
}
