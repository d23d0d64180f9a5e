package main

import (
	"context"
	"io"
	"log/slog"
	"path"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
)

// The keys every log line carries besides level and msg, whoever wrote it.
const (
	timestampKey = "ts"
	callerKey    = "caller"
	messageKey   = "msg"
)

// newLoggers returns the application's go-kit logger and, for the libraries
// that log through slog (exporter-toolkit) or a standard library *log.Logger
// (net/http's and promhttp's ErrorLog, through slog.NewLogLogger), an slog
// logger writing through the same go-kit output. Both filter by lvl, and
// every line has the same keys (level, ts, caller, msg) in format, logfmt or
// json.
func newLoggers(lvl, format string, w io.Writer) (log.Logger, *slog.Logger) {
	var base log.Logger
	if format == "json" {
		base = log.NewJSONLogger(log.NewSyncWriter(w))
	} else {
		base = log.NewLogfmtLogger(log.NewSyncWriter(w))
	}
	var slogLevel slog.Level // info unless lvl names another level
	_ = slogLevel.UnmarshalText([]byte(lvl))
	logger := level.NewFilter(base, level.Allow(level.ParseDefault(lvl, level.InfoValue())))
	logger = log.With(logger, timestampKey, log.DefaultTimestampUTC, callerKey, log.DefaultCaller)
	return logger, slog.New(&kitHandler{logger: base, level: slogLevel})
}

// kitHandler is an slog.Handler writing each record as one go-kit log event
// with the application's keys: level, ts (UTC, RFC 3339), caller (file:line
// of the call site) and msg, then the attributes, a group's keys prefixed
// with the group's name and a dot.
type kitHandler struct {
	logger log.Logger
	level  slog.Leveler
	attrs  []any  // key/value pairs from WithAttrs, keys already prefixed
	prefix string // the open groups, each name followed by a dot
}

// Enabled implements slog.Handler.
func (h *kitHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

// Handle implements slog.Handler.
func (h *kitHandler) Handle(_ context.Context, r slog.Record) error {
	kv := make([]any, 0, 8+len(h.attrs)+2*r.NumAttrs())
	kv = append(kv, level.Key(), kitLevel(r.Level))
	if !r.Time.IsZero() {
		kv = append(kv, timestampKey, r.Time.UTC().Format(time.RFC3339Nano))
	}
	if r.PC != 0 {
		if frame, _ := runtime.CallersFrames([]uintptr{r.PC}).Next(); frame.File != "" {
			kv = append(kv, callerKey, path.Base(frame.File)+":"+strconv.Itoa(frame.Line))
		}
	}
	kv = append(kv, messageKey, r.Message)
	kv = append(kv, h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		kv = appendAttr(kv, h.prefix, a)
		return true
	})
	return h.logger.Log(kv...)
}

// WithAttrs implements slog.Handler.
func (h *kitHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return h
	}
	c := *h
	c.attrs = slices.Clip(h.attrs) // appending must not write into h's array
	for _, a := range attrs {
		c.attrs = appendAttr(c.attrs, h.prefix, a)
	}
	return &c
}

// WithGroup implements slog.Handler.
func (h *kitHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.prefix = h.prefix + name + "."
	return &c
}

// appendAttr appends a's key/value pairs to kv, its key after prefix: none
// for an empty attribute or group, one per member for a group (inlined when
// its key is empty).
func appendAttr(kv []any, prefix string, a slog.Attr) []any {
	a.Value = a.Value.Resolve()
	switch {
	case a.Equal(slog.Attr{}):
		return kv
	case a.Value.Kind() == slog.KindGroup:
		if a.Key != "" {
			prefix += a.Key + "."
		}
		for _, member := range a.Value.Group() {
			kv = appendAttr(kv, prefix, member)
		}
		return kv
	}
	return append(kv, prefix+a.Key, a.Value.Any())
}

// kitLevel returns the go-kit level of l: the highest one not above it, and
// debug below info.
func kitLevel(l slog.Level) level.Value {
	switch {
	case l >= slog.LevelError:
		return level.ErrorValue()
	case l >= slog.LevelWarn:
		return level.WarnValue()
	case l >= slog.LevelInfo:
		return level.InfoValue()
	}
	return level.DebugValue()
}
