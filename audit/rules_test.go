package audit

import (
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

func rulesParser(t testing.TB) *RulesParser {
	p, err := NewRulesParser("")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func summarize(fs []cxrkit.DraftFinding) string {
	var s []string
	for _, f := range fs {
		s = append(s, string(f.Label)+"="+string(f.Status))
	}
	return strings.Join(s, " ")
}

func TestRulesParserSentences(t *testing.T) {
	p := rulesParser(t)
	tests := []struct{ text, want string }{
		{"Small right pleural effusion.", "pleural_effusion=present"},
		{"No pleural effusion or pneumothorax.", "pleural_effusion=absent pneumothorax=absent"},
		{"No focal consolidation, pleural effusion, or pneumothorax is seen.", "pleural_effusion=absent pneumothorax=absent lung_opacity_consolidation=absent"},
		{"Pneumothorax is not seen.", "pneumothorax=absent"},
		{"The previously seen right effusion has resolved.", "pleural_effusion=absent"},
		{"Interval resolution of the left lower lobe consolidation.", "lung_opacity_consolidation=absent"},
		{"Possible left lower lobe pneumonia.", "lung_opacity_consolidation=uncertain"},
		{"Small effusion cannot be excluded.", "pleural_effusion=uncertain"},
		{"Cannot exclude a small pneumothorax.", "pneumothorax=uncertain"},
		{"Findings suspicious for a right upper lobe mass.", "nodule_mass=uncertain"},
		{"Mild cardiomegaly without overt edema.", "cardiomegaly=present"},
		{"Heart size is normal. Lungs are clear.", "cardiomegaly=absent"},
		{"The heart is not enlarged.", "cardiomegaly=absent"},
		{"Borderline cardiomegaly.", "cardiomegaly=present"},
		{"The cardiac silhouette is mildly enlarged.", "cardiomegaly=present"},
		{"No significant change in the small left pleural effusion.", "pleural_effusion=present"},
		{"No pneumothorax, but there is a small right effusion.", "pleural_effusion=present pneumothorax=absent"},
		{"There is no pneumothorax and a small right effusion is present.", "pleural_effusion=present pneumothorax=absent"},
		{"Small pericardial effusion.", ""},
		{"Bibasilar atelectasis.", ""},
		{"Nodular opacity in the left upper lobe.", "lung_opacity_consolidation=present"},
		{"2 cm right upper lobe nodule. No effusion.", "pleural_effusion=absent nodule_mass=present"},
		{"No acute cardiopulmonary abnormality.", "no_finding=present"},
		{"No acute cardiopulmonary abnormality. Stable cardiomegaly.", "cardiomegaly=present"},
		{"1. Left pleural effusion with adjacent atelectasis. 2. Cardiomegaly.", "pleural_effusion=present cardiomegaly=present"},
		{"No left effusion. Small right effusion.", "pleural_effusion=present"},
		{"Right apical pneumothorax has nearly resolved.", "pneumothorax=present"},
		{"Atelectasis versus pneumonia in the left base.", "lung_opacity_consolidation=uncertain"},
		{"Left base consolidation versus atelectasis.", "lung_opacity_consolidation=uncertain"},
		{"Heart size 1.5 times normal. No pneumothorax.", "pneumothorax=absent"},
		{"NO PLEURAL EFFUSION.", "pleural_effusion=absent"},
		{"Negative for pneumothorax; small effusion.", "pleural_effusion=present pneumothorax=absent"},
		{"", ""},
	}
	for _, tt := range tests {
		got := p.Parse(tt.text)
		if s := summarize(got); s != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.text, s, tt.want)
		}
		for _, f := range got {
			if !strings.Contains(tt.text, f.Span) || f.Span == "" {
				t.Errorf("%q: span %q not verbatim", tt.text, f.Span)
			}
		}
	}
}

func TestRulesParserSpans(t *testing.T) {
	p := rulesParser(t)
	got := p.Parse("Heart size is normal. Small right pleural effusion; no pneumothorax.")
	want := map[labelmap.Label]string{labelmap.PleuralEffusion: "Small right pleural effusion", labelmap.Pneumothorax: "no pneumothorax", labelmap.Cardiomegaly: "Heart size is normal"}
	for _, f := range got {
		if want[f.Label] != f.Span {
			t.Errorf("%s span %q, want %q", f.Label, f.Span, want[f.Label])
		}
	}
}

func TestRulesLexiconValidation(t *testing.T) {
	tests := []struct{ doc, want string }{
		{"scope: {forward_words: 5, backward_words: 5}\nmentions: []\n", "no phrases for pleural_effusion"},
		{"scope: {forward_words: 5, backward_words: 5}\nmentions:\n- {id: m, phenomenon: p, labels: [pleural_effusion], phrases: ['(effusion']}\n", "unclosed '('"},
		{"scope: {forward_words: 5, backward_words: 5}\nmentions:\n- {id: m, labels: [pleural_effusion], phrases: [effusion]}\n", "needs an id and the phenomenon"},
		{"scope: {forward_words: 5, backward_words: 5}\nmentions:\n- {id: m, phenomenon: p, labels: [effusion], phrases: [effusion]}\n", "not a positive label"},
		{"scope: {forward_words: 5, backward_words: 5}\ncues:\n- {id: c, phenomenon: p, effect: negate, phrases: ['no']}\n", "direction"},
		{"scope: {forward_words: 5, backward_words: 5}\ncues:\n- {id: c, phenomenon: p, effect: deny, direction: before, phrases: ['no']}\n", "effect \"deny\""},
		{"scope: {forward_words: 5, backward_words: 5}\ncues:\n- {id: c, phenomenon: p, effect: negate, direction: before, relative: true, phrases: ['no']}\n", "only a boundary can be relative"},
		{"mentions: []\n", "forward_words"},
		{"nonsense: 1\n", "field nonsense not found"},
		{"mentions:\n  pleural_effusion:\n    match: ['effusions?']\n", "older format"},
	}
	for _, tt := range tests {
		if _, err := parseLexicon([]byte(tt.doc), "r.yaml"); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("err = %v, want %q", err, tt.want)
		}
	}
}

func FuzzRulesParser(f *testing.F) {
	for _, s := range []string{"No pleural effusion or pneumothorax.", "Possible pneumonia; cannot exclude mass.", "1. Cardiomegaly. 2. No effusion.", "É. no effusion\n\n"} {
		f.Add(s)
	}
	p := rulesParser(f)
	f.Fuzz(func(t *testing.T, text string) {
		seen := map[labelmap.Label]bool{}
		for _, d := range p.Parse(text) {
			if !strings.Contains(text, d.Span) || !d.Status.Valid() || !d.Label.Valid() || seen[d.Label] {
				t.Fatalf("bad finding %+v for %q", d, text)
			}
			seen[d.Label] = true
		}
	})
}
