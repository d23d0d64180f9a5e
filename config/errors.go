package config

import (
	"fmt"
	"sort"
	"strings"
)

// maxReported is how many problems an Errors value spells out; the rest are
// counted, so that a broken room file of thousands of entries stays readable.
const maxReported = 20

// Error is one problem in a configuration: the line and field path where it
// is, and what is wrong. It prints as "line 12: apps[1].qps: must be 1..200,
// got 500"; the line and path parts are left out when unknown (0 or empty).
// A problem inside a room file is reported at the room_files entry that
// matched the file, and Msg then names the file and its own line and path:
// "line 20: apps[0].room_files[0]: rooms/a.yml: line 3: [2].id: must not be
// empty". Messages never contain a secret value.
type Error struct {
	// Line is the 1-based line in the configuration file, 0 if unknown.
	Line int
	// Path is the field path, e.g. apps[1].rooms[0].labels, empty for the
	// document itself.
	Path string
	// Msg says what is wrong.
	Msg string
}

// Error implements error.
func (e *Error) Error() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// Errors is every problem found in a configuration, in line order. Load and
// Parse return it (as error) when the configuration is invalid.
type Errors []*Error

// Error implements error: one problem per line, at most 20 of them followed by
// a count of the others.
func (es Errors) Error() string {
	lines := make([]string, 0, len(es))
	for i, e := range es {
		if i == maxReported {
			lines = append(lines, fmt.Sprintf("(%d more errors)", len(es)-maxReported))
			break
		}
		lines = append(lines, e.Error())
	}
	return strings.Join(lines, "\n")
}

// sorted returns es ordered by line, keeping the order of problems found on
// the same line.
func (es Errors) sorted() Errors {
	sort.SliceStable(es, func(i, j int) bool { return es[i].Line < es[j].Line })
	return es
}
