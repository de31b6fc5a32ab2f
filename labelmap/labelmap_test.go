package labelmap

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
)

func TestDefaultMapsSpecTable(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		source, native string
		want           Label
		status         Status
	}{
		{"vindr", "Cardiomegaly", Cardiomegaly, Mapped},
		{"vindr", "Lung Opacity", LungOpacity, Mapped},
		{"vindr", "lung   opacity", LungOpacity, Mapped},
		{"vindr", "Infiltration", LungOpacity, Mapped},
		{"vindr", "Consolidation", LungOpacity, Mapped},
		{"vindr", "Nodule/Mass", NoduleMass, Mapped},
		{"vindr", "nodule / mass", NoduleMass, Mapped},
		{"vindr", "Pleural effusion", PleuralEffusion, Mapped},
		{"vindr", "No finding", NoFinding, Mapped},
		{"vindr", "Aortic enlargement", "", Dropped},
		{"vindr", "Pleural thickening", "", Dropped},
		{"vindr", "Enlarged PA", "", Dropped},
		{"vindr", "Made up", "", Unknown},
		{"nih", "Effusion", PleuralEffusion, Mapped},
		{"nih", "Infiltrate", LungOpacity, Mapped},
		{"nih", "Pneumonia", LungOpacity, Mapped},
		{"nih", "Mass", NoduleMass, Mapped},
		{"nih", "Nodule", NoduleMass, Mapped},
		{"nih", "No Finding", NoFinding, Mapped},
		{"nih", "Atelectasis", "", Dropped},
		{"nih", "Pleural_Thickening", "", Dropped},
		{"chestxdet", "Diffuse Nodule", NoduleMass, Mapped},
		{"chestxdet", "Effusion", PleuralEffusion, Mapped},
		{"chestxdet", "Fracture", "", Dropped},
	}
	for _, tt := range tests {
		got, st := v.Source(tt.source).Lookup(tt.native)
		if got != tt.want || st != tt.status {
			t.Errorf("%s %q = %q %v, want %q %v", tt.source, tt.native, got, st, tt.want, tt.status)
		}
	}
	if got := v.SourceNames(); !slices.Equal(got, []string{"chestxdet", "iu_mesh", "nih", "vindr"}) {
		t.Errorf("sources = %v", got)
	}
	if !v.IsUrgent(Pneumothorax) || !v.IsUrgent(NoduleMass) || v.IsUrgent(Cardiomegaly) {
		t.Errorf("urgent = %v", v.Urgent())
	}
	if !v.MoreSpecific(Pneumothorax, LungOpacity) || v.MoreSpecific(LungOpacity, Cardiomegaly) {
		t.Errorf("specificity = %v", v.Specificity())
	}
}

func TestNormalizeFreeText(t *testing.T) {
	v, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]Label{
		"Nodule/Mass":                  NoduleMass,
		"nodule mass":                  NoduleMass,
		"Nodule / mass":                NoduleMass,
		"nodule_mass":                  NoduleMass,
		"Effusion":                     PleuralEffusion,
		"pleural-effusion":             PleuralEffusion,
		"lung opacity":                 LungOpacity,
		"Lung Opacity / Consolidation": LungOpacity,
		"lung_opacity_consolidation":   LungOpacity,
		"CARDIOMEGALY":                 Cardiomegaly,
		"Pneumothorax ":                Pneumothorax,
		"no_finding":                   NoFinding,
		"No Finding":                   NoFinding,
	}
	for in, want := range tests {
		if got, ok := v.Normalize(in); !ok || got != want {
			t.Errorf("Normalize(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"atelectasis", "", "pleural thickening", "fracture"} {
		if got, ok := v.Normalize(in); ok {
			t.Errorf("Normalize(%q) = %q, want no label", in, got)
		}
	}
}

func TestLabelOrderAndDisplay(t *testing.T) {
	all := All()
	for i, l := range all {
		if l.Index() != i || !l.Valid() {
			t.Errorf("%s index %d", l, l.Index())
		}
	}
	if NoFinding.Positive() || !Cardiomegaly.Positive() || Label("edema").Valid() {
		t.Error("positive/valid wrong")
	}
	if LungOpacity.Display() != "Lung opacity / consolidation" || NoduleMass.Display() != "Nodule / mass" {
		t.Error("display names differ from SPEC")
	}
	if len(Positives()) != 5 || slices.Contains(Positives(), NoFinding) {
		t.Error("positives wrong")
	}
}

func TestLoadErrorsNameLine(t *testing.T) {
	base := "urgent: [pneumothorax]\nspecificity: [pneumothorax, nodule_mass, pleural_effusion, cardiomegaly, lung_opacity_consolidation]\n"
	tests := []struct {
		name, doc, want string
	}{
		{"unknown canonical", base + "sources:\n  vindr:\n    Cardiomegaly: heart_big\n", "x.yaml:5: unknown canonical label \"heart_big\""},
		{"duplicate native", base + "sources:\n  vindr:\n    Cardiomegaly: cardiomegaly\n    cardio megaly: null\n", "x.yaml:6: source vindr: duplicate native label \"cardio megaly\" (already on line 5"},
		{"unknown urgent", "urgent: [edema]\n", "x.yaml:1: unknown canonical label \"edema\""},
		{"no_finding urgent", "urgent: [no_finding]\n", "x.yaml:1: unknown canonical label \"no_finding\""},
		{"specificity incomplete", "urgent: []\nspecificity: [pneumothorax]\n", "x.yaml:2: specificity must list each positive label exactly once"},
		{"unknown key", base + "sauces: {}\n", "x.yaml:3: unknown key \"sauces\""},
		{"missing sources", base, "missing key \"sources\""},
		{"not a mapping", "- a\n- b\n", "top level must be a mapping"},
		{"bad yaml", "urgent: [\n", "x.yaml"},
		{"empty", "", "empty document"},
		{"synonym clash", base + "synonyms:\n  nodule_mass: [mass]\n  cardiomegaly: [Mass]\nsources:\n  a: {}\n", "x.yaml:5: synonym \"Mass\" given for both nodule_mass and cardiomegaly"},
		{"source not mapping", base + "sources:\n  vindr: [a]\n", "x.yaml:4: source vindr: want a mapping"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.doc), "x.yaml")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadFileOverrides(t *testing.T) {
	path := t.TempDir() + "/custom.yaml"
	doc := "urgent: [cardiomegaly]\nspecificity: [pneumothorax, nodule_mass, pleural_effusion, cardiomegaly, lung_opacity_consolidation]\nsources:\n  vindr:\n    Heart: cardiomegaly\n"
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := LoadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if l, st := v.Source("vindr").Lookup("heart"); l != Cardiomegaly || st != Mapped {
		t.Fatalf("custom map lookup = %q %v", l, st)
	}
	if !v.IsUrgent(Cardiomegaly) || v.IsUrgent(Pneumothorax) {
		t.Fatalf("urgent = %v", v.Urgent())
	}
	// Canonical ids and display names normalize even without synonyms.
	if l, ok := v.Normalize("Nodule / mass"); !ok || l != NoduleMass {
		t.Fatalf("Normalize without synonyms = %q %v", l, ok)
	}
	if _, err := LoadFile(t.TempDir() + "/missing.yaml"); err == nil {
		t.Fatal("missing file loaded")
	}
}

func TestWithUrgent(t *testing.T) {
	v, _ := Default()
	u, err := v.WithUrgent([]Label{Cardiomegaly, Pneumothorax, Cardiomegaly})
	if err != nil || !slices.Equal(u.Urgent(), []Label{Pneumothorax, Cardiomegaly}) {
		t.Fatalf("urgent = %v, %v", u.Urgent(), err)
	}
	if !slices.Equal(v.Urgent(), []Label{Pneumothorax, NoduleMass}) {
		t.Fatal("WithUrgent changed the original")
	}
	if _, err := v.WithUrgent([]Label{NoFinding}); err == nil {
		t.Fatal("no_finding accepted as urgent")
	}
}

func FuzzParse(f *testing.F) {
	def, _ := os.ReadFile("../configs/labelmap.yaml")
	f.Add(string(def))
	f.Add("urgent: []\nspecificity: []\nsources: {}\n")
	f.Add("sources:\n  a:\n    b: null\n")
	f.Fuzz(func(t *testing.T, doc string) {
		v, err := Parse([]byte(doc), "fuzz.yaml")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "labelmap fuzz.yaml") {
				t.Fatalf("error without file name: %v", err)
			}
			return
		}
		for _, name := range v.SourceNames() {
			for _, e := range v.Source(name).Entries() {
				l, st := v.Source(name).Lookup(e.Native)
				if st == Unknown || (st == Mapped && (l != e.Label || !l.Valid())) {
					t.Fatalf("entry %+v looks up as %q %v", e, l, st)
				}
			}
		}
		for _, l := range v.Urgent() {
			if !l.Positive() {
				t.Fatalf("urgent %q not positive", l)
			}
		}
	})
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

func TestLoadFromReader(t *testing.T) {
	doc := "urgent: [pneumothorax]\nspecificity: [pneumothorax, nodule_mass, pleural_effusion, cardiomegaly, lung_opacity_consolidation]\nsources:\n  nih:\n    Effusion: pleural_effusion\n"
	v, err := Load(strings.NewReader(doc), "stdin")
	if err != nil {
		t.Fatal(err)
	}
	if l, st := v.Source("nih").Lookup("Effusion"); l != PleuralEffusion || st != Mapped {
		t.Errorf("lookup = %q %v", l, st)
	}
	if _, err := Load(strings.NewReader("urgent: [edema]\n"), "stdin"); err == nil || !strings.Contains(err.Error(), "stdin:1:") {
		t.Errorf("bad document: err = %v, want it to name stdin:1", err)
	}
	if _, err := Load(failingReader{}, "pipe"); err == nil || !strings.Contains(err.Error(), "labelmap pipe: disk on fire") {
		t.Errorf("read failure: err = %v", err)
	}
}
