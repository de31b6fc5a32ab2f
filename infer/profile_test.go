package infer

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/configs"
	"github.com/cxrkit/cxrkit/infer/fakevllm"
)

// writeRadiograph writes a black w×h grey PNG with one white rectangle
// (pixels, [y0,x0,y1,x1) ) standing in for a finding.
func writeRadiograph(t *testing.T, w, h int, lesion image.Rectangle) string {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for y := lesion.Min.Y; y < lesion.Max.Y; y++ {
		for x := lesion.Min.X; x < lesion.Max.X; x++ {
			img.SetGray(x, y, color.Gray{Y: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "cxr.png")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// sentImage decodes the data URL of the request's image.
func sentImage(t *testing.T, r fakevllm.Request) image.Image {
	for _, m := range r.Messages {
		u := m.ImageURL()
		if u == "" {
			continue
		}
		data, err := base64.StdEncoding.DecodeString(u[strings.IndexByte(u, ',')+1:])
		if err != nil {
			t.Error(err)
			return nil
		}
		img, err := png.Decode(bytes.NewReader(data))
		if err != nil {
			t.Error(err)
			return nil
		}
		return img
	}
	t.Error("request has no image")
	return nil
}

// brightBox is what a perfect localizer answers: the bounding box of the
// bright pixels of the image it is shown, on MedGemma's 0–1000 grid.
func brightBox(img image.Image) [4]float64 {
	b := img.Bounds()
	y0, x0, y1, x1 := b.Max.Y, b.Max.X, b.Min.Y, b.Min.X
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if r, _, _, _ := img.At(x, y).RGBA(); r > 0x8000 {
				y0, x0, y1, x1 = min(y0, y), min(x0, x), max(y1, y+1), max(x1, x+1)
			}
		}
	}
	return [4]float64{
		math.Round(1000 * float64(y0) / float64(b.Dy())), math.Round(1000 * float64(x0) / float64(b.Dx())),
		math.Round(1000 * float64(y1) / float64(b.Dy())), math.Round(1000 * float64(x1) / float64(b.Dx())),
	}
}

func TestMedGemmaNativePadsAndMapsBoxesBack(t *testing.T) {
	// A 1024×768 radiograph whose finding covers rows 384..640 and
	// columns 256..512: fractions [0.5, 0.25, 0.8333, 0.5] of the image.
	path := writeRadiograph(t, 1024, 768, image.Rect(256, 384, 512, 640))
	var seen image.Rectangle
	s := fakevllm.New(fakevllm.Options{Responder: func(r fakevllm.Request) string {
		img := sentImage(t, r)
		if img == nil {
			return ""
		}
		seen = img.Bounds()
		box := brightBox(img)
		// MedGemma's way: think between <unused94> and <unused95>, then a
		// fenced JSON list with box_2d on the 0–1000 grid.
		return fmt.Sprintf("<unused94>thought\nThe effusion [1,2,3,4] is at the base.<unused95>```json\n[{\"box_2d\": [%g, %g, %g, %g], \"label\": \"pleural effusion\"}]\n```", box[0], box[1], box[2], box[3])
	}})
	defer s.Close()
	profile, err := configs.LoadProfile(configs.ProfileMedGemmaNative)
	if err != nil {
		t.Fatal(err)
	}
	prompt, err := profile.LoadPrompt(configs.PromptGrounding, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		profile configs.Profile
		want    [4]float64
	}{
		// Padded to 1024×1024: the finding sits at rows 512..768 of the
		// square, answered as [500, 250, 750, 500], mapped back exactly.
		{"medgemma-native", profile, [4]float64{0.5, 0.25, 0.8333, 0.5}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGrounder(GrounderOptions{Chat: newTestClient(t, ClientOptions{}, s), Prompt: prompt, Vocab: vocab(t),
				MaxSide: 1024, Profile: tt.profile, Scale: ScaleAuto})
			if err != nil {
				t.Fatal(err)
			}
			got, err := g.Ground(context.Background(), cxrkit.ImageRef{Source: "test", ImageID: "cxr", Path: path})
			if err != nil {
				t.Fatal(err)
			}
			if seen.Dx() != 1024 || seen.Dy() != 1024 {
				t.Fatalf("model was shown %v, want the 1024×1024 padded square", seen)
			}
			if got.Status != cxrkit.ParseOK || len(got.Findings) != 1 || got.Findings[0].Box == nil {
				t.Fatalf("grounding %+v", got)
			}
			b := got.Findings[0].Box.Round(4).Array()
			if b != tt.want {
				t.Fatalf("box on the original %v, want %v", b, tt.want)
			}
		})
	}
	// Without padding (the cxrkit profile) the same answer would be read
	// relative to the unpadded image: the shift padding exists to undo.
	unpadded, err := NewGrounder(GrounderOptions{Chat: newTestClient(t, ClientOptions{}, s), Prompt: prompt, Vocab: vocab(t), MaxSide: 1024})
	if err != nil {
		t.Fatal(err)
	}
	got, err := unpadded.Ground(context.Background(), cxrkit.ImageRef{Source: "test", ImageID: "cxr2", Path: path})
	if err != nil || seen.Dx() != 1024 || seen.Dy() != 768 {
		t.Fatalf("unpadded: shown %v, err %v", seen, err)
	}
	if b := got.Findings[0].Box.Round(4).Array(); b != [4]float64{0.5, 0.25, 0.833, 0.5} {
		t.Errorf("unpadded box %v", b)
	}
}

func TestEncodedToOriginal(t *testing.T) {
	enc := Encoded{Sent: Size{Width: 1000, Height: 1000}, Inner: image.Rect(0, 125, 1000, 875)}
	tests := []struct {
		in   [4]float64
		want [4]float64
		ok   bool
	}{
		{[4]float64{0.125, 0, 0.875, 1}, [4]float64{0, 0, 1, 1}, true},
		{[4]float64{0.5, 0.2, 0.6, 0.4}, [4]float64{0.5, 0.2, 0.6333, 0.4}, true},
		{[4]float64{0, 0.2, 0.1, 0.4}, [4]float64{}, false},                       // wholly in the top padding
		{[4]float64{0.05, 0.2, 0.25, 0.4}, [4]float64{0, 0.2, 0.1667, 0.4}, true}, // clipped
	}
	for _, tt := range tests {
		in := boxFromArray(tt.in)
		got, ok := enc.ToOriginal(in)
		if ok != tt.ok || (ok && got.Round(4).Array() != tt.want) {
			t.Errorf("ToOriginal(%v) = %v %v, want %v %v", tt.in, got.Round(4).Array(), ok, tt.want, tt.ok)
		}
	}
}

func TestStructuredSendsTheTrainedTargetSchema(t *testing.T) {
	path := writeRadiograph(t, 64, 48, image.Rect(8, 8, 16, 16))
	s := fakevllm.New(fakevllm.Options{Responder: func(fakevllm.Request) string {
		return `[{"label": "no_finding", "box_2d": null}]`
	}})
	defer s.Close()
	prompt, err := configs.LoadPrompt(configs.PromptGrounding, "")
	if err != nil {
		t.Fatal(err)
	}
	medgemma, err := configs.LoadProfile(configs.ProfileMedGemmaNative)
	if err != nil {
		t.Fatal(err)
	}
	cxr, err := configs.LoadProfile(configs.ProfileCxrkit)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		profile configs.Profile
		wrapper bool
		want    map[string]any
	}{
		{"cxrkit array", cxr, false, cxrkit.GroundingTargetSchema(1)},
		{"medgemma 0-1000 array", medgemma, false, cxrkit.GroundingTargetSchema(1000)},
		{"wrapped for object-only servers", cxr, true, cxrkit.WrappedSchema(cxrkit.GroundingTargetSchema(1))},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := NewGrounder(GrounderOptions{Chat: newTestClient(t, ClientOptions{}, s), Prompt: prompt, Vocab: vocab(t),
				Profile: tt.profile, Structured: true, StructuredWrapper: tt.wrapper})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := g.Ground(context.Background(), cxrkit.ImageRef{Source: "t", ImageID: fmt.Sprint(i), Path: path}); err != nil {
				t.Fatal(err)
			}
			reqs := s.Requests()
			var format struct {
				Type       string `json:"type"`
				JSONSchema struct {
					Name   string          `json:"name"`
					Schema json.RawMessage `json:"schema"`
				} `json:"json_schema"`
			}
			if err := json.Unmarshal(reqs[len(reqs)-1].Format, &format); err != nil || format.Type != "json_schema" {
				t.Fatalf("response_format %s: %v", reqs[len(reqs)-1].Format, err)
			}
			var got, want any
			json.Unmarshal(format.JSONSchema.Schema, &got)
			data, _ := json.Marshal(tt.want)
			json.Unmarshal(data, &want)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("sent schema\n%s\nwant\n%s", format.JSONSchema.Schema, data)
			}
			top := got.(map[string]any)["type"]
			if (top == "array") == tt.wrapper {
				t.Errorf("top-level type %v with wrapper=%v", top, tt.wrapper)
			}
		})
	}
}

func boxFromArray(a [4]float64) boxes.Box { return boxes.Box{Y0: a[0], X0: a[1], Y1: a[2], X1: a[3]} }
