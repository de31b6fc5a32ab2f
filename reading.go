package cxrkit

// ImageRef names the image of a case: its corpus identity and where its
// pixels are (a file path, or bytes for uploads).
type ImageRef struct {
	Source  string
	ImageID string
	Path    string
	Data    []byte
}

// Key is "source:image_id".
func (r ImageRef) Key() string { return r.Source + ":" + r.ImageID }

// Grounding is what a grounding source says of an image.
type Grounding struct {
	Findings []Finding
	// Parse is ok, salvaged, failed or gold.
	Parse    string
	Raw      string
	Attempts int
	Notes    []string
	Model    string
}

// DraftReading is what a draft parser says of a draft.
type DraftReading struct {
	Findings []DraftFinding
	// Parse is ok, salvaged, failed or rules.
	Parse string
	Raw   string
	Notes []string
}
