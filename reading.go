package cxrkit

// ImageRef names the image of a case: its corpus identity and where its
// pixels are (a file path, or bytes for uploads).
type ImageRef struct {
	Source  Source
	ImageID string
	Path    string
	Data    []byte
}

// Key is "source:image_id".
func (r ImageRef) Key() string { return ImageKey(r.Source, r.ImageID) }

// Grounding is what a grounding source says of an image.
type Grounding struct {
	Findings []Finding
	// Status is ok, salvaged, failed or gold.
	Status   ParseStatus
	Raw      string
	Attempts int
	Notes    []string
	Model    string
}

// DraftReading is what a draft parser says of a draft.
type DraftReading struct {
	Findings []DraftFinding
	// Status is ok, salvaged, failed or rules.
	Status ParseStatus
	Raw    string
	Notes  []string
	// Fallback says why a model's reading was replaced by the rules
	// parser's ("" when it was not).
	Fallback string
}
