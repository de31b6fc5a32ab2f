package audit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/labelmap"
)

func TestGoldGrounderLookup(t *testing.T) {
	g := NewGoldGrounder([]cxrkit.Record{
		{Source: "nih", ImageID: "a", Findings: []cxrkit.Finding{{Label: labelmap.Cardiomegaly}}},
		{Source: "vindr", ImageID: "b", Findings: []cxrkit.Finding{{Label: labelmap.Pneumothorax}}},
		{Source: "nih", ImageID: "b", Findings: []cxrkit.Finding{{Label: labelmap.NoduleMass}}},
	})
	tests := []struct {
		name    string
		ref     cxrkit.ImageRef
		want    labelmap.Label
		wantErr string
	}{
		{"source and id", cxrkit.ImageRef{Source: "nih", ImageID: "a"}, labelmap.Cardiomegaly, ""},
		{"unique id without source", cxrkit.ImageRef{ImageID: "a"}, labelmap.Cardiomegaly, ""},
		{"shared id with source", cxrkit.ImageRef{Source: "vindr", ImageID: "b"}, labelmap.Pneumothorax, ""},
		{"shared id without source", cxrkit.ImageRef{ImageID: "b"}, "", "several sources"},
		{"wrong source", cxrkit.ImageRef{Source: "vindr", ImageID: "a"}, "", "vindr:a"},
		{"unknown id", cxrkit.ImageRef{ImageID: "zzz"}, "", ":zzz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := g.Ground(context.Background(), tt.ref)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrNotInCorpus) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrNotInCorpus naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got.Findings) != 1 || got.Findings[0].Label != tt.want || got.Status != cxrkit.ParseGold {
				t.Fatalf("got %+v, %v; want %s", got, err, tt.want)
			}
		})
	}
}
