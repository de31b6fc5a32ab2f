package sftexport

import (
	"encoding/json"
)

// Task names: the dataset's configs.
const (
	TaskGrounding  = "grounding"
	TaskDraftParse = "draft_parse"
)

// imageCell is one element of the images column: the HF Image storage
// struct.
type imageCell struct {
	Bytes []byte  `parquet:"bytes,optional,uncompressed"`
	Path  *string `parquet:"path,optional,zstd"`
}

// contentPart is one part of a message: {"type":"image","text":null} or
// {"type":"text","text":...}.
type contentPart struct {
	Type *string `parquet:"type,optional,zstd"`
	Text *string `parquet:"text,optional,zstd"`
}

// message is one chat turn.
type message struct {
	Role    *string       `parquet:"role,optional,zstd"`
	Content []contentPart `parquet:"content,optional,list" parquet-element:",optional"`
}

// Row is one SFT example. Every field is nullable and lists use the
// standard 3-level encoding with nullable elements, so the Arrow schema a
// reader infers equals the one the declared Hugging Face features give.
type Row struct {
	Images   []imageCell `parquet:"images,optional,list" parquet-element:",optional"`
	Messages []message   `parquet:"messages,optional,list" parquet-element:",optional"`
	Task     *string     `parquet:"task,optional,zstd"`
	ImageID  *string     `parquet:"image_id,optional,zstd"`
	Source   *string     `parquet:"source,optional,zstd"`
}

func str(s string) *string { return &s }

// featuresJSON is the Hugging Face `datasets` features of Row, in the
// dict form its Features.to_dict writes and from_dict reads: a list is
// written as a one-element JSON list, which every datasets version reads.
// Field order matches the parquet schema's, since struct order is part of
// the Arrow type datasets compares.
func featuresJSON() map[string]any {
	text := map[string]any{"dtype": "string", "_type": "Value"}
	return map[string]any{
		"images": []any{map[string]any{"_type": "Image"}},
		"messages": []any{orderedObj{
			{"role", text},
			{"content", []any{orderedObj{{"type", text}, {"text", text}}}},
		}},
		"task":     text,
		"image_id": text,
		"source":   text,
	}
}

// columnOrder is the top-level column order of Row.
func columnOrder() []string { return []string{"images", "messages", "task", "image_id", "source"} }

// orderedObj is a JSON object that keeps its key order.
type orderedObj []struct {
	k string
	v any
}

func (o orderedObj) MarshalJSON() ([]byte, error) {
	out := []byte{'{'}
	for i, kv := range o {
		if i > 0 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(kv.k)
		v, err := json.Marshal(kv.v)
		if err != nil {
			return nil, err
		}
		out = append(append(append(out, k...), ':'), v...)
	}
	return append(out, '}'), nil
}

// hfMetadata is the value of the parquet key-value metadata "huggingface".
func hfMetadata() (string, error) {
	feats := featuresJSON()
	ordered := orderedObj{}
	for _, k := range columnOrder() {
		ordered = append(ordered, struct {
			k string
			v any
		}{k, feats[k]})
	}
	data, err := json.Marshal(map[string]any{"info": map[string]any{"features": ordered}})
	return string(data), err
}

// featuresYAML is the dataset card's dataset_info features, in the YAML
// form datasets writes (Features._to_yaml_list).
const featuresYAML = `  features:
  - name: images
    list: image
  - name: messages
    list:
    - name: role
      dtype: string
    - name: content
      list:
      - name: type
        dtype: string
      - name: text
        dtype: string
  - name: task
    dtype: string
  - name: image_id
    dtype: string
  - name: source
    dtype: string
`
