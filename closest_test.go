package cxrkit

import "testing"

func TestClosest(t *testing.T) {
	commands := []string{"labels", "prepare", "dicom2png", "synth", "export", "audit", "eval", "serve", "run", "help", "version", "completion"}
	keys := []string{"normal_ratio", "val_fraction", "test_fraction", "merge_iou", "min_readers"}
	tests := []struct {
		word       string
		candidates []string
		want       string
	}{
		{"prep", commands, "prepare"}, // a unique prefix
		{"e", commands, ""},
		{"ex", []string{"export", "exit"}, ""}, // an ambiguous prefix
		{"prepar", commands, "prepare"},
		{"aduit", commands, "audit"},
		{"serv", commands, "serve"},
		{"xyz", commands, ""},
		{"normal_ratoi", keys, "normal_ratio"},
		{"min_reader", keys, "min_readers"},
		{"seed", keys, ""},
		{"", keys, ""},
	}
	for _, tt := range tests {
		if got := Closest(tt.word, tt.candidates); got != tt.want {
			t.Errorf("Closest(%q) = %q, want %q", tt.word, got, tt.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		d    int
	}{{"", "", 0}, {"abc", "abc", 0}, {"abc", "acb", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"ratio", "ratoi", 1}} {
		if d := editDistance(tt.a, tt.b); d != tt.d {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, d, tt.d)
		}
	}
}
