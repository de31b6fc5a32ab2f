package cxrkit

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestParseClosedSets(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) (string, error)
		in    string
		want  string
		// wantErr lists what the error must name: the bad value and every valid one.
		wantErr []string
	}{
		{"split", wrap(ParseSplit), "validation", "validation", nil},
		{"split trims", wrap(ParseSplit), " test ", "test", nil},
		{"split typo", wrap(ParseSplit), "valid", "", []string{`"valid"`, "train, validation, test"}},
		{"split empty", wrap(ParseSplit), "", "", []string{"split", "train"}},
		{"source", wrap(ParseSource), "chestxdet", "chestxdet", nil},
		{"source vqa is not a corpus source", wrap(ParseSource), "vqa", "", []string{"vindr, nih, chestxdet"}},
		{"case type", wrap(ParseCaseType), "negated_faithful", "negated_faithful", nil},
		{"case type typo", wrap(ParseCaseType), "mised", "", []string{"faithful, missing, unsupported, denied, negated_faithful, mixed"}},
		{"parse status", wrap(ParseParseStatus), "salvaged", "salvaged", nil},
		{"parse status gold", wrap(ParseParseStatus), "gold", "gold", nil},
		{"parse status unknown", wrap(ParseParseStatus), "partial", "", []string{"ok, salvaged, failed, gold, rules"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.parse(tt.in)
			if len(tt.wantErr) == 0 {
				if err != nil || got != tt.want {
					t.Fatalf("got %q, %v; want %q", got, err, tt.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got %q, want an error", got)
			}
			if !errors.Is(err, ErrInvalidOptions) {
				t.Errorf("error %v does not wrap ErrInvalidOptions", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not name %q", err, w)
				}
			}
		})
	}
}

func wrap[T ~string](parse func(string) (T, error)) func(string) (string, error) {
	return func(s string) (string, error) {
		t, err := parse(s)
		return string(t), err
	}
}

func TestParseCaseTypesOrdersAndDedups(t *testing.T) {
	got, err := ParseCaseTypes([]string{"mixed", "faithful", "mixed"})
	if err != nil || len(got) != 2 || got[0] != CaseFaithful || got[1] != CaseMixed {
		t.Fatalf("got %v, %v; want [faithful mixed]", got, err)
	}
	if _, err := ParseSplits([]string{"train", "dev"}); err == nil {
		t.Fatal("ParseSplits accepted dev")
	}
}

func TestValid(t *testing.T) {
	for _, s := range Splits() {
		if !s.Valid() {
			t.Errorf("split %q not valid", s)
		}
	}
	for _, s := range Sources() {
		if !s.Valid() {
			t.Errorf("source %q not valid", s)
		}
	}
	for _, c := range CaseTypes() {
		if !c.Valid() {
			t.Errorf("case type %q not valid", c)
		}
	}
	for _, p := range ParseStatuses() {
		if !p.Valid() {
			t.Errorf("parse status %q not valid", p)
		}
	}
	if Split("dev").Valid() || Source("iu").Valid() || CaseType("x").Valid() || ParseStatus("").Valid() {
		t.Error("an unknown value is valid")
	}
}

// The typed fields must write exactly the JSON the string fields wrote.
func TestTypedFieldsKeepJSON(t *testing.T) {
	r := Result{CaseID: "c", ImageID: "i", Source: SourceNIH, Parse: Parse{Grounding: ParseGold, Draft: ParseRules}}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{`"source":"nih"`, `"parse":{"grounding":"gold","draft":"rules"}`} {
		if !strings.Contains(string(b), w) {
			t.Errorf("%s lacks %s", b, w)
		}
	}
	c := Case{CaseID: "c", Source: SourceVinDr, Split: SplitValidation, CaseType: CaseNegatedFaithful}
	b, _ = json.Marshal(c)
	if !strings.Contains(string(b), `"source":"vindr","split":"validation","case_type":"negated_faithful"`) {
		t.Errorf("case JSON %s", b)
	}
}
