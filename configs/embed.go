package configs

import (
	"embed"
	"os"
)

//go:embed labelmap.yaml phrases.yaml draft_rules.yaml prompts/*.txt profiles/*.yaml
var files embed.FS

// ReadFile returns the bytes of one embedded default file.
func ReadFile(name string) ([]byte, error) { return files.ReadFile(name) }

// ReadDefaultOr returns the file at overridePath when it is set, else the
// embedded default name, together with the source to name in error
// messages ("configs/<name>" for the default).
func ReadDefaultOr(name, overridePath string) (data []byte, source string, err error) {
	if overridePath != "" {
		data, err = os.ReadFile(overridePath)
		return data, overridePath, err
	}
	data, err = files.ReadFile(name)
	return data, "configs/" + name, err
}
