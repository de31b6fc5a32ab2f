package labelmap

// Label is one canonical finding label.
type Label string

// The canonical labels, in presentation order.
const (
	PleuralEffusion Label = "pleural_effusion"
	Pneumothorax    Label = "pneumothorax"
	LungOpacity     Label = "lung_opacity_consolidation"
	NoduleMass      Label = "nodule_mass"
	Cardiomegaly    Label = "cardiomegaly"
	NoFinding       Label = "no_finding"
)

// NumLabels is the number of canonical labels: the length of any array
// indexed by Label.Index.
const NumLabels = 6

// unknownLabelRank sorts labels that are not canonical last.
const unknownLabelRank = NumLabels

// All returns the six canonical labels in presentation order.
func All() []Label {
	return []Label{PleuralEffusion, Pneumothorax, LungOpacity, NoduleMass, Cardiomegaly, NoFinding}
}

// Positives returns the five positive labels in presentation order.
func Positives() []Label { return All()[:NumLabels-1] }

// Index is the label's position in presentation order, or 6 for a label
// that is not canonical (so unknown labels sort last).
func (l Label) Index() int {
	switch l {
	case PleuralEffusion:
		return 0
	case Pneumothorax:
		return 1
	case LungOpacity:
		return 2
	case NoduleMass:
		return 3
	case Cardiomegaly:
		return 4
	case NoFinding:
		return 5
	}
	return unknownLabelRank
}

// Valid reports whether l is one of the six canonical labels.
func (l Label) Valid() bool { return l.Index() < NumLabels }

// Positive reports whether l is one of the five positive labels.
func (l Label) Positive() bool { return l.Valid() && l != NoFinding }

// Display is the human name of the label ("Nodule / mass").
func (l Label) Display() string {
	switch l {
	case PleuralEffusion:
		return "Pleural effusion"
	case Pneumothorax:
		return "Pneumothorax"
	case LungOpacity:
		return "Lung opacity / consolidation"
	case NoduleMass:
		return "Nodule / mass"
	case Cardiomegaly:
		return "Cardiomegaly"
	case NoFinding:
		return "No finding"
	}
	return string(l)
}
