package dataset

import (
	"strings"
	"testing"
)

// TestChestXDetRejectKeepsRowRaw: a ChestX-Det row rejected for its box
// shows that row in rejects.jsonl (box, file name and sym, the sym
// trimmed), the second row of its record included: the row's raw form is
// made from the reader's reused row only when it is rejected.
func TestChestXDetRejectKeepsRowRaw(t *testing.T) {
	p, rej := testPreparer(t)
	data := "[\n" + `{"file_name":"a.png","syms":["Mass"," Nodule ","Effusion"],"boxes":[[1,2,3,4],[5, 6,7],[1,2,3,4]]},` + "\n" +
		`{"file_name":"b.png","syms":["Mass"],"boxes":[["x",1,2,3]]}` + "\n]\n"
	path := fuzzFile(t, "in.json", []byte(data))
	if err := p.readFile(chestXDet{size: pngSize(nil, chestXDetSize)}, path); err != nil {
		t.Fatal(err)
	}
	checkAccounting(t, p, rej, path)
	want := []string{
		`"line":2,"reason":"box is not four numbers","row":{"box":[5,6,7],"file_name":"a.png","sym":"Nodule"}}`,
		`"line":3,"reason":"box is not four numbers","row":{"box":["x",1,2,3],"file_name":"b.png","sym":"Mass"}}`,
	}
	got := strings.Split(strings.TrimSpace(rej.String()), "\n")
	if len(got) != len(want) {
		t.Fatalf("rejects:\n%s", rej.String())
	}
	for i, w := range want {
		if !strings.HasSuffix(got[i], w) {
			t.Errorf("reject %d: %s, want it to end %s", i, got[i], w)
		}
	}
}
