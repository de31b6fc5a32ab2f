package sftexport

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// duckDBNode finds node with @duckdb/node-api resolvable (NODE_PATH or a
// node_modules above the test), or skips: DuckDB is an optional second
// reader, installed by .ci/run when npm is there.
func duckDBNode(t *testing.T) string {
	t.Helper()
	// Read through os.Getenv so go test's cache keys on it.
	_ = os.Getenv("NODE_PATH")
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed: DuckDB read-back skipped")
	}
	if err := exec.Command(node, "-e", `require.resolve("@duckdb/node-api")`).Run(); err != nil {
		t.Skip("@duckdb/node-api not installed (npm install @duckdb/node-api, then NODE_PATH=.../node_modules): DuckDB read-back skipped")
	}
	return node
}

type duckResult struct {
	Columns []struct {
		Name string `json:"column_name"`
		Type string `json:"column_type"`
	} `json:"columns"`
	Count   int      `json:"count"`
	Depths  []string `json:"depths"`
	Targets []struct {
		Role string `json:"role"`
		Text string `json:"text"`
	} `json:"targets"`
}

func TestExportReadsBackWithDuckDB(t *testing.T) {
	node := duckDBNode(t)
	script, _ := filepath.Abs(filepath.Join("testdata", "duckdb_check.cjs"))
	tests := []struct {
		format  Format
		columns string
	}{
		{FormatMessages, "images,messages,task,image_id,source"},
		{FormatPromptCompletion, "images,prompt,completion,task,image_id,source"},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			out := t.TempDir()
			// The fixture's even images are 16-bit: the default export must
			// make every image 8-bit.
			if _, err := Export(context.Background(), Options{Corpus: fixture(t, 6, 24), Out: out, Format: tt.format}); err != nil {
				t.Fatal(err)
			}
			chat := chatColumns(tt.format)[len(chatColumns(tt.format))-1]
			cmd := exec.Command(node, script, filepath.Join(out, "grounding", "*.parquet"), chat)
			cmd.Env = os.Environ()
			data, err := cmd.Output()
			if err != nil {
				var stderr string
				if ee, ok := err.(*exec.ExitError); ok {
					stderr = string(ee.Stderr)
				}
				t.Fatalf("duckdb: %v: %s", err, stderr)
			}
			var r duckResult
			if err := json.Unmarshal(data, &r); err != nil {
				t.Fatalf("%v: %s", err, data)
			}
			var names []string
			for _, c := range r.Columns {
				names = append(names, c.Name)
			}
			if strings.Join(names, ",") != tt.columns {
				t.Fatalf("DuckDB columns %v, want %s", names, tt.columns)
			}
			for _, c := range r.Columns {
				if c.Name == chat && c.Type != `STRUCT("role" VARCHAR, "content" STRUCT("type" VARCHAR, "text" VARCHAR)[])[]` {
					t.Errorf("%s type %s", chat, c.Type)
				}
				if c.Name == "images" && c.Type != "STRUCT(bytes BLOB, path VARCHAR)[]" {
					t.Errorf("images type %s", c.Type)
				}
			}
			if r.Count != 6 || len(r.Depths) != 1 || r.Depths[0] != "08" {
				t.Fatalf("count %d, PNG bit depths %v: want 6 rows, all 8-bit", r.Count, r.Depths)
			}
			if len(r.Targets) != 6 || r.Targets[1].Role != "assistant" ||
				r.Targets[1].Text != `[{"label":"pleural_effusion","box_2d":null},{"label":"cardiomegaly","box_2d":[0.412,0.3,0.8,0.7]}]` {
				t.Fatalf("targets %+v", r.Targets)
			}
		})
	}
}
