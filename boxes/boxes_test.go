package boxes

import (
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestFromPixels(t *testing.T) {
	tests := []struct {
		name           string
		x1, y1, x2, y2 float64
		w, h           int
		want           Box
		err            error
	}{
		{"inside", 100, 200, 300, 400, 1000, 500, Box{0.4, 0.1, 0.8, 0.3}, nil},
		{"whole image", 0, 0, 1000, 500, 1000, 500, Box{0, 0, 1, 1}, nil},
		{"clamped within 1%", -5, -2, 1009, 504, 1000, 500, Box{0, 0, 1, 1}, nil},
		{"outside x by more than 1%", 0, 0, 1011, 100, 1000, 500, Box{}, ErrOutside},
		{"outside negative y", 0, -6, 10, 100, 1000, 500, Box{}, ErrOutside},
		{"x inverted", 300, 0, 100, 10, 1000, 500, Box{}, ErrXInverted},
		{"y inverted", 0, 30, 10, 10, 1000, 500, Box{}, ErrYInverted},
		{"no size", 0, 0, 10, 10, 0, 500, Box{}, ErrNoImageSize},
		{"nan", math.NaN(), 0, 10, 10, 100, 100, Box{}, ErrNotFinite},
		{"zero width", 10, 0, 10, 10, 100, 100, Box{}, ErrZeroArea},
		{"zero after clamp", -0.5, 0, -0.1, 10, 100, 100, Box{}, ErrZeroArea},
		{"thinner than 4 decimals", 0, 0, 1, 0.01, 1024, 1024, Box{}, ErrTooThin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := FromPixels(tt.x1, tt.y1, tt.x2, tt.y2, tt.w, tt.h)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if got != tt.want {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFromPixelsXYWH(t *testing.T) {
	got, err := FromPixelsXYWH(102.4, 204.8, 102.4, 51.2, 1024, 1024)
	if err != nil {
		t.Fatal(err)
	}
	want := Box{0.2, 0.1, 0.25, 0.2}
	for i, v := range got.Array() {
		if math.Abs(v-want.Array()[i]) > 1e-12 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestIoU(t *testing.T) {
	tests := []struct {
		name string
		a, b Box
		want float64
	}{
		{"identical", Box{0, 0, 1, 1}, Box{0, 0, 1, 1}, 1},
		{"disjoint", Box{0, 0, 0.2, 0.2}, Box{0.5, 0.5, 1, 1}, 0},
		{"touching edge", Box{0, 0, 0.5, 0.5}, Box{0, 0.5, 0.5, 1}, 0},
		{"half overlap", Box{0, 0, 1, 0.5}, Box{0, 0.25, 1, 0.75}, 1.0 / 3},
		{"contained", Box{0, 0, 1, 1}, Box{0, 0, 0.5, 0.5}, 0.25},
		{"degenerate", Box{0.5, 0.5, 0.5, 0.5}, Box{0.5, 0.5, 0.5, 0.5}, 0},
	}
	for _, tt := range tests {
		if got := IoU(tt.a, tt.b); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("%s: IoU = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestBoxJSON(t *testing.T) {
	b := Box{0.1, 0.2, 0.3, 0.4}
	data, err := json.Marshal(b)
	if err != nil || string(data) != "[0.1,0.2,0.3,0.4]" {
		t.Fatalf("marshal = %s, %v", data, err)
	}
	var back Box
	if err := json.Unmarshal(data, &back); err != nil || back != b {
		t.Fatalf("round trip = %v, %v", back, err)
	}
	for _, bad := range []string{"[1,2,3]", `{"y0":1}`, `"x"`, "[1,2,3,4,5]"} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("unmarshal %s: no error", bad)
		}
	}
	if _, err := json.Marshal(Box{math.NaN(), 0, 1, 1}); err == nil {
		t.Error("NaN box marshalled")
	}
}

func TestMatchGreedyOneToOne(t *testing.T) {
	gold := []Box{{0, 0, 0.5, 0.5}, {0.5, 0.5, 1, 1}}
	pred := []Box{
		{0, 0, 0.5, 0.45},    // IoU 0.9 with gold 0
		{0, 0, 0.5, 0.5},     // IoU 1.0 with gold 0: wins it
		{0.5, 0.5, 0.9, 0.9}, // IoU 0.64 with gold 1
		{0.1, 0.1, 0.2, 0.2}, // below threshold
	}
	got := Match(pred, gold, 0.5)
	want := []Pair{{1, 0, 1}, {2, 1, 0.64}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i].Pred != want[i].Pred || got[i].Gold != want[i].Gold || math.Abs(got[i].IoU-want[i].IoU) > 1e-9 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
}

func TestMatchTiesPreferLowerIndexes(t *testing.T) {
	b := Box{0, 0, 0.5, 0.5}
	got := Match([]Box{b, b}, []Box{b, b}, 0.5)
	if len(got) != 2 || got[0] != (Pair{0, 0, 1}) || got[1] != (Pair{1, 1, 1}) {
		t.Fatalf("got %v", got)
	}
}

func TestMergeWBF(t *testing.T) {
	r := []Reading{
		{Box{0, 0, 0.4, 0.4}, "R1"},
		{Box{0.6, 0.6, 1, 1}, "R1"},
		{Box{0, 0, 0.4, 0.5}, "R2"},   // IoU 0.8 with cluster 0
		{Box{0.6, 0.6, 1, 0.9}, "R2"}, // IoU 0.75 with cluster 1
		{Box{0, 0, 0.4, 0.4}, "R2"},   // same reader again: cluster 0
	}
	got := MergeWBF(r, 0.5)
	if len(got) != 2 {
		t.Fatalf("got %d clusters, want 2: %v", len(got), got)
	}
	want0 := Box{0, 0, 0.4, (0.4 + 0.5 + 0.4) / 3}
	if d := math.Abs(got[0].Box.X1 - want0.X1); d > 1e-12 || got[0].Readers != 2 || len(got[0].Members) != 3 {
		t.Fatalf("cluster 0 = %+v, want box %v with 2 readers, 3 members", got[0], want0)
	}
	if got[1].Readers != 2 || got[1].Members[0] != 1 || got[1].Members[1] != 3 {
		t.Fatalf("cluster 1 = %+v", got[1])
	}
}

func TestMergeWBFStrictThreshold(t *testing.T) {
	// IoU exactly 0.5 does not join: ensemble_boxes requires IoU > thr.
	r := []Reading{{Box{0, 0, 1, 0.5}, "a"}, {Box{0, 0, 1, 0.25}, "b"}}
	if got := MergeWBF(r, 0.5); len(got) != 2 {
		t.Fatalf("IoU == thr merged: %v", got)
	}
	if got := MergeMean(r, 0.5); len(got) != 1 {
		t.Fatalf("mean merge needs IoU >= thr: %v", got)
	}
}

func TestMergeWBFSkipsZeroArea(t *testing.T) {
	r := []Reading{{Box{0.2, 0.2, 0.2, 0.5}, "a"}, {Box{0, 0, 1, 1}, "b"}}
	got := MergeWBF(r, 0.5)
	if len(got) != 1 || got[0].Members[0] != 1 {
		t.Fatalf("got %v", got)
	}
}

func TestMergeMeanChains(t *testing.T) {
	// a~b and b~c link a and c even though a and c do not overlap enough.
	r := []Reading{
		{Box{0, 0, 1, 0.4}, "1"},
		{Box{0, 0.1, 1, 0.5}, "2"},
		{Box{0, 0.2, 1, 0.6}, "3"},
		{Box{0, 0.9, 0.1, 1}, "1"},
	}
	got := MergeMean(r, 0.5)
	if len(got) != 2 || len(got[0].Members) != 3 || got[0].Readers != 3 {
		t.Fatalf("got %+v", got)
	}
	if math.Abs(got[0].Box.X0-0.1) > 1e-12 || math.Abs(got[0].Box.X1-0.5) > 1e-12 {
		t.Fatalf("mean box %v", got[0].Box)
	}
}

func TestMergeNone(t *testing.T) {
	r := []Reading{{Box{0, 0, 1, 1}, "1"}, {Box{0, 0, 1, 1}, "2"}}
	if got := Merge(None, r, 0.5); len(got) != 2 || got[1].Readers != 1 {
		t.Fatalf("got %v", got)
	}
	if _, err := ParseMethod("max"); err == nil {
		t.Fatal("ParseMethod accepted max")
	}
}

func TestResolveOverlaps(t *testing.T) {
	items := []Ranked{
		{Box{0, 0, 0.5, 0.5}, 4},  // opacity under a more specific box: dropped
		{Box{0, 0, 0.5, 0.48}, 0}, // pneumothorax
		{Box{0.6, 0.6, 1, 1}, 4},  // alone: kept
		{Box{0, 0, 0.5, 0.46}, 1}, // nodule: overlaps pneumothorax, dropped
	}
	got := ResolveOverlaps(items, 0.6)
	want := []bool{false, true, true, false}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("keep = %v, want %v", got, want)
		}
	}
	// Same rank never drops; threshold 0 disables.
	if k := ResolveOverlaps([]Ranked{{Box{0, 0, 1, 1}, 2}, {Box{0, 0, 1, 1}, 2}}, 0.6); !k[0] || !k[1] {
		t.Fatal("same rank dropped")
	}
	if k := ResolveOverlaps(items, 0); !k[0] || !k[3] {
		t.Fatal("threshold 0 dropped")
	}
}

func TestResolveOverlapsOrderIndependent(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		items := make([]Ranked, 2+rng.IntN(8))
		for i := range items {
			items[i] = Ranked{randomBox(rng), rng.IntN(5)}
		}
		keep := ResolveOverlaps(items, 0.3)
		perm := rng.Perm(len(items))
		shuffled := make([]Ranked, len(items))
		for i, p := range perm {
			shuffled[i] = items[p]
		}
		keep2 := ResolveOverlaps(shuffled, 0.3)
		for i, p := range perm {
			if keep2[i] != keep[p] {
				t.Fatalf("order changed the result for %v", items[p])
			}
		}
	}
}

func randomBox(rng *rand.Rand) Box {
	y0, x0 := rng.Float64()*0.9, rng.Float64()*0.9
	return Box{y0, x0, y0 + 0.01 + rng.Float64()*(0.99-y0), x0 + 0.01 + rng.Float64()*(0.99-x0)}
}

func TestPropertiesOnRandomBoxes(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 9))
	for range 2000 {
		a, b := randomBox(rng), randomBox(rng)
		checkIoU(t, a, b)
	}
	for range 300 {
		r := make([]Reading, 1+rng.IntN(12))
		for i := range r {
			r[i] = Reading{randomBox(rng), string(rune('A' + rng.IntN(4)))}
		}
		checkMerge(t, r)
	}
}

func checkIoU(t *testing.T, a, b Box) {
	t.Helper()
	ab, ba := IoU(a, b), IoU(b, a)
	if ab != ba {
		t.Fatalf("IoU not symmetric: %v vs %v for %v %v", ab, ba, a, b)
	}
	if ab < 0 || ab > 1 || math.IsNaN(ab) {
		t.Fatalf("IoU %v out of [0,1] for %v %v", ab, a, b)
	}
	if a.Area() > 0 && math.Abs(IoU(a, a)-1) > 1e-12 {
		t.Fatalf("IoU(a,a) = %v", IoU(a, a))
	}
}

func checkMerge(t *testing.T, r []Reading) {
	t.Helper()
	for _, m := range []Method{WBF, Mean} {
		got := Merge(m, r, 0.4)
		again := Merge(m, r, 0.4)
		seen := map[int]bool{}
		for k, f := range got {
			hull := r[f.Members[0]].Box
			readers := map[string]bool{}
			for _, i := range f.Members {
				if seen[i] {
					t.Fatalf("%s: reading %d in two clusters", m, i)
				}
				seen[i] = true
				b := r[i].Box
				hull = Box{min(hull.Y0, b.Y0), min(hull.X0, b.X0), max(hull.Y1, b.Y1), max(hull.X1, b.X1)}
				readers[r[i].Reader] = true
			}
			if !hull.Contains(f.Box, 1e-12) {
				t.Fatalf("%s: fused %v outside members' hull %v", m, f.Box, hull)
			}
			if f.Readers != len(readers) {
				t.Fatalf("%s: readers %d, want %d", m, f.Readers, len(readers))
			}
			if again[k].Box != f.Box {
				t.Fatalf("%s: not deterministic", m)
			}
		}
		if len(seen) != len(r) {
			t.Fatalf("%s: %d of %d readings placed", m, len(seen), len(r))
		}
	}
}

func FuzzBoxes(f *testing.F) {
	f.Add(0.1, 0.2, 0.5, 0.6, 0.3, 0.1, 0.7, 0.9, 0.5)
	f.Add(0.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0)
	f.Add(0.5, 0.5, 0.5, 0.5, 0.2, 0.2, 0.2, 0.9, 1.0)
	f.Fuzz(func(t *testing.T, a0, a1, a2, a3, b0, b1, b2, b3, thr float64) {
		for _, v := range []float64{a0, a1, a2, a3, b0, b1, b2, b3, thr} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return
			}
		}
		a := Box{min(a0, a2), min(a1, a3), max(a0, a2), max(a1, a3)}.Clamp()
		b := Box{min(b0, b2), min(b1, b3), max(b0, b2), max(b1, b3)}.Clamp()
		checkIoU(t, a, b)
		r := []Reading{{a, "1"}, {b, "2"}, {a, "2"}}
		for _, m := range []Method{WBF, Mean} {
			for _, f := range Merge(m, r, thr) {
				if !f.Box.Normalized() && f.Box.Area() > 0 {
					t.Fatalf("%s produced %v", m, f.Box)
				}
			}
		}
		pairs := Match([]Box{a, b}, []Box{b, a}, thr)
		usedP, usedG := map[int]bool{}, map[int]bool{}
		for _, p := range pairs {
			if usedP[p.Pred] || usedG[p.Gold] {
				t.Fatalf("match not one-to-one: %v", pairs)
			}
			usedP[p.Pred], usedG[p.Gold] = true, true
		}
	})
}

func FuzzFromPixels(f *testing.F) {
	f.Add(10.0, 20.0, 30.0, 40.0, 100, 100)
	f.Add(-1.0, -1.0, 101.0, 101.0, 100, 100)
	f.Fuzz(func(t *testing.T, x1, y1, x2, y2 float64, w, h int) {
		b, err := FromPixels(x1, y1, x2, y2, w, h)
		if err != nil {
			return
		}
		if !b.Normalized() || b.Area() <= 0 {
			t.Fatalf("accepted box %v is not normalized with positive area", b)
		}
		if r := b.Round(4); r.Area() <= 0 {
			t.Fatalf("accepted box %v rounds to zero area", b)
		}
	})
}

// TestMarshalJSONMatchesEncodingJSON: boxes are written exactly as
// encoding/json writes their four floats.
func TestMarshalJSONMatchesEncodingJSON(t *testing.T) {
	vals := []float64{0, 1, math.Copysign(0, -1), 0.5, 0.123456789, 1e-7, 1.5e-7, 1e-6, 9.99e-7, 1e20, 1e21, 1.23e22, -3.5e-9, 0.1 + 0.2, 1.0 / 3}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		vals = append(vals, rng.Float64(), math.Ldexp(rng.Float64(), rng.IntN(160)-80))
	}
	for i := 0; i+3 < len(vals); i++ {
		b := Box{vals[i], vals[i+1], vals[i+2], vals[i+3]}
		got, err := b.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		want, _ := json.Marshal(b.Array())
		if string(got) != string(want) {
			t.Fatalf("%v: %s, want %s", b.Array(), got, want)
		}
	}
}

// TestMergerReuseMatchesFresh merges many reading sets, large and small
// in turn, with one Merger and checks each result against a fresh Merge:
// memory kept from the call before must never show in the next.
func TestMergerReuseMatchesFresh(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	var g Merger
	for trial := range 600 {
		n := 1 + rng.IntN(4)
		if trial%3 == 0 {
			n = 10 + rng.IntN(30)
		}
		r := make([]Reading, n)
		for i := range r {
			b := randomBox(rng)
			if rng.IntN(4) == 0 && i > 0 {
				b = r[rng.IntN(i)].Box // a repeat, so clusters grow
			}
			r[i] = Reading{b, string(rune('A' + rng.IntN(3)))}
		}
		for _, m := range []Method{WBF, Mean, None} {
			want := Merge(m, r, 0.4)
			got := g.Merge(m, r, 0.4)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("trial %d %s: reused merger gave %+v, fresh %+v", trial, m, got, want)
			}
		}
	}
}
