package pipeline

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// yamlSettings is a stage's options as its config section spells them
// (key: value, defaults filled in), for the reports that record what a
// run was asked to do.
func yamlSettings(v any) (map[string]any, error) {
	data, err := yaml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("recording settings: %w", err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("recording settings: %w", err)
	}
	return m, nil
}
