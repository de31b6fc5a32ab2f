// Package dataset owns the public dataset formats and the prepare stage:
// streaming readers for VinDr-CXR (Kaggle and PhysioNet CSVs, meta CSVs),
// VinDr-CXR-VQA, ChestX-Det (JSON and the parquet label-grid mirror), NIH
// ChestX-ray14 and IU-Xray reports; image header probing, DICOM conversion
// and perceptual hashing; and the per-image rules that turn annotation rows
// into one validated, merged, deduplicated, balanced and split corpus.
package dataset
