package infer

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

func vocab(t testing.TB) *labelmap.Vocabulary {
	v, err := labelmap.Default()
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// show renders findings compactly: label[y0,x0,y1,x1] or label[-].
func show(fs []cxrkit.Finding) string {
	var s []string
	for _, f := range fs {
		if f.Box == nil {
			s = append(s, string(f.Label)+"[-]")
			continue
		}
		b := f.Box.Round(3)
		s = append(s, fmt.Sprintf("%s[%g,%g,%g,%g]", f.Label, b.Y0, b.X0, b.Y1, b.X1))
	}
	return strings.Join(s, " ")
}

func TestParseGroundingGolden(t *testing.T) {
	v := vocab(t)
	sent := Size{Width: 896, Height: 896}
	tests := []struct {
		name, text, want string
		status           cxrkit.ParseStatus
	}{
		{"clean", `[{"label": "pleural_effusion", "box_2d": [0.6, 0.1, 0.85, 0.4]}]`, "pleural_effusion[0.6,0.1,0.85,0.4]", cxrkit.ParseOK},
		{"normal", `[{"label": "no_finding", "box_2d": null}]`, "no_finding[-]", cxrkit.ParseOK},
		{"two findings", `[{"label":"cardiomegaly","box_2d":[0.45,0.3,0.8,0.75]},{"label":"nodule_mass","box_2d":[0.2,0.6,0.25,0.65]}]`, "nodule_mass[0.2,0.6,0.25,0.65] cardiomegaly[0.45,0.3,0.8,0.75]", cxrkit.ParseOK},
		{"json fence", "```json\n[{\"label\": \"pneumothorax\", \"box_2d\": [0.05, 0.55, 0.4, 0.95]}]\n```", "pneumothorax[0.05,0.55,0.4,0.95]", cxrkit.ParseOK},
		{"bare fence", "```\n[{\"label\": \"pneumothorax\", \"box_2d\": null}]\n```", "pneumothorax[-]", cxrkit.ParseOK},
		{"prose before and after", "Here are the findings:\n[{\"label\": \"cardiomegaly\", \"box_2d\": [0.5, 0.3, 0.8, 0.7]}]\nLet me know if you need more.", "cardiomegaly[0.5,0.3,0.8,0.7]", cxrkit.ParseOK},
		{"think block", "<think>The heart looks big. Maybe [{\"label\":\"pneumothorax\"}]?</think>\n[{\"label\": \"cardiomegaly\", \"box_2d\": null}]", "cardiomegaly[-]", cxrkit.ParseOK},
		{"unclosed think then json", "<think>heart is enlarged\n\n[{\"label\": \"cardiomegaly\", \"box_2d\": null}]", "cardiomegaly[-]", cxrkit.ParseOK},
		{"stray closing think", "reasoning here</think>[{\"label\": \"pleural_effusion\", \"box_2d\": null}]", "pleural_effusion[-]", cxrkit.ParseOK},
		{"findings wrapper", `{"findings": [{"label": "pleural_effusion", "box_2d": [0.6, 0.6, 0.9, 0.9]}]}`, "pleural_effusion[0.6,0.6,0.9,0.9]", cxrkit.ParseOK},
		{"results wrapper with prose", `Output: {"results": [{"label": "nodule_mass", "box_2d": [0.3, 0.3, 0.35, 0.35]}]}`, "nodule_mass[0.3,0.3,0.35,0.35]", cxrkit.ParseOK},
		{"single object", `{"label": "pneumothorax", "box_2d": [0.1, 0.5, 0.4, 0.9]}`, "pneumothorax[0.1,0.5,0.4,0.9]", cxrkit.ParseOK},
		{"0-1000 scale", `[{"label": "cardiomegaly", "box_2d": [450, 300, 800, 750]}]`, "cardiomegaly[0.45,0.3,0.8,0.75]", cxrkit.ParseOK},
		{"pixel box outside the sent image", `[{"label": "cardiomegaly", "box_2d": [448, 224, 896, 1120]}]`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
		{"pixel scale", `[{"label": "cardiomegaly", "box_2d": [448, 224, 896, 1792]}]`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
		{"pixel scale in bounds", `[{"label": "nodule_mass", "box_2d": [100, 200, 1300, 400]}]`, "nodule_mass[-]", cxrkit.ParseSalvaged},
		{"tiny overflow clamped", `[{"label": "pleural_effusion", "box_2d": [0.6, -0.01, 1.01, 0.4]}]`, "pleural_effusion[0.6,0,1,0.4]", cxrkit.ParseOK},
		{"inverted corners", `[{"label": "pleural_effusion", "box_2d": [0.9, 0.4, 0.6, 0.1]}]`, "pleural_effusion[0.6,0.1,0.9,0.4]", cxrkit.ParseSalvaged},
		{"exact duplicates dropped", `[{"label":"nodule_mass","box_2d":[0.2,0.2,0.3,0.3]},{"label":"nodule_mass","box_2d":[0.2,0.2,0.3,0.3]}]`, "nodule_mass[0.2,0.2,0.3,0.3]", cxrkit.ParseOK},
		{"Nodule/Mass spelling", `[{"label": "Nodule/Mass", "box_2d": [0.2, 0.2, 0.3, 0.3]}]`, "nodule_mass[0.2,0.2,0.3,0.3]", cxrkit.ParseOK},
		{"effusion synonym", `[{"label": "Effusion", "box_2d": null}]`, "pleural_effusion[-]", cxrkit.ParseOK},
		{"lung opacity synonym", `[{"label": "lung opacity", "box_2d": [0.3, 0.1, 0.5, 0.3]}]`, "lung_opacity_consolidation[0.3,0.1,0.5,0.3]", cxrkit.ParseOK},
		{"display name", `[{"label": "Lung opacity / consolidation", "box_2d": null}]`, "lung_opacity_consolidation[-]", cxrkit.ParseOK},
		{"unknown label dropped", `[{"label": "atelectasis", "box_2d": [0.5,0.5,0.6,0.6]}, {"label": "cardiomegaly", "box_2d": null}]`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
		{"only unknown labels", `[{"label": "atelectasis", "box_2d": [0.5,0.5,0.6,0.6]}]`, "", cxrkit.ParseFailed},
		{"truncated after two", `[{"label": "cardiomegaly", "box_2d": [0.5, 0.3, 0.8, 0.7]}, {"label": "pleural_effusion", "box_2d": [0.6, 0.1, 0.9, 0.4]}, {"label": "nodule_m`, "pleural_effusion[0.6,0.1,0.9,0.4] cardiomegaly[0.5,0.3,0.8,0.7]", cxrkit.ParseSalvaged},
		{"truncated inside first", `[{"label": "cardiomegaly", "box_2d": [0.5, 0.3`, "", cxrkit.ParseFailed},
		{"broken middle element", `[{"label": "cardiomegaly", "box_2d": [0.5,0.3,0.8,0.7]}, {"label": pleural_effusion, "box_2d": []}, {"label": "pneumothorax", "box_2d": [0.1,0.5,0.4,0.9]}]`, "pneumothorax[0.1,0.5,0.4,0.9] cardiomegaly[0.5,0.3,0.8,0.7]", cxrkit.ParseSalvaged},
		{"truncated fence", "```json\n[{\"label\": \"pneumothorax\", \"box_2d\": [0.1, 0.5, 0.4, 0.9]}, {\"label\"", "pneumothorax[0.1,0.5,0.4,0.9]", cxrkit.ParseSalvaged},
		{"no_finding beside positive", `[{"label":"no_finding","box_2d":null},{"label":"cardiomegaly","box_2d":null}]`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
		{"empty array", `[]`, "no_finding[-]", cxrkit.ParseSalvaged},
		{"prose only", "The chest X-ray shows a small right pleural effusion and cardiomegaly.", "", cxrkit.ParseFailed},
		{"prose that names labels with brackets", "I think [pleural_effusion] and [cardiomegaly] are present.", "", cxrkit.ParseFailed},
		{"empty answer", "", "", cxrkit.ParseFailed},
		{"refusal", "I'm sorry, I cannot provide a medical diagnosis.", "", cxrkit.ParseFailed},
		{"bbox key", `[{"label": "cardiomegaly", "bbox": [0.5, 0.3, 0.8, 0.7]}]`, "cardiomegaly[0.5,0.3,0.8,0.7]", cxrkit.ParseOK},
		{"finding key", `[{"finding": "Pneumothorax", "box": [0.1, 0.5, 0.4, 0.9]}]`, "pneumothorax[0.1,0.5,0.4,0.9]", cxrkit.ParseOK},
		{"named box fields", `[{"label": "nodule_mass", "box_2d": {"y0": 0.2, "x0": 0.2, "y1": 0.3, "x1": 0.3}}]`, "nodule_mass[0.2,0.2,0.3,0.3]", cxrkit.ParseOK},
		{"several boxes in one element", `[{"label": "pleural_effusion", "box_2d": [[0.6, 0.1, 0.9, 0.4], [0.6, 0.6, 0.9, 0.9]]}]`, "pleural_effusion[0.6,0.1,0.9,0.4] pleural_effusion[0.6,0.6,0.9,0.9]", cxrkit.ParseOK},
		{"box of three numbers", `[{"label": "cardiomegaly", "box_2d": [0.5, 0.3, 0.8]}]`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
		{"zero-area box", `[{"label": "cardiomegaly", "box_2d": [0.5, 0.3, 0.5, 0.7]}]`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
		{"box far outside", `[{"label": "cardiomegaly", "box_2d": [0.5, 0.3, 1.5, 0.7]}]`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
		{"uppercase keys", `[{"Label": "CARDIOMEGALY", "Box_2d": null}]`, "cardiomegaly[-]", cxrkit.ParseOK},
		{"last array wins", "First try: [{\"label\":\"pneumothorax\",\"box_2d\":null}]. Corrected: [{\"label\":\"cardiomegaly\",\"box_2d\":null}]", "cardiomegaly[-]", cxrkit.ParseOK},
		{"array of numbers is not an answer", "The box is [0.1, 0.2, 0.3, 0.4].", "", cxrkit.ParseFailed},
		{"string instead of object", `["cardiomegaly", "pleural effusion"]`, "", cxrkit.ParseFailed},
		{"escaped quotes in strings", `[{"label": "cardiomegaly", "note": "heart \"big\" {really}", "box_2d": null}, {"label": "pneumoth`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
		{"json with trailing comma", `[{"label": "cardiomegaly", "box_2d": null},]`, "cardiomegaly[-]", cxrkit.ParseSalvaged},
	}
	if len(tests) < 40 {
		t.Fatalf("only %d golden outputs", len(tests))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseGrounding(tt.text, v, ScaleAuto, sent)
			if s := show(got.Findings); s != tt.want || got.Status != tt.status {
				t.Fatalf("got %q (%s, notes %v), want %q (%s)", s, got.Status, got.Notes, tt.want, tt.status)
			}
			if got.Status == cxrkit.ParseFailed && len(got.Findings) != 0 {
				t.Fatal("failed parse with findings")
			}
		})
	}
}

func TestParseGroundingForcedScale(t *testing.T) {
	v := vocab(t)
	got := ParseGrounding(`[{"label":"cardiomegaly","box_2d":[448,224,896,672]}]`, v, ScalePixel, Size{Width: 896, Height: 896})
	if show(got.Findings) != "cardiomegaly[0.5,0.25,1,0.75]" {
		t.Fatalf("pixel: %s", show(got.Findings))
	}
	got = ParseGrounding(`[{"label":"cardiomegaly","box_2d":[0.5,0.3,0.8,0.7]}]`, v, Scale1000, Size{})
	if show(got.Findings) != "cardiomegaly[0.001,0,0.001,0.001]" && got.Status != cxrkit.ParseSalvaged {
		t.Fatalf("forced 1000 on unit boxes: %s %s", show(got.Findings), got.Status)
	}
	if _, err := ParseBoxScale("inches"); !errors.Is(err, cxrkit.ErrInvalidOptions) {
		t.Fatalf("bad scale: %v, want an invalid-options error", err)
	}
}

func TestParseGroundingCaps(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("[")
	for i := range 100 {
		if i > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, `{"label":"nodule_mass","box_2d":[0.%03d,0.1,0.5,0.2]}`, i)
	}
	sb.WriteString("]")
	got := ParseGrounding(sb.String(), vocab(t), ScaleAuto, Size{})
	if len(got.Findings) != maxElements || got.Status != cxrkit.ParseSalvaged {
		t.Fatalf("%d findings (%s)", len(got.Findings), got.Status)
	}
}

func TestParseDraft(t *testing.T) {
	v := vocab(t)
	draft := "Small right pleural effusion. No pneumothorax. Possible left lower lobe pneumonia."
	tests := []struct {
		text, want string
		status     cxrkit.ParseStatus
	}{
		{`[{"label":"pleural_effusion","status":"present","span":"Small right pleural effusion"},{"label":"pneumothorax","status":"absent","span":"No pneumothorax"},{"label":"lung_opacity_consolidation","status":"uncertain","span":"Possible left lower lobe pneumonia"}]`,
			"pleural_effusion=present:Small right pleural effusion pneumothorax=absent:No pneumothorax lung_opacity_consolidation=uncertain:Possible left lower lobe pneumonia", cxrkit.ParseOK},
		{"<think>let me see\n</think>\n```json\n[{\"label\":\"Effusion\",\"status\":\"positive\",\"span\":\"small right pleural effusion\"}]\n```",
			"pleural_effusion=present:Small right pleural effusion", cxrkit.ParseOK},
		{`[{"label":"pneumothorax","status":"absent","span":"There is no pneumothorax at all"}]`, "pneumothorax=absent:", cxrkit.ParseSalvaged},
		{`[{"label":"pneumothorax","status":"maybe-ish","span":"No pneumothorax"}]`, "", cxrkit.ParseFailed},
		{`[{"label":"pleural_effusion","status":"absent","span":"x"},{"label":"pleural_effusion","status":"present","span":"Small right pleural effusion"}]`, "pleural_effusion=present:Small right pleural effusion", cxrkit.ParseOK},
		{"I could not parse this draft.", "", cxrkit.ParseFailed},
		{`[{"label":"no_finding","status":"present","span":""}]`, "no_finding=present:", cxrkit.ParseOK},
	}
	for _, tt := range tests {
		got := ParseDraft(tt.text, draft, v)
		var s []string
		for _, f := range got.Findings {
			s = append(s, string(f.Label)+"="+string(f.Status)+":"+f.Span)
		}
		if strings.Join(s, " ") != tt.want || got.Status != tt.status {
			t.Errorf("%q:\n got %q (%s %v)\nwant %q (%s)", tt.text, strings.Join(s, " "), got.Status, got.Notes, tt.want, tt.status)
		}
	}
}

func TestStripThinking(t *testing.T) {
	tests := map[string]string{
		"<think>a</think>b":                  "b",
		"<think>a</think>b<think>c</think>d": "bd",
		"a</think>b":                         "b",
		"<think>never closed [1]":            "never closed [1]",
		"plain":                              "plain",
	}
	for in, want := range tests {
		if got := StripThinking(in); got != want {
			t.Errorf("StripThinking(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParseGrounding: no panic, and text without a JSON object never
// yields a positive finding.
func FuzzParseGrounding(f *testing.F) {
	for _, s := range []string{`[{"label":"cardiomegaly","box_2d":[1,2,3,4]}]`, "no json here: cardiomegaly", "```json\n[{\"label\":\"x\"", `{"findings":[{"label":"pneumothorax"}]}`, `[{"label":"nodule","box_2d":[[0,0,1,1],[2,2,3,3]]}]`} {
		f.Add(s)
	}
	v := vocab(f)
	f.Fuzz(func(t *testing.T, text string) {
		got := ParseGrounding(text, v, ScaleAuto, Size{Width: 512, Height: 512})
		if !strings.Contains(text, "{") && len(cxrkit.PositiveLabels(got.Findings)) > 0 {
			t.Fatalf("positive finding from text without JSON objects: %q -> %+v", text, got.Findings)
		}
		if got.Status == cxrkit.ParseFailed && len(got.Findings) > 0 {
			t.Fatalf("failed parse with findings")
		}
		if len(got.Findings) > maxElements {
			t.Fatalf("%d findings", len(got.Findings))
		}
		for _, f := range got.Findings {
			if f.Box != nil && (!f.Box.Normalized() || f.Box.Area() == 0) {
				t.Fatalf("bad box %v", f.Box)
			}
		}
		ParseDraft(text, text, v)
	})
}

// An element with several label or box keys must parse the same way on
// every run, whatever order Go's map iteration picks.
func TestParseGroundingKeyPriorityIsStable(t *testing.T) {
	v, _ := labelmap.Default()
	text := `[{"name": "nodule", "LABEL": "pneumothorax", "label": "cardiomegaly", "bbox": [0, 0, 10, 10], "box_2d": [450, 300, 800, 750]}]`
	first := ParseGrounding(text, v, ScaleAuto, Size{})
	if s := show(first.Findings); s != "cardiomegaly[0.45,0.3,0.8,0.75]" {
		t.Fatalf("got %q, want the exact \"label\" and \"box_2d\" keys to win", s)
	}
	for range 50 {
		if got := ParseGrounding(text, v, ScaleAuto, Size{}); show(got.Findings) != show(first.Findings) {
			t.Fatalf("parse changed between runs: %q then %q", show(first.Findings), show(got.Findings))
		}
	}
}

func TestFieldValuesOrder(t *testing.T) {
	obj := map[string]json.RawMessage{"Label": []byte(`"b"`), "LABEL": []byte(`"a"`), "label": []byte(`"c"`), "finding": []byte(`"d"`)}
	var got []string
	for _, v := range fieldValues(obj, []string{"label", "finding"}) {
		got = append(got, string(v))
	}
	if want := `"c" "a" "b" "d"`; strings.Join(got, " ") != want {
		t.Errorf("fieldValues = %v, want %s", got, want)
	}
}
