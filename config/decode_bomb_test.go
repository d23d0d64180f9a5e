package config

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestAliasBomb checks that aliases of aliases cannot make a small file
// expand into a billion values: the decoder stops at maxNodes, lowered here
// so that the test shows the bound without spending seconds reaching it.
func TestAliasBomb(t *testing.T) {
	defer func(n int) { maxNodes = n }(maxNodes)
	maxNodes = 1 << 16
	const n = 1000
	var b strings.Builder
	b.WriteString("defs:\n  l: &l {")
	for i := range n {
		fmt.Fprintf(&b, "l%d: v, ", i)
	}
	b.WriteString("}\n  app: &app {sdkappid: 1, region: usa, identifier: a, secret_key: k, rooms: [")
	for i := range n {
		fmt.Fprintf(&b, "{id: r%d, labels: *l}, ", i)
	}
	b.WriteString("]}\napps: [")
	for range n {
		b.WriteString("*app, ")
	}
	b.WriteString("]\n")

	_, err := Parse([]byte(b.String()), "")
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("document too large: more than %d values", maxNodes)) {
		t.Errorf("error = %.500v", err)
	}
}

// TestManyErrors checks that the problems of a large broken file are
// bounded and summarised.
func TestManyErrors(t *testing.T) {
	var b strings.Builder
	b.WriteString(withApp("    rooms:\n"))
	for range 5000 {
		b.WriteString("      - [x]\n")
	}
	_, err := Parse([]byte(b.String()), "")
	var errs Errors
	if !errors.As(err, &errs) || len(errs) != maxErrors {
		t.Fatalf("got %T with %d errors", err, len(errs))
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != maxReported+1 || lines[maxReported] != fmt.Sprintf("(%d more errors)", maxErrors-maxReported) {
		t.Errorf("summary: %q", lines[len(lines)-1])
	}
	if lines[0] != "line 7: apps[0].rooms[0]: must be a room ID or a mapping with id and labels, got a list" {
		t.Errorf("first: %q", lines[0])
	}
}
