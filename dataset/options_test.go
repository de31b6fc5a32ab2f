package dataset

import "testing"

func TestParseNormalRatio(t *testing.T) {
	tests := []struct {
		in      string
		want    float64
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
