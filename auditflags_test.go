package cxrkit

import (
	"testing"

	"github.com/cxrkit/cxrkit/labelmap"
)

func TestSameFlags(t *testing.T) {
	a, b := labelmap.Cardiomegaly, labelmap.PleuralEffusion
	for _, tt := range []struct {
		name string
		x, y []labelmap.Label
		same bool
	}{
		{"order", []labelmap.Label{a, b}, []labelmap.Label{b, a}, true},
		{"repeat collapses", []labelmap.Label{a, a}, []labelmap.Label{a}, true},
		{"repeat is not another label", []labelmap.Label{a, b}, []labelmap.Label{a, a}, false},
		{"empty", nil, []labelmap.Label{}, true},
		{"subset", []labelmap.Label{a}, []labelmap.Label{a, b}, false},
	} {
		for _, kind := range []func(ls []labelmap.Label) Audit{
			func(ls []labelmap.Label) Audit { return Audit{MissingFindings: ls} },
			func(ls []labelmap.Label) Audit { return Audit{UnsupportedClaims: ls} },
			func(ls []labelmap.Label) Audit { return Audit{UrgentReviewFlags: ls} },
		} {
			if got := kind(tt.x).SameFlags(kind(tt.y)); got != tt.same {
				t.Errorf("%s: %v vs %v: %v, want %v", tt.name, tt.x, tt.y, got, tt.same)
			}
			if got := kind(tt.y).SameFlags(kind(tt.x)); got != tt.same {
				t.Errorf("%s reversed: %v", tt.name, got)
			}
		}
	}
}

func TestImageKeyMatchesRecordKey(t *testing.T) {
	r := Record{Source: "vindr", ImageID: "abc"}
	if r.Key() != ImageKey(r.Source, r.ImageID) || (ImageRef{Source: "vindr", ImageID: "abc"}).Key() != r.Key() {
		t.Fatalf("keys differ: %q %q", r.Key(), ImageKey(r.Source, r.ImageID))
	}
}
