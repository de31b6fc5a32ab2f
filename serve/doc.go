// Package serve is the interactive auditor: one self-contained web page and
// a JSON API over the audit package, with upload limits, content sniffing,
// timeouts, a concurrency limit and an optional bearer token.
package serve
