package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// BenchmarkClientOverheadRealNIH audits 80 cases (CXRKIT_BENCH_CASES=N for more) against a fake endpoint
// answering in 200 ms at concurrency 8 (ideal: 40 cases/s). Each case has
// its own copy of a real 1024×1024 NIH image, so every case decodes,
// scales to 896 and encodes its image.
func BenchmarkClientOverheadRealNIH(b *testing.B) {
	files, _ := filepath.Glob("../../shared/realdata/nih-images/*.png")
	if len(files) == 0 {
		b.Skip("real NIH images not found")
	}
	cases := 80
	if n, err := strconv.Atoi(os.Getenv("CXRKIT_BENCH_CASES")); err == nil {
		cases = n
	}
	s := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string { return answer(0) }, Latency: 200 * time.Millisecond})
	defer s.Close()
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		var ins []audit.Input
		for k := range cases {
			data, _ := os.ReadFile(files[k%len(files)])
			p := filepath.Join(dir, fmt.Sprintf("%03d.png", k))
			os.WriteFile(p, data, 0o644)
			ins = append(ins, audit.Input{CaseID: fmt.Sprint(k), DraftText: "Small right pleural effusion.",
				Image: cxrkit.ImageRef{Source: "nih", ImageID: fmt.Sprint(k), Path: p}})
		}
		a := newAuditor(b, client(b, s.APIURL()), 3)
		var ru0, ru1 syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
		start := time.Now()
		sum, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Concurrency: 8})
		el := time.Since(start)
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		if err != nil || sum.Errors != 0 {
			b.Fatalf("%v %+v", err, sum)
		}
		cpu := time.Duration(ru1.Utime.Nano()-ru0.Utime.Nano()+ru1.Stime.Nano()-ru0.Stime.Nano()) / time.Duration(cases)
		b.ReportMetric(float64(cases)/el.Seconds(), "cases/s")
		b.ReportMetric(float64(cases)/el.Seconds()/40*100, "%ideal")
		b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms/case")
	}
}
