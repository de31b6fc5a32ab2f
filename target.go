package cxrkit

import "github.com/cxrkit/cxrkit/labelmap"

// MaxAnswerFindings caps how many findings one model answer may hold: the
// parser keeps no more, and the guided-decoding schema allows no more.
const MaxAnswerFindings = 64

// GroundingTargetSchema is the JSON schema of a grounding answer exactly as
// cxrkit trains it: a top-level array of {"label", "box_2d"} objects, the
// label one of the vocabulary's, box_2d four numbers in [0, boxMax] or
// null. The export's contract records it and --structured sends it, so
// guided decoding keeps a fine-tuned model on the format it learnt.
func GroundingTargetSchema(boxMax float64) map[string]any {
	labels := []string{}
	for _, l := range labelmap.All() {
		labels = append(labels, string(l))
	}
	return map[string]any{
		"type": "array", "minItems": 1, "maxItems": MaxAnswerFindings,
		"items": map[string]any{
			"type": "object", "additionalProperties": false, "required": []string{"label", "box_2d"},
			"properties": map[string]any{
				"label": map[string]any{"type": "string", "enum": labels},
				"box_2d": map[string]any{"anyOf": []any{
					map[string]any{"type": "array", "minItems": 4, "maxItems": 4,
						"items": map[string]any{"type": "number", "minimum": 0, "maximum": boxMax}},
					map[string]any{"type": "null"},
				}},
			},
		},
	}
}

// WrappedSchema puts an array schema under {"findings": ...}, for servers
// whose JSON-schema mode wants an object at the top.
func WrappedSchema(array map[string]any) map[string]any {
	return map[string]any{
		"type": "object", "additionalProperties": false, "required": []string{"findings"},
		"properties": map[string]any{"findings": array},
	}
}
