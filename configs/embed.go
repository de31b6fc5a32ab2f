package configs

import (
	"embed"
	"io/fs"
)

//go:embed labelmap.yaml phrases.yaml draft_rules.yaml prompts/*.txt
var files embed.FS

// Open returns one embedded default file, e.g. "labelmap.yaml" or
// "prompts/grounding.txt".
func Open(name string) (fs.File, error) { return files.Open(name) }

// ReadFile returns the bytes of one embedded default file.
func ReadFile(name string) ([]byte, error) { return files.ReadFile(name) }
