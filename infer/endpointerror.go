package infer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"syscall"
)

// EndpointError is a failed request to one endpoint. Its Reason names the
// cause and the endpoint without per-request detail, so a batch summary
// groups thousands of failures into one line.
type EndpointError struct {
	URL string
	Err error
}

func (e *EndpointError) Error() string { return e.URL + ": " + e.Err.Error() }
func (e *EndpointError) Unwrap() error { return e.Err }

// Reason implements cxrkit.Reasoner.
func (e *EndpointError) Reason() string {
	var s *StatusError
	var ne net.Error
	switch {
	case errors.Is(e.Err, syscall.ECONNREFUSED):
		return "connection refused to " + e.URL
	case errors.As(e.Err, &s):
		return fmt.Sprintf("HTTP %d from %s", s.Status, e.URL)
	case errors.Is(e.Err, errMalformedResponse):
		return "malformed response from " + e.URL
	case errors.Is(e.Err, context.DeadlineExceeded), errors.As(e.Err, &ne) && ne.Timeout():
		return "timeout at " + e.URL
	case errors.Is(e.Err, syscall.ECONNRESET):
		return "connection reset by " + e.URL
	}
	var dns *net.DNSError
	if errors.As(e.Err, &dns) {
		return "unknown host in " + e.URL
	}
	return "request to " + e.URL + " failed: " + e.Err.Error()
}
