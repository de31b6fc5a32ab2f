// Package imaging owns the image side shared by every stage: reading sizes
// from PNG, JPEG and DICOM headers without decoding pixels, decoding all
// three to grey images (DICOM with rescale, VOI window and MONOCHROME1
// inversion), fitting an image to a size, PNG encoding, and a perceptual
// hash that finds the same radiograph under two names. An image path may
// name a member of a zip archive (ARCHIVE.zip!MEMBER): every opener here
// reads it in place, so every stage does.
package imaging
