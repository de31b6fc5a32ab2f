package infer

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cxrkit/cxrkit"
	"github.com/cxrkit/cxrkit/boxes"
	"github.com/cxrkit/cxrkit/imaging"
	"github.com/cxrkit/cxrkit/labelmap"
)

// BoxScale says how a model writes box coordinates.
type BoxScale string

// Box scales. Auto reads a box whose coordinates are all within [0, 1] as
// normalized, within [0, 1000] as MedGemma's 0–1000 grid, and larger as
// pixels of the image sent to the model.
const (
	ScaleAuto  BoxScale = "auto"
	ScaleUnit  BoxScale = "unit"
	Scale1000  BoxScale = "1000"
	ScalePixel BoxScale = "pixel"
)

// ParseBoxScale validates a --box-scale value.
func ParseBoxScale(s string) (BoxScale, error) {
	switch b := BoxScale(s); b {
	case ScaleAuto, ScaleUnit, Scale1000, ScalePixel:
		return b, nil
	case "":
		return ScaleAuto, nil
	}
	return "", boxScaleError(s)
}

// boxScaleError is a value outside the box scales. Like the pipeline's
// closed-set errors it names the value and the valid ones, and the
// caller prefixes the flag or key ("--box-scale", "audit.box_scale").
// It is a cxrkit.ErrInvalidOptions.
type boxScaleError string

func (e boxScaleError) Error() string {
	return fmt.Sprintf("%q: want auto, unit, 1000 or pixel", string(e))
}

func (e boxScaleError) Is(target error) bool { return target == cxrkit.ErrInvalidOptions }

// overflow is how far outside [0,1] a coordinate may be before its box is
// rejected rather than clamped.
const overflow = 0.02

var (
	labelKeys  = [...]string{"label", "finding", "name", "class", "category", "class_name"}
	boxKeys    = [...]string{"box_2d", "box", "bbox", "bounding_box", "box2d", "bbox_2d", "location"}
	statusKeys = [...]string{"status", "presence", "assertion", "state", "value"}
	spanKeys   = [...]string{"span", "text", "evidence", "quote", "phrase"}
)

// GroundingParse is the parsed grounding answer.
type GroundingParse struct {
	Findings []cxrkit.Finding
	Status   cxrkit.ParseStatus
	Notes    []string
}

// BoxOrder is the order of a box's four numbers.
type BoxOrder string

// Box orders: cxrkit's and MedGemma's [y0, x0, y1, x1], and the
// [x0, y0, x1, y1] of most detectors.
const (
	OrderYX BoxOrder = "y0x0y1x1"
	OrderXY BoxOrder = "x0y0x1y1"
)

// AnswerFormat is how a model writes its boxes.
type AnswerFormat struct {
	Scale BoxScale
	// Expect is the scale ScaleAuto prefers where a box could be read
	// two ways (a profile trained on the 0–1000 grid reads [0,0,2,2] as
	// a small box, not the whole image). Empty means unit.
	Expect BoxScale
	Order  BoxOrder
}

// ParseGrounding reads a grounding model's answer tolerantly. The image
// size is that of the image sent to the model, for pixel-scale boxes. It
// never produces a finding from text that holds no JSON: such an answer
// is failed, with no findings.
func ParseGrounding(text string, vocab *labelmap.Vocabulary, scale BoxScale, sent Size) GroundingParse {
	return ParseGroundingAs(text, vocab, AnswerFormat{Scale: scale}, sent)
}

// ParseGroundingAs is ParseGrounding for an answer format.
func ParseGroundingAs(text string, vocab *labelmap.Vocabulary, format AnswerFormat, sent Size) GroundingParse {
	ex := extractJSON(text)
	if !ex.found {
		return GroundingParse{Status: cxrkit.ParseFailed, Notes: []string{"no JSON array of findings in the answer"}}
	}
	p := GroundingParse{Status: cxrkit.ParseOK}
	if !ex.complete {
		p.salvaged("answer was broken or truncated; kept %d complete elements", len(ex.elements))
	}
	seen := map[string]bool{}
	positives, normal := 0, false
	for _, raw := range ex.elements {
		if len(p.Findings) >= maxElements {
			p.salvaged("more than %d findings; kept the first %d", maxElements, maxElements)
			break
		}
		var obj map[string]json.RawMessage
		if json.Unmarshal(raw, &obj) != nil {
			p.salvaged("skipped an element that is not an object")
			continue
		}
		name := stringField(obj, labelKeys[:])
		label, ok := vocab.Normalize(name)
		if !ok {
			p.salvaged("dropped unknown label %q", name)
			continue
		}
		if label == labelmap.NoFinding {
			normal = true
			continue
		}
		bs, boxNote := boxesOf(obj, format, sent)
		if boxNote != "" {
			p.salvaged("%s: %s", label, boxNote)
		}
		if len(bs) == 0 {
			bs = []*boxes.Box{nil}
		}
		for _, b := range bs {
			key := string(label)
			if b != nil {
				key += fmt.Sprint(b.Round(4))
			}
			if seen[key] {
				continue
			}
			seen[key] = true
			p.Findings = append(p.Findings, cxrkit.Finding{Label: label, Box: b})
			positives++
		}
	}
	slices.SortStableFunc(p.Findings, func(a, b cxrkit.Finding) int { return a.Label.Index() - b.Label.Index() })
	switch {
	case positives > 0 && normal:
		p.salvaged("no_finding given beside positives; dropped it")
	case positives == 0 && normal:
		p.Findings = cxrkit.NoFindingList()
	case positives == 0 && len(ex.elements) == 0 && ex.complete:
		// An empty array is a well-formed "nothing found", but not the
		// explicit no_finding the prompt asks for.
		p.Findings = cxrkit.NoFindingList()
		p.salvaged("empty array read as no_finding")
	case positives == 0:
		return GroundingParse{Status: cxrkit.ParseFailed, Notes: append(p.Notes, "no usable finding in the answer")}
	}
	return p
}

func (p *GroundingParse) salvaged(format string, args ...any) {
	p.Status = cxrkit.ParseSalvaged
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// fieldValues returns obj's values under any of keys, case-insensitively,
// in the keys' priority order (an exact key before its case variants,
// variants in byte order), so one answer always parses the same way
// whatever the map's iteration order.
func fieldValues(obj map[string]json.RawMessage, keys []string) []json.RawMessage {
	var out []json.RawMessage
	for _, want := range keys {
		if v, ok := obj[want]; ok {
			out = append(out, v)
		}
		var variants []string
		for k := range obj {
			if k != want && strings.EqualFold(k, want) {
				variants = append(variants, k)
			}
		}
		slices.Sort(variants)
		for _, k := range variants {
			out = append(out, obj[k])
		}
	}
	return out
}

// stringField is the first value under keys that is a string (trimmed)
// or a boolean (as "true"/"false").
func stringField(obj map[string]json.RawMessage, keys []string) string {
	for _, v := range fieldValues(obj, keys) {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return strings.TrimSpace(s)
		}
		var b bool
		if json.Unmarshal(v, &b) == nil {
			return strconv.FormatBool(b)
		}
	}
	return ""
}

func rawField(obj map[string]json.RawMessage, keys []string) (json.RawMessage, bool) {
	if vs := fieldValues(obj, keys); len(vs) > 0 {
		return vs[0], true
	}
	return nil, false
}

// boxesOf reads one element's box or boxes: [y0,x0,y1,x1], a list of
// those, or an object with y0/x0/y1/x1 (or ymin/xmin/ymax/xmax) fields.
func boxesOf(obj map[string]json.RawMessage, format AnswerFormat, sent Size) ([]*boxes.Box, string) {
	raw, ok := rawField(obj, boxKeys[:])
	if !ok || string(raw) == "null" {
		return nil, ""
	}
	var quads [][]float64
	var one []float64
	var many [][]float64
	var named map[string]float64
	switch {
	case json.Unmarshal(raw, &one) == nil:
		quads = [][]float64{one}
	case json.Unmarshal(raw, &many) == nil:
		quads = many
	case json.Unmarshal(raw, &named) == nil:
		q, ok := namedBox(named)
		if !ok {
			return nil, "box object without y0/x0/y1/x1 fields; kept without a box"
		}
		quads = [][]float64{q}
	default:
		return nil, "box is not a list of four numbers; kept without a box"
	}
	var out []*boxes.Box
	var note string
	for _, q := range quads {
		if format.Order == OrderXY && len(q) == 4 {
			q = []float64{q[1], q[0], q[3], q[2]}
		}
		b, why := normalizeBox(q, format.Scale, format.Expect, sent)
		if b == nil {
			note = why + "; kept without a box"
			continue
		}
		if why != "" {
			note = why
		}
		out = append(out, b)
	}
	return out, note
}

func namedBox(m map[string]float64) ([]float64, bool) {
	for _, names := range [][4]string{{"y0", "x0", "y1", "x1"}, {"ymin", "xmin", "ymax", "xmax"}, {"top", "left", "bottom", "right"}} {
		var q []float64
		for _, n := range names {
			v, ok := m[n]
			if !ok {
				break
			}
			q = append(q, v)
		}
		if len(q) == 4 {
			return q, true
		}
	}
	return nil, false
}

// normalizeBox turns [y0,x0,y1,x1] in the given scale into a normalized
// box, clamping small overflows and ordering inverted corners.
func normalizeBox(q []float64, scale, expect BoxScale, sent Size) (*boxes.Box, string) {
	if len(q) != 4 {
		return nil, fmt.Sprintf("box has %d numbers, not 4", len(q))
	}
	hi := 0.0
	for _, v := range q {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, "box has a non-finite number"
		}
		hi = math.Max(hi, v)
	}
	if scale == ScaleAuto {
		// Coordinates up to 2 are a normalized box that overflows; a real
		// 0–1000 box has larger ones.
		switch {
		case hi <= 2 && expect != Scale1000:
			scale = ScaleUnit
		case hi <= 1000*(1+overflow):
			scale = Scale1000
		default:
			scale = ScalePixel
		}
	}
	note := ""
	switch scale {
	case Scale1000:
		for i := range q {
			q[i] /= 1000
		}
	case ScalePixel:
		if sent.Width <= 0 || sent.Height <= 0 {
			return nil, "pixel box but the image size is unknown"
		}
		q = []float64{q[0] / float64(sent.Height), q[1] / float64(sent.Width), q[2] / float64(sent.Height), q[3] / float64(sent.Width)}
		note = "box given in pixels; rescaled"
	}
	for _, v := range q {
		if v < -overflow || v > 1+overflow {
			return nil, fmt.Sprintf("box %v outside the image", q)
		}
	}
	b := boxes.Box{Y0: min(q[0], q[2]), X0: min(q[1], q[3]), Y1: max(q[0], q[2]), X1: max(q[1], q[3])}.Clamp()
	if q[0] > q[2] || q[1] > q[3] {
		note = "box corners inverted; reordered"
	}
	if b.Area() == 0 {
		return nil, "box has zero area"
	}
	return &b, note
}

// Size is the size of the image sent to the model: imaging's one Size.
type Size = imaging.Size
