package dataset

import "testing"

func TestIUReportTextEndsTheFindingsSentence(t *testing.T) {
	tests := []struct {
		findings, impression, want string
	}{
		{"No effusion", "Heart is enlarged.", "No effusion. Heart is enlarged."},
		{"No effusion.", "Heart is enlarged.", "No effusion. Heart is enlarged."},
		{"  Lungs clear;  ", " Normal. ", "Lungs clear; Normal."},
		{"", "Normal chest.", "Normal chest."},
		{"Lungs clear", "", "Lungs clear"},
		{"", "  ", ""},
	}
	for _, tt := range tests {
		got := IUReport{Findings: tt.findings, Impression: tt.impression}.Text()
		if got != tt.want {
			t.Errorf("Text(%q, %q) = %q, want %q", tt.findings, tt.impression, got, tt.want)
		}
	}
}
