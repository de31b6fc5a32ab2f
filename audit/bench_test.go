package audit_test

import (
	"bufio"
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/audit"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/infer"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
	"github.com/cxrkit/cxrkit/labelmap"
)

// envFakeLatency makes the test binary serve a fake endpoint instead of
// running tests: the client benchmark starts it as its own process, so
// the fake's CPU (it decodes every 1 MB request body) is not counted as
// the client's.
const envFakeLatency = "CXRKIT_FAKE_ENDPOINT_LATENCY"

func TestMain(m *testing.M) {
	if lat := os.Getenv(envFakeLatency); lat != "" {
		serveFake(lat)
		return
	}
	os.Exit(m.Run())
}

// serveFake serves a fake vLLM, prints its URL and stops when stdin closes.
func serveFake(latency string) {
	d, err := time.ParseDuration(latency)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	s := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string { return answer(0) }, Latency: d})
	defer s.Close()
	fmt.Println(s.APIURL())
	bufio.NewReader(os.Stdin).ReadString('\n')
}

// startFakeProcess runs serveFake in a child process.
func startFakeProcess(b *testing.B, latency time.Duration) string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envFakeLatency+"="+latency.String())
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	url, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return url[:len(url)-1]
}

// envBenchImages names a folder that keeps the benchmark's images
// between runs (they take longer to make than the benchmark takes to
// run); by default they are made afresh in a temporary folder.
const envBenchImages = "CXRKIT_BENCH_IMAGES"

// distinctRealImages writes n different 1024² PNGs made from the real NIH
// images by a deterministic perturbation (a shift of the grey levels and
// a one-pixel mark that depends on the index), so that no two requests
// are identical: neither the run's memo nor the response cache can make
// the benchmark fast.
func distinctRealImages(b *testing.B, n int) []string {
	files, _ := filepath.Glob("../../shared/realdata/nih-images/*.png")
	if len(files) == 0 {
		b.Skip("real NIH images not found in ../shared/realdata/nih-images")
	}
	dir := os.Getenv(envBenchImages)
	if dir == "" {
		dir = b.TempDir()
	}
	var out []string
	for k := range n {
		p := filepath.Join(dir, fmt.Sprintf("%04d.png", k))
		out = append(out, p)
		if st, err := os.Stat(p); err == nil && st.Size() > 0 && os.Getenv(envBenchImages) != "" {
			continue // made by an earlier run
		}
		src, _, err := imaging.DecodeFile(files[k%len(files)])
		if err != nil {
			b.Fatal(err)
		}
		g := image.NewGray(src.Bounds())
		shift := uint8(k / len(files))
		for y := src.Bounds().Min.Y; y < src.Bounds().Max.Y; y++ {
			for x := src.Bounds().Min.X; x < src.Bounds().Max.X; x++ {
				v := imageGray(src, x, y)
				g.Pix[g.PixOffset(x, y)] = v + min(shift, 255-v)
			}
		}
		g.Pix[k%len(g.Pix)] ^= 0xFF
		f, err := os.Create(p + ".part")
		if err != nil {
			b.Fatal(err)
		}
		if err := png.Encode(f, g); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(p+".part", p); err != nil {
			b.Fatal(err)
		}
	}
	return out
}

func imageGray(img image.Image, x, y int) uint8 {
	if g, ok := img.(*image.Gray); ok {
		return g.GrayAt(x, y).Y
	}
	r, gg, bb, _ := img.At(x, y).RGBA()
	return uint8((299*r + 587*gg + 114*bb) / 1000 >> 8)
}

// BenchmarkClientOverheadRealNIH audits 200 cases (CXRKIT_BENCH_CASES=N
// for another count) against a fake endpoint answering in 200 ms, in its
// own process, at concurrency 8: the ideal is 40 cases/s. Every case has
// a different real-size (1024²) image. The grounder is wrapped in the
// run's memo as the CLI wraps it; the distinct images keep it from
// answering anything. cpu-ms/case is the whole client process's CPU.
//
//	resize-896: the image is decoded, scaled to 896 and encoded as PNG.
//	server-resizes: the file is sent as it is (--server-resizes).
func BenchmarkClientOverheadRealNIH(b *testing.B) {
	cases := 200
	if n, err := strconv.Atoi(os.Getenv("CXRKIT_BENCH_CASES")); err == nil {
		cases = n
	}
	paths := distinctRealImages(b, cases)
	url := startFakeProcess(b, 200*time.Millisecond)
	for _, mode := range []struct {
		name          string
		serverResizes bool
	}{{"resize-896", false}, {"server-resizes", true}} {
		b.Run(mode.name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				var ins []audit.Input
				for k, p := range paths {
					ins = append(ins, audit.Input{CaseID: fmt.Sprint(k), DraftText: "Small right pleural effusion.",
						Image: cxrkit.ImageRef{Source: "nih", ImageID: fmt.Sprint(k), Path: p}})
				}
				a := benchAuditor(b, infer.NewMemo(client(b, url), 4096), mode.serverResizes)
				cpu0, faults0 := cpuTime(), minorFaults()
				start := time.Now()
				sum, err := a.RunBatch(context.Background(), ins, audit.BatchOptions{Concurrency: 8})
				el := time.Since(start)
				if err != nil || sum.Errors != 0 || sum.Audited != cases {
					b.Fatalf("%v %+v", err, sum)
				}
				cpu := (cpuTime() - cpu0) / time.Duration(cases)
				b.ReportMetric(float64(cases)/el.Seconds(), "cases/s")
				b.ReportMetric(float64(cases)/el.Seconds()/40*100, "%ideal")
				b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms/case")
				b.ReportMetric(float64(minorFaults()-faults0)/float64(cases), "faults/case")
			}
		})
	}
}

func benchAuditor(b *testing.B, chat infer.Chatter, serverResizes bool) *audit.Auditor {
	a := newAuditor(b, chat, 3)
	v, _ := labelmap.Default()
	prompt, err := configs.LoadPrompt(configs.PromptGrounding, "")
	if err != nil {
		b.Fatal(err)
	}
	g, err := infer.NewGrounder(infer.GrounderOptions{Chat: chat, Prompt: prompt, Vocab: v, Attempts: 3, ServerResizes: serverResizes})
	if err != nil {
		b.Fatal(err)
	}
	a.Grounder = g
	return a
}
