package sftexport

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cxrkit/cxrkit"
)

// Task is one of the dataset's configs: a closed set.
type Task string

// The tasks.
const (
	// TaskGrounding asks for the findings of an image, with boxes.
	TaskGrounding Task = "grounding"
	// TaskDraftParse asks for the findings a draft impression states.
	TaskDraftParse Task = "draft_parse"
)

// Tasks are the tasks in presentation order.
func Tasks() []Task { return []Task{TaskGrounding, TaskDraftParse} }

// ParseTask reads a task name. An unknown name is a
// cxrkit.ErrInvalidOptions that lists the valid ones.
func ParseTask(s string) (Task, error) {
	for _, t := range Tasks() {
		if s == string(t) {
			return t, nil
		}
	}
	names := make([]string, len(Tasks()))
	for i, t := range Tasks() {
		names[i] = string(t)
	}
	return "", fmt.Errorf("%w: unknown task %q (want %s)", cxrkit.ErrInvalidOptions, s, strings.Join(names, ", "))
}

// ParseTasks reads task names.
func ParseTasks(names []string) ([]Task, error) {
	var out []Task
	for _, n := range names {
		t, err := ParseTask(n)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

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

// Format is the layout of an exported row.
type Format string

// Export formats: one messages column (a whole chat; SFT on the whole
// sequence), or TRL's conversational prompt/completion columns (the user
// turn and the assistant turn apart, for completion-only loss).
const (
	FormatMessages         Format = "messages"
	FormatPromptCompletion Format = "prompt-completion"
)

// ParseFormat validates a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case FormatMessages, FormatPromptCompletion:
		return f, nil
	}
	return "", fmt.Errorf("%w: --format %q: want %s or %s", cxrkit.ErrInvalidOptions, s, FormatMessages, FormatPromptCompletion)
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

// promptCompletionRow is Row in TRL's conversational prompt-completion
// form: prompt holds the user turn, completion the assistant turn.
type promptCompletionRow struct {
	Images     []imageCell `parquet:"images,optional,list" parquet-element:",optional"`
	Prompt     []message   `parquet:"prompt,optional,list" parquet-element:",optional"`
	Completion []message   `parquet:"completion,optional,list" parquet-element:",optional"`
	Task       *string     `parquet:"task,optional,zstd"`
	ImageID    *string     `parquet:"image_id,optional,zstd"`
	Source     *string     `parquet:"source,optional,zstd"`
}

// asPromptCompletion splits a row's chat into prompt and completion.
func asPromptCompletion(r Row) promptCompletionRow {
	pc := promptCompletionRow{Images: r.Images, Task: r.Task, ImageID: r.ImageID, Source: r.Source}
	for _, m := range r.Messages {
		if m.Role != nil && *m.Role == "assistant" {
			pc.Completion = append(pc.Completion, m)
		} else {
			pc.Prompt = append(pc.Prompt, m)
		}
	}
	return pc
}

// featuresJSON is the Hugging Face `datasets` features of Row, in the
// dict form its Features.to_dict writes and from_dict reads: a list is
// written as a one-element JSON list, which every datasets version reads.
// Field order matches the parquet schema's, since struct order is part of
// the Arrow type datasets compares.
func featuresJSON() map[string]any {
	text := map[string]any{"dtype": "string", "_type": "Value"}
	chat := []any{orderedObj{
		{"role", text},
		{"content", []any{orderedObj{{"type", text}, {"text", text}}}},
	}}
	return map[string]any{
		"images":     []any{map[string]any{"_type": "Image"}},
		"messages":   chat,
		"prompt":     chat,
		"completion": chat,
		"task":       text,
		"image_id":   text,
		"source":     text,
	}
}

// chatColumns are the columns holding the conversation in a format.
func chatColumns(f Format) []string {
	if f == FormatPromptCompletion {
		return []string{"prompt", "completion"}
	}
	return []string{"messages"}
}

// columnOrder is the top-level column order of a format's rows.
func columnOrder(f Format) []string {
	return append(append([]string{"images"}, chatColumns(f)...), "task", "image_id", "source")
}

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
func hfMetadata(f Format) (string, error) {
	feats := featuresJSON()
	ordered := orderedObj{}
	for _, k := range columnOrder(f) {
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
func featuresYAML(f Format) string {
	var b strings.Builder
	b.WriteString("  features:\n  - name: images\n    list: image\n")
	for _, col := range chatColumns(f) {
		fmt.Fprintf(&b, "  - name: %s\n    list:\n    - name: role\n      dtype: string\n    - name: content\n      list:\n      - name: type\n        dtype: string\n      - name: text\n        dtype: string\n", col)
	}
	b.WriteString("  - name: task\n    dtype: string\n  - name: image_id\n    dtype: string\n  - name: source\n    dtype: string\n")
	return b.String()
}
