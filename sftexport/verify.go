package sftexport

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/cxrkit/cxrkit/imaging"
)

// VerifyReport is what reading the shards back with Arrow found.
type VerifyReport struct {
	Shards        int              `json:"shards"`
	Rows          int64            `json:"rows"`
	ImagesDecoded int              `json:"images_decoded"`
	RowsPerShard  map[string]int64 `json:"rows_per_shard"`
}

// ErrVerify reports a shard that does not read back as written.
var ErrVerify = errors.New("verify failed")

// Verify reads every shard under dir with Apache Arrow's parquet reader
// (the same reader logic pyarrow uses): the row count in the metadata must
// match the rows read, the Arrow schema must be the one the declared
// Hugging Face features give, and every image must decode.
func Verify(ctx context.Context, dir string, progress func(string, int, int)) (*VerifyReport, error) {
	shards, err := filepath.Glob(filepath.Join(dir, "*", "*-*-of-*.parquet"))
	if err != nil {
		return nil, err
	}
	sort.Strings(shards)
	if len(shards) == 0 {
		return nil, fmt.Errorf("%w: no shards under %s", ErrVerify, dir)
	}
	v := &VerifyReport{RowsPerShard: map[string]int64{}}
	for i, path := range shards {
		n, imgs, err := verifyShard(ctx, path)
		if err != nil {
			return v, fmt.Errorf("%w: %s: %v", ErrVerify, path, err)
		}
		v.Shards++
		v.Rows += n
		v.ImagesDecoded += imgs
		v.RowsPerShard[path] = n
		if progress != nil {
			progress("verifying", i+1, len(shards))
		}
	}
	return v, nil
}

func verifyShard(ctx context.Context, path string) (int64, int, error) {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return 0, 0, err
	}
	defer pf.Close()
	md := pf.MetaData()
	hf := md.KeyValueMetadata().FindValue("huggingface")
	if hf == nil {
		return 0, 0, errors.New(`no "huggingface" key-value metadata`)
	}
	var meta struct {
		Info struct {
			Features map[string]json.RawMessage `json:"features"`
		} `json:"info"`
	}
	if err := json.Unmarshal([]byte(*hf), &meta); err != nil || meta.Info.Features["images"] == nil {
		return 0, 0, fmt.Errorf("huggingface metadata does not declare features: %v", err)
	}
	if string(meta.Info.Features["images"]) != `[{"_type":"Image"}]` {
		return 0, 0, fmt.Errorf("images declared as %s, want a list of Image", meta.Info.Features["images"])
	}
	format := FormatMessages
	if meta.Info.Features["prompt"] != nil {
		format = FormatPromptCompletion
	}
	want := ExpectedArrowSchemaFor(format)
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 16}, memory.DefaultAllocator)
	if err != nil {
		return 0, 0, err
	}
	got, err := fr.Schema()
	if err != nil {
		return 0, 0, err
	}
	if err := SameAsFeatures(got, want); err != nil {
		return 0, 0, err
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return 0, 0, err
	}
	defer rr.Release()
	var rows int64
	images := 0
	for {
		rec, err := rr.Read()
		if rec != nil {
			rows += rec.NumRows()
			n, derr := decodeImages(rec.Column(0))
			images += n
			if derr != nil {
				return rows, images, derr
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && rec == nil) {
			break
		}
		if err != nil {
			return rows, images, err
		}
	}
	if rows != md.NumRows {
		return rows, images, fmt.Errorf("read %d rows, metadata says %d (a page header too large for Arrow reads as zero rows)", rows, md.NumRows)
	}
	return rows, images, nil
}

func decodeImages(col arrow.Array) (int, error) {
	list, ok := col.(*array.List)
	if !ok {
		return 0, fmt.Errorf("images column is %s", col.DataType())
	}
	st := list.ListValues().(*array.Struct)
	blobs := st.Field(0).(*array.Binary)
	n := 0
	for i := 0; i < blobs.Len(); i++ {
		if blobs.IsNull(i) {
			return n, fmt.Errorf("image %d has null bytes", i)
		}
		if _, _, err := imaging.Decode(bytes.NewReader(blobs.Value(i))); err != nil {
			return n, fmt.Errorf("image %d does not decode: %w", i, err)
		}
		n++
	}
	return n, nil
}

// ExpectedArrowSchema is the Arrow schema Hugging Face `datasets` builds
// from the declared features: every field nullable, list items nullable,
// Image as struct<bytes: binary, path: string>.
func ExpectedArrowSchema() *arrow.Schema { return ExpectedArrowSchemaFor(FormatMessages) }

// ExpectedArrowSchemaFor is ExpectedArrowSchema for an export format.
func ExpectedArrowSchemaFor(f Format) *arrow.Schema {
	str := arrow.BinaryTypes.String
	part := arrow.StructOf(arrow.Field{Name: "type", Type: str, Nullable: true}, arrow.Field{Name: "text", Type: str, Nullable: true})
	msg := arrow.StructOf(arrow.Field{Name: "role", Type: str, Nullable: true}, arrow.Field{Name: "content", Type: arrow.ListOf(part), Nullable: true})
	img := arrow.StructOf(arrow.Field{Name: "bytes", Type: arrow.BinaryTypes.Binary, Nullable: true}, arrow.Field{Name: "path", Type: str, Nullable: true})
	fields := []arrow.Field{{Name: "images", Type: arrow.ListOf(img), Nullable: true}}
	for _, col := range chatColumns(f) {
		fields = append(fields, arrow.Field{Name: col, Type: arrow.ListOf(msg), Nullable: true})
	}
	fields = append(fields,
		arrow.Field{Name: "task", Type: str, Nullable: true},
		arrow.Field{Name: "image_id", Type: str, Nullable: true},
		arrow.Field{Name: "source", Type: str, Nullable: true})
	return arrow.NewSchema(fields, nil)
}

// SameAsFeatures compares schemas the way datasets' feature matching does
// under pyarrow ≥ 11: names, order, types and nullability must agree, the
// names of list items need not (ARROW-14999).
func SameAsFeatures(got, want *arrow.Schema) error {
	if got.NumFields() != want.NumFields() {
		return fmt.Errorf("schema has %d columns, want %d: %s", got.NumFields(), want.NumFields(), got)
	}
	for i := range want.NumFields() {
		if err := sameField(got.Field(i), want.Field(i), ""); err != nil {
			return err
		}
	}
	return nil
}

func sameField(g, w arrow.Field, path string) error {
	p := path + "." + w.Name
	if g.Name != w.Name && path != "" && !isListItem(path) {
		return fmt.Errorf("%s: field named %q, want %q", path, g.Name, w.Name)
	}
	if path == "" && g.Name != w.Name {
		return fmt.Errorf("column %q, want %q", g.Name, w.Name)
	}
	if g.Nullable != w.Nullable {
		return fmt.Errorf("%s: nullable %v, want %v", p, g.Nullable, w.Nullable)
	}
	return sameType(g.Type, w.Type, p)
}

func isListItem(path string) bool { return len(path) > 2 && path[len(path)-2:] == "[]" }

func sameType(g, w arrow.DataType, path string) error {
	if g.ID() != w.ID() {
		return fmt.Errorf("%s: type %s, want %s", path, g, w)
	}
	switch wt := w.(type) {
	case *arrow.ListType:
		gt := g.(*arrow.ListType)
		ge, we := gt.ElemField(), wt.ElemField()
		if ge.Nullable != we.Nullable {
			return fmt.Errorf("%s[]: item nullable %v, want %v", path, ge.Nullable, we.Nullable)
		}
		return sameType(ge.Type, we.Type, path+"[]")
	case *arrow.StructType:
		gt := g.(*arrow.StructType)
		if gt.NumFields() != wt.NumFields() {
			return fmt.Errorf("%s: struct %s, want %s", path, g, w)
		}
		for i := range wt.NumFields() {
			gf, wf := gt.Field(i), wt.Field(i)
			if gf.Name != wf.Name {
				return fmt.Errorf("%s: struct field %d is %q, want %q (order matters)", path, i, gf.Name, wf.Name)
			}
			if err := sameField(gf, wf, path); err != nil {
				return err
			}
		}
	}
	return nil
}
