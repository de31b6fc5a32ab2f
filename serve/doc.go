// Package serve is the reading room: one self-contained web page (HTML,
// CSS and JS embedded, no CDN) and a JSON API over the audit package, with
// an upload size limit, content sniffing, a per-request timeout, a
// concurrency limit, an optional bearer token and strict security
// headers. Images and drafts stay in memory: nothing is written to disk or
// logged.
//
// With a Review instead of an Auditor the same page browses a finished
// audit read-only: the files are read once, the case list is filtered and
// paged in memory, and images are found through the corpus by case index,
// never from a path the client sends.
package serve
