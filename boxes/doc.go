// Package boxes owns box geometry in cxrkit's one box format,
// normalized_y0x0y1x1: conversion from pixel boxes with the validation and
// clamping rules of prepare, IoU, greedy one-to-one matching, merging of
// several readers' boxes (Weighted Boxes Fusion and connected-component
// means) and resolution of overlaps between labels.
//
// It knows nothing of labels or datasets: callers pass ranks and reader ids.
package boxes
