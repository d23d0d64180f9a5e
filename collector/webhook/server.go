package webhook

import (
	stdlog "log"
	"net/http"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// Limits of the webhook listener. Tencent sends one small request at a time
// and gives up after a few seconds, so a client slower than these is not
// Tencent and may not hold a connection.
const (
	// ReadHeaderTimeout bounds the reading of a request's headers.
	ReadHeaderTimeout = 5 * time.Second
	// ReadTimeout bounds the reading of a whole request, body included.
	ReadTimeout = 10 * time.Second
	// WriteTimeout bounds the time from the end of the headers to the end
	// of the answer.
	WriteTimeout = 10 * time.Second
	// IdleTimeout closes a kept-alive connection left without a request.
	IdleTimeout = 60 * time.Second
	// MaxHeaderBytes bounds a request's headers and URL.
	MaxHeaderBytes = 16 << 10
)

// NewServer returns the *http.Server of the webhook listener, serving h
// (normally a Receiver) with the limits above. Its own errors (failed TLS
// handshakes of scanners, say) go to logger at debug level. Start it with
// exporter-toolkit's web.ListenAndServe, which adds TLS from a web
// configuration file.
func NewServer(h http.Handler, logger log.Logger) *http.Server {
	if logger == nil {
		logger = log.NewNopLogger()
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          stdlog.New(log.NewStdlibAdapter(level.Debug(log.With(logger, "listener", "webhook"))), "", 0),
	}
}
