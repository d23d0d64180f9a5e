package livesim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// MemoryURL is the base URL of a Server made by New. Its Client answers
// requests to any host, this one included.
const MemoryURL = "http://livesim.invalid"

// errDropped is the error of a request whose answer the server dropped, as
// a closed connection would.
var errDropped = errors.New("livesim: connection closed without an answer")

// Client returns an HTTP client whose requests the server answers in memory,
// without a network, whatever their host. It is the only way to reach a
// Server made by New, and also works with one made by Start.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: memoryTransport{s}}
}

// memoryTransport runs the server's handler for each request.
type memoryTransport struct{ s *Server }

// RoundTrip implements http.RoundTripper.
func (m memoryTransport) RoundTrip(req *http.Request) (resp *http.Response, err error) {
	ctx, cancel := context.WithCancel(req.Context())
	defer cancel()
	stop := context.AfterFunc(m.s.base, cancel) // Close ends the request
	defer stop()

	in := req.Clone(ctx)
	if in.Body == nil {
		in.Body = http.NoBody
	}
	w := &memoryResponse{header: http.Header{}}
	defer func() {
		if p := recover(); p != nil {
			if err, ok := p.(error); !ok || !errors.Is(err, http.ErrAbortHandler) {
				panic(p)
			}
			resp, err = nil, fmt.Errorf("%w: %w", errDropped, context.Cause(ctx))
		}
	}()
	m.s.handle(w, in)
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	return &http.Response{
		Status:        strconv.Itoa(status) + " " + http.StatusText(status),
		StatusCode:    status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.header,
		Body:          io.NopCloser(&w.body),
		ContentLength: int64(w.body.Len()),
		Request:       req,
	}, nil
}

// memoryResponse is the http.ResponseWriter of an in-memory request.
type memoryResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header implements http.ResponseWriter.
func (w *memoryResponse) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter.
func (w *memoryResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// Write implements http.ResponseWriter.
func (w *memoryResponse) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}
