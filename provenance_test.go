package cxrkit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestHashInput(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.jsonl")
	data := []byte("{\"a\":1}\n{\"a\":2}\n")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	in, err := HashInput(context.Background(), "pred", path, 2)
	if err != nil {
		t.Fatal(err)
	}
	want := InputFile{Flag: "pred", Path: path, SHA256: hex.EncodeToString(sum[:]), Bytes: int64(len(data)), Rows: 2}
	if !reflect.DeepEqual(in, want) {
		t.Fatalf("got %+v, want %+v", in, want)
	}
	if _, err := HashInput(context.Background(), "pred", filepath.Join(t.TempDir(), "absent"), 0); err == nil {
		t.Fatal("a missing file hashed without error")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := HashInput(ctx, "pred", path, 2); err == nil {
		t.Fatal("a cancelled context did not stop the hash")
	}
}

func TestProvenanceText(t *testing.T) {
	tests := []struct {
		cmd    []string
		splits []Split
		line   string
		sp     string
	}{
		{[]string{"cxrkit", "eval", "--pred", "r.jsonl"}, nil, "cxrkit eval --pred r.jsonl", "all"},
		{[]string{"cxrkit", "eval", "--title", "my run's eval", ""}, []Split{SplitTrain, SplitValidation}, `cxrkit eval --title 'my run'\''s eval' ''`, "train,validation"},
	}
	for _, tt := range tests {
		p := NewProvenance(tt.cmd, 0, tt.splits...)
		if got := p.CommandLine(); got != tt.line {
			t.Errorf("command line %q, want %q", got, tt.line)
		}
		if got := p.SplitsText(); got != tt.sp {
			t.Errorf("splits %q, want %q", got, tt.sp)
		}
		if p.Date.IsZero() || p.Version == "" {
			t.Errorf("no date or version: %+v", p)
		}
	}
}

// TestProvenanceDrop: rows read but not used are counted by reason beside
// the rows read, and the table text says both.
func TestProvenanceDrop(t *testing.T) {
	p := NewProvenance(nil, 0)
	p.Inputs = append(p.Inputs, InputFile{Flag: "pred", Rows: 1000}, InputFile{Flag: "cases", Rows: 7})
	p.Drop("pred", "superseded by a retry", 50)
	p.Drop("pred", "outside audit.splits", 10)
	p.Drop("cases", "outside audit.splits", 0)
	for _, c := range []struct {
		in   InputFile
		used int
		text string
	}{
		{p.Inputs[0], 940, "1000 read, 940 used (10 outside audit.splits, 50 superseded by a retry)"},
		{p.Inputs[1], 7, "7"},
	} {
		if c.in.RowsUsed() != c.used || c.in.RowsText() != c.text {
			t.Errorf("%s: used %d, %q; want %d, %q", c.in.Flag, c.in.RowsUsed(), c.in.RowsText(), c.used, c.text)
		}
	}
}
