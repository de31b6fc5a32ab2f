package dataset

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func TestParseNormalRatio(t *testing.T) {
	tests := []struct {
		in      string
		want    NormalRatio
		wantErr bool
	}{
		{"1.0", 1, false},
		{" 0.5 ", 0.5, false},
		{"0", 0, false},
		{"all", NormalRatioAll, false},
		{"-1", 0, true},
		{"NaN", 0, true},
		{"Inf", 0, true},
		{"lots", 0, true},
		{"", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseNormalRatio(tt.in)
		if (err != nil) != tt.wantErr || (err == nil && got != tt.want) {
			t.Errorf("ParseNormalRatio(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestValidateNamesFractionsInOrder(t *testing.T) {
	o := Defaults()
	o.NIHBoxes, o.Out = []string{"x.csv"}, "out"
	o.MergeIoU, o.CrossIoU, o.ValFraction, o.TestFraction = 2, -1, 0.2, 1.5
	for range 20 {
		err := o.validate()
		if err == nil {
			t.Fatal("invalid fractions accepted")
		}
		msg := err.Error()
		a, b, c := strings.Index(msg, "--merge-iou"), strings.Index(msg, "--cross-iou"), strings.Index(msg, "--test-fraction 1.5")
		if a < 0 || b < a || c < b {
			t.Fatalf("error %q: want --merge-iou, --cross-iou, --test-fraction in that order", msg)
		}
	}
}

// A config's normal_ratio decodes as the flag parses it: a number, a
// quoted number or all; anything else fails with its line.
func TestNormalRatioYAML(t *testing.T) {
	tests := []struct {
		doc     string
		want    NormalRatio
		wantErr bool
	}{
		{"r: all\n", NormalRatioAll, false},
		{"r: 2\n", 2, false},
		{"r: \"1.0\"\n", 1, false},
		{"r: lots\n", 0, true},
		{"r: [1]\n", 0, true},
	}
	for _, tt := range tests {
		var v struct {
			R NormalRatio `yaml:"r"`
		}
		err := yaml.Unmarshal([]byte(tt.doc), &v)
		if (err != nil) != tt.wantErr || (err == nil && v.R != tt.want) {
			t.Errorf("%q: got %v, %v; want %v (error %v)", tt.doc, v.R, err, tt.want, tt.wantErr)
		}
		if err == nil {
			out, _ := yaml.Marshal(v)
			if string(out) != "r: "+FormatNormalRatio(tt.want)+"\n" && string(out) != "r: \""+FormatNormalRatio(tt.want)+"\"\n" {
				t.Errorf("%q marshals as %q", tt.doc, out)
			}
		}
	}
}
