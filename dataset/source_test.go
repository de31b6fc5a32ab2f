package dataset

import (
	"context"
	"errors"
	"testing"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
)

// fakeSource emits fixed rows, so the one accounting path can be tested
// apart from any file format.
type fakeSource struct {
	r    sourceRules
	rows []row
}

func (f fakeSource) rules() sourceRules { return f.r }

func (f fakeSource) read(_ context.Context, _ string, emit func(row) error) error {
	for _, r := range f.rows {
		if err := emit(r); err != nil {
			return err
		}
	}
	return nil
}

func TestApplyAccountsEveryRowOnce(t *testing.T) {
	box := func(x0 float64) func() (boxes.Box, bool, error) {
		return func() (boxes.Box, bool, error) {
			b, err := boxes.FromPixels(x0, 10, 50, 60, 100, 100)
			return b, true, err
		}
	}
	noBox := func() (boxes.Box, bool, error) { return boxes.Box{}, false, nil }
	bad := func() (boxes.Box, bool, error) { return boxes.Box{}, false, errBadBox }
	vindr := sourceRules{input: "t", corpus: cxrkit.SourceVinDr, labels: string(cxrkit.SourceVinDr), noFindingIsNormal: true}
	vqa := vqaPairs{}.rules()
	vqa.input = "t"
	tests := []struct {
		name                           string
		rules                          sourceRules
		rows                           []row
		kept, dropped, rejected, dupes int
	}{
		{"positive, normal, unmapped, no label", vindr, []row{
			{id: "a", natives: []string{"Cardiomegaly"}, locate: box(10)},
			{id: "b", natives: []string{"No finding"}},
			{id: "c", natives: []string{"Aortic enlargement"}},
			{id: "d"},
		}, 2, 2, 0, 0},
		{"rejects: read, missing id, bad box", vindr, []row{
			{reject: errMalformedRow},
			{natives: []string{"Cardiomegaly"}},
			{id: "a", natives: []string{"Cardiomegaly"}, locate: bad},
		}, 0, 0, 3, 0},
		{"vqa: a box asserts, no box drops, no finding drops, repeats once", vqa, []row{
			{id: "zz", natives: []string{"Cardiomegaly"}, locate: box(10)},
			{id: "a", natives: []string{"Cardiomegaly"}, locate: box(10)},
			{id: "a", natives: []string{"Cardiomegaly"}, locate: box(10)},
			{id: "a", natives: []string{"Cardiomegaly"}, locate: noBox},
			{id: "a", natives: []string{"No finding"}, locate: noBox},
		}, 3, 2, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, rej := testPreparer(t)
			p.images.get(cxrkit.SourceVinDr, "a")
			for i := range tt.rows {
				tt.rows[i].line = i + 2
			}
			if err := p.readFile(fakeSource{tt.rules, tt.rows}, "f"); err != nil {
				t.Fatal(err)
			}
			s := p.inputs["t"]
			if s.RowsRead != len(tt.rows) || s.RowsKept != tt.kept || s.RowsDropped != tt.dropped || s.RowsRejected != tt.rejected || s.RowsDuplicate != tt.dupes {
				t.Fatalf("read %d kept %d dropped %d rejected %d dup %d; want %d %d %d %d %d", s.RowsRead, s.RowsKept, s.RowsDropped,
					s.RowsRejected, s.RowsDuplicate, len(tt.rows), tt.kept, tt.dropped, tt.rejected, tt.dupes)
			}
			checkAccounting(t, p, rej, "f")
		})
	}
}

func TestApplyStopsOnEmitError(t *testing.T) {
	p, _ := testPreparer(t)
	ctx, cancel := context.WithCancel(context.Background())
	p.ctx = ctx
	cancel()
	err := p.readFile(fakeSource{sourceRules{input: "t", corpus: cxrkit.SourceVinDr, labels: string(cxrkit.SourceVinDr)}, []row{{id: "a"}}}, "f")
	if !errors.Is(err, context.Canceled) || p.inputs["t"].RowsRead != 0 {
		t.Fatalf("err %v, read %d", err, p.inputs["t"].RowsRead)
	}
}
