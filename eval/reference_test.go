package eval

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/cxrkit/cxrkit"
)

func TestReferenceCompatPoolsBoxesAcrossImages(t *testing.T) {
	gold := []cxrkit.Record{
		rec("a", f(ptx, bx(0.1, 0.1, 0.3, 0.3))),
		rec("b", f(ptx, bx(0.6, 0.6, 0.8, 0.8))),
		rec("c"),
	}
	preds := []cxrkit.Result{
		// a: the box sits where image b's pneumothorax is: wrong for a,
		// but the reference's pooled matching counts it as a hit.
		pred("a", f(ptx, bx(0.6, 0.6, 0.8, 0.8))),
		pred("b"),
		// c: cardiomegaly that no gold image has (precision 0, recall
		// undefined): cxrkit's macro F1 counts it, the reference's not.
		pred("c", f(car, nil)),
	}
	for _, compat := range []bool{false, true} {
		d, err := NewDataset(gold, preds, ImageOptions{Thresholds: []float64{0.3}, ReferenceCompat: compat})
		if err != nil {
			t.Fatal(err)
		}
		r := Evaluate(d, ImageOptions{Thresholds: []float64{0.3}})
		if !compat {
			if r.ReferenceCompat != nil {
				t.Fatal("reference figures without --reference-compat")
			}
			continue
		}
		rc := r.ReferenceCompat
		loc, _ := rc.Localization.Get("0.3")
		if val(loc.CxrkitRate) != 0 || val(loc.Rate) != 0.5 || loc.TP != 1 || loc.FN != 1 || val(loc.Difference) != 0.5 {
			t.Errorf("pooled localization %+v, want rate 0.5 beside cxrkit's 0", loc)
		}
		// pneumothorax F1: tp 1 (image a), fn 1 (image b) → 2/3; cardiomegaly
		// F1 0 with undefined recall.
		if math.Abs(val(rc.MacroF1)-2.0/3) > 1e-12 || math.Abs(val(rc.CxrkitMacroF1)-1.0/3) > 1e-12 {
			t.Errorf("macro F1 reference %v cxrkit %v, want 2/3 and 1/3", val(rc.MacroF1), val(rc.CxrkitMacroF1))
		}
		data, _ := json.Marshal(r)
		var back map[string]any
		json.Unmarshal(data, &back)
		if back["reference_compat"] == nil {
			t.Error("reference_compat missing from the JSON")
		}
	}
}

func TestJSONFiguresAreNotRounded(t *testing.T) {
	// IoU of the matched pair is 0.28/0.3 = 0.9333…: never cut to 4 decimals.
	gold := []cxrkit.Record{rec("a", f(eff, bx(0, 0, 0.3, 1)))}
	preds := []cxrkit.Result{pred("a", f(eff, bx(0, 0, 0.28, 1)))}
	d, err := NewDataset(gold, preds, ImageOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := Evaluate(d, ImageOptions{})
	got := val(r.MeanIoUMatched)
	if math.Abs(got-0.28/0.3) > 1e-12 || got == math.Round(got*1e4)/1e4 {
		t.Errorf("mean_iou_matched %v, want %v unrounded", got, 0.28/0.3)
	}
}
