package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/go-kit/log/level"
	"github.com/go-logfmt/logfmt"
)

// TestKitHandlerConformance runs the standard library's conformance tests
// of slog handlers on kitHandler writing JSON, its keys read back as slog's
// (ts as time) and its dotted group keys as nested groups.
func TestKitHandlerConformance(t *testing.T) {
	var buf bytes.Buffer
	slogtest.Run(t, func(*testing.T) slog.Handler {
		buf.Reset()
		_, slogger := newLoggers("info", "json", &buf)
		return slogger.Handler()
	}, func(t *testing.T) map[string]any {
		line := map[string]any{}
		if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
			t.Fatalf("%v: %q", err, buf.String())
		}
		nested := map[string]any{}
		for key, value := range line {
			if key == timestampKey {
				key = slog.TimeKey
			}
			group, name := nested, strings.Split(key, ".")
			for _, g := range name[:len(name)-1] {
				if _, ok := group[g].(map[string]any); !ok {
					group[g] = map[string]any{}
				}
				group = group[g].(map[string]any)
			}
			group[name[len(name)-1]] = value
		}
		return nested
	})
}

// callerRE matches the caller of a line logged from this file.
var callerRE = regexp.MustCompile(`^logging_test\.go:\d+$`)

// TestLoggersWriteOneFormat logs through the application's logger, the slog
// logger and a standard library logger made from it, in both formats, and
// expects every line to parse in the format, with the same keys.
func TestLoggersWriteOneFormat(t *testing.T) {
	for _, format := range []string{"logfmt", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			before := time.Now()
			logger, slogger := newLoggers("info", format, &buf)
			level.Info(logger).Log("msg", "from go-kit", "k", "v")
			slogger.Info("from slog", "k", "v", slog.Group("g", "n", 1))
			slog.NewLogLogger(slogger.Handler(), slog.LevelError).Printf("from %s", "log")
			level.Debug(logger).Log("msg", "filtered")
			slogger.Debug("filtered")
			after := time.Now()

			lines := parseLogLines(t, format, buf.String())
			if len(lines) != 3 {
				t.Fatalf("%d lines, want 3:\n%s", len(lines), &buf)
			}
			for i, want := range []struct{ level, msg string }{
				{"info", "from go-kit"}, {"info", "from slog"}, {"error", "from log"},
			} {
				line := lines[i]
				if line["level"] != want.level || line["msg"] != want.msg {
					t.Errorf("line %d: level %q msg %q, want %q %q", i, line["level"], line["msg"], want.level, want.msg)
				}
				if _, ok := line["time"]; ok {
					t.Errorf("line %d has a time key: %v", i, line)
				}
				ts, err := time.Parse(time.RFC3339Nano, line[timestampKey])
				if err != nil || ts.Before(before) || ts.After(after) || ts.Location() != time.UTC {
					t.Errorf("line %d: ts %q (%v), want a UTC time of the test", i, line[timestampKey], err)
				}
				if !callerRE.MatchString(line[callerKey]) {
					t.Errorf("line %d: caller %q, want logging_test.go:<line>", i, line[callerKey])
				}
			}
			if lines[1]["k"] != "v" || lines[1]["g.n"] != "1" {
				t.Errorf("slog attributes: %v, want k=v g.n=1", lines[1])
			}
		})
	}
}

// parseLogLines parses text, lines of logfmt or JSON, into one map of keys
// to values per line (JSON values as fmt prints them), failing the test on a
// line that does not parse.
func parseLogLines(t *testing.T, format, text string) []map[string]string {
	t.Helper()
	var lines []map[string]string
	for _, raw := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		if raw == "" {
			continue
		}
		line := map[string]string{}
		if format == "json" {
			var m map[string]any
			if err := json.Unmarshal([]byte(raw), &m); err != nil {
				t.Fatalf("not a JSON object (%v): %s", err, raw)
			}
			for k, v := range m {
				line[k] = fmt.Sprint(v)
			}
		} else {
			d := logfmt.NewDecoder(strings.NewReader(raw))
			for d.ScanRecord() {
				for d.ScanKeyval() {
					line[string(d.Key())] = string(d.Value())
				}
			}
			if err := d.Err(); err != nil || len(line) == 0 {
				t.Fatalf("not logfmt (%v): %s", err, raw)
			}
		}
		lines = append(lines, line)
	}
	return lines
}
