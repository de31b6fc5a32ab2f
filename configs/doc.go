// Package configs embeds cxrkit's default configuration data: the label map,
// the phrase bank, the prompt templates. Each file here is also a template a
// user can copy, edit and pass back with a flag (--labelmap, --phrases,
// --prompt-grounding, ...).
package configs
