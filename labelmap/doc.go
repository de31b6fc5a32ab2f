// Package labelmap owns cxrkit's vocabulary: the six canonical labels and
// their fixed order and display names, the urgent whitelist, the specificity
// order, the per-source native→canonical maps, and the normalization of free
// text ("Nodule/Mass", "effusion", "lung opacity") onto canonical labels.
//
// The tables live in configs/labelmap.yaml (embedded; a file of the same
// shape overrides it) and are validated on load with line-numbered errors.
package labelmap
