package pipeline

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/cxrkit/cxrkit"
	"gopkg.in/yaml.v3"
)

// maxConfigProblems bounds how many problems one config reports.
const maxConfigProblems = 20

// configProblems checks a YAML document against the struct type t before
// decoding, and says what is wrong in the config's own words: the key path
// and line, what the key wants, and for an unknown key the closest known
// one ("line 5: prepare.normal_ratoi: unknown key; did you mean
// normal_ratio?"), never Go type names.
func configProblems(data []byte, t reflect.Type) []string {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
		return nil // the decoder reports syntax errors with their line
	}
	var out []string
	checkNode(doc.Content[0], t, "", &out)
	return out
}

func checkNode(n *yaml.Node, t reflect.Type, path string, out *[]string) {
	if len(*out) >= maxConfigProblems {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value keeps the default
	}
	add := func(format string, args ...any) {
		*out = append(*out, fmt.Sprintf("line %d: %s: ", n.Line, keyName(path))+fmt.Sprintf(format, args...))
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		// The type reads itself (dataset.NormalRatio): let it say what
		// is wrong.
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			add("%v", err)
		}
		return
	}
	if t == reflect.TypeFor[time.Duration]() {
		if _, err := time.ParseDuration(n.Value); n.Kind != yaml.ScalarNode || err != nil {
			add("want a Go duration such as 60s, got %s", describe(n))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			add("want a section of key: value lines, got %s", describe(n))
			return
		}
		fields := map[string]reflect.Type{}
		var names []string
		yamlFields(t, fields, &names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("line %d: %s: unknown key", k.Line, keyName(join(path, k.Value)))
				if s := cxrkit.Closest(k.Value, names); s != "" {
					msg += fmt.Sprintf("; did you mean %s?", s)
				} else {
					msg += fmt.Sprintf(" (known keys: %s)", strings.Join(names, ", "))
				}
				*out = append(*out, msg)
				continue
			}
			checkNode(v, ft, join(path, k.Value), out)
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			add("want a list such as [a, b], got %s", describe(n))
			return
		}
		for i, item := range n.Content {
			checkNode(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), out)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			add("want a section of key: value lines, got %s", describe(n))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			add("want a single value, got %s", describe(n))
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			add("want true or false, got %s", describe(n))
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if _, err := strconv.ParseInt(strings.ReplaceAll(n.Value, "_", ""), 0, t.Bits()); n.Kind != yaml.ScalarNode || n.Tag == "!!str" || err != nil {
			add("want a whole number, got %s", describe(n))
		}
	case reflect.Float32, reflect.Float64:
		v, err := strconv.ParseFloat(n.Value, 64)
		if n.Kind != yaml.ScalarNode || n.Tag == "!!str" || err != nil || math.IsNaN(v) {
			add("want a number, got %s", describe(n))
		}
	}
}

// yamlFields collects the keys of a struct type as yaml.v3 decodes them,
// inlined structs included, in field order.
func yamlFields(t reflect.Type, fields map[string]reflect.Type, names *[]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if opts == "inline" && f.Type.Kind() == reflect.Struct {
			yamlFields(f.Type, fields, names)
			continue
		}
		if !f.IsExported() || name == "-" || name == "" {
			continue
		}
		fields[name] = f.Type
		*names = append(*names, name)
	}
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func keyName(path string) string {
	if path == "" {
		return "the config"
	}
	return path
}

// describe says what a node holds, in the file's terms.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section"
	case yaml.SequenceNode:
		return "a list"
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return strconv.Quote(v)
}

// checkConfig returns the problems of a config file as one error naming
// the file, or nil.
func checkConfig(path string, data []byte) error {
	probs := configProblems(data, reflect.TypeFor[Config]())
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: config %s: %s", cxrkit.ErrInvalidOptions, path, strings.Join(probs, "; "))
}
