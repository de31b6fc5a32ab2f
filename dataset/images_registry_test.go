package dataset

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/cxrkit/cxrkit"
)

// TestOtherLabelsSortedSet: an image's other labels, kept as a set of
// numbers (and a list past maxOtherSet distinct names), come out as the
// sorted, deduplicated list of every label added, for images sharing the
// numbering, and nil for an image with none.
func TestOtherLabelsSortedSet(t *testing.T) {
	for _, names := range []int{1, 3, maxOtherSet, maxOtherSet + 1, 3 * maxOtherSet} {
		t.Run(fmt.Sprint(names, " names"), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(names), 7))
			im := newImages()
			const images = 20
			want := make([][]string, images)
			accs := make([]*imageAcc, images)
			for i := range accs {
				accs[i] = im.get(cxrkit.SourceVinDr, fmt.Sprint("img", i))
			}
			for range 40 * names {
				i := rng.IntN(images - 1) // the last image gets none
				native := fmt.Sprintf("label %03d", rng.IntN(names))
				im.addOther(accs[i], native)
				want[i] = append(want[i], native)
			}
			var dst []string
			for i, a := range accs {
				w := slices.Compact(slices.Sorted(slices.Values(want[i])))
				got := a.otherLabels(&im.others, dst)
				if !slices.Equal(got, w) || a.hasOther() != (len(w) > 0) || (len(w) == 0) != (got == nil) {
					t.Fatalf("image %d: %q (has %v), want %q", i, got, a.hasOther(), w)
				}
				if got != nil {
					dst = got[:0]
				}
			}
		})
	}
}

// TestSortedBySourceThenID: sorted gives every seen image by source and
// then id, ids that share their first 8 bytes (or are shorter) included.
func TestSortedBySourceThenID(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	im := newImages()
	type key struct {
		source cxrkit.Source
		id     string
	}
	var want []key
	seen := map[key]bool{}
	for range 3000 {
		source := []cxrkit.Source{cxrkit.SourceVinDr, cxrkit.SourceNIH, cxrkit.SourceChestXDet}[rng.IntN(3)]
		id := fmt.Sprintf("%08d", rng.IntN(20))[:rng.IntN(9)] + fmt.Sprint(rng.IntN(50))
		im.get(source, id)
		if k := (key{source, id}); !seen[k] {
			seen[k] = true
			want = append(want, k)
		}
	}
	im.putMeta(cxrkit.SourceVinDr, []byte("00000000unseen"), Size{Width: 1, Height: 1})
	slices.SortFunc(want, func(a, b key) int {
		if a.source != b.source {
			return strings.Compare(string(a.source), string(b.source))
		}
		return strings.Compare(a.id, b.id)
	})
	got := im.sorted()
	if len(got) != len(want) {
		t.Fatalf("%d images, want %d", len(got), len(want))
	}
	for i, a := range got {
		if (key{a.source, a.id}) != want[i] {
			t.Fatalf("image %d is %s:%s, want %s:%s", i, a.source, a.id, want[i].source, want[i].id)
		}
	}
}
