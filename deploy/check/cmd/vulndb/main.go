// Command vulndb turns a directory of Go OSV entries (the data/osv folder of
// the golang.org/x/vulndb module) into a database in the v1 layout that
// `govulncheck -db file:///DIR` reads: index/db.json, index/modules.json and
// ID/<id>.json. This lets govulncheck run where vuln.go.dev is unreachable.
//
//	go run ./cmd/vulndb -osv "$(go mod download -json golang.org/x/vulndb@VERSION | jq -r .Dir)/data/osv" -out /tmp/vulndb
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// entry is the part of an OSV entry the index needs.
type entry struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	Affected []struct {
		Package struct {
			Name string `json:"name"`
		} `json:"package"`
	} `json:"affected"`
}

type moduleVuln struct {
	ID       string    `json:"id"`
	Modified time.Time `json:"modified"`
	// Fixed is left out: it is an optional hint, and without it govulncheck
	// fetches every entry of a module and matches versions on the entry.
}

type moduleMeta struct {
	Path  string       `json:"path"`
	Vulns []moduleVuln `json:"vulns"`
}

func main() {
	osvDir := flag.String("osv", "", "directory of OSV entries named <ID>.json")
	out := flag.String("out", "", "directory to write the database to (created if absent)")
	modified := flag.String("modified", "", "RFC 3339 time for index/db.json when the entries carry none (vulndb's data/osv has zero times)")
	flag.Parse()
	n, err := build(*osvDir, *out, *modified)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulndb:", err)
		os.Exit(1)
	}
	fmt.Printf("vulndb: %d entries written to %s\n", n, *out)
}

func build(osvDir, out, modified string) (int, error) {
	if osvDir == "" || out == "" {
		return 0, errors.New("both -osv and -out are required")
	}
	files, err := filepath.Glob(filepath.Join(osvDir, "*.json"))
	if err != nil {
		return 0, err
	}
	if len(files) == 0 {
		return 0, fmt.Errorf("no OSV entries in %s", osvDir)
	}
	for _, d := range []string{"index", "ID"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return 0, err
		}
	}
	var dbModified time.Time
	modules := map[string]*moduleMeta{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return 0, err
		}
		var e entry
		if err := json.Unmarshal(data, &e); err != nil {
			return 0, fmt.Errorf("%s: %w", f, err)
		}
		if e.ID == "" || strings.TrimSuffix(filepath.Base(f), ".json") != e.ID {
			return 0, fmt.Errorf("%s: entry id %q does not match the file name", f, e.ID)
		}
		if e.Modified.After(dbModified) {
			dbModified = e.Modified
		}
		seen := map[string]bool{}
		for _, a := range e.Affected {
			p := a.Package.Name
			if p == "" || seen[p] {
				continue
			}
			seen[p] = true
			if modules[p] == nil {
				modules[p] = &moduleMeta{Path: p}
			}
			modules[p].Vulns = append(modules[p].Vulns, moduleVuln{ID: e.ID, Modified: e.Modified})
		}
		if err := os.WriteFile(filepath.Join(out, "ID", e.ID+".json"), data, 0o644); err != nil {
			return 0, err
		}
	}
	if dbModified.IsZero() && modified != "" {
		if dbModified, err = time.Parse(time.RFC3339, modified); err != nil {
			return 0, fmt.Errorf("-modified: %w", err)
		}
	}
	list := make([]*moduleMeta, 0, len(modules))
	for _, m := range modules {
		sort.Slice(m.Vulns, func(i, j int) bool { return m.Vulns[i].ID < m.Vulns[j].ID })
		list = append(list, m)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Path < list[j].Path })
	if err := writeJSON(filepath.Join(out, "index", "modules.json"), list); err != nil {
		return 0, err
	}
	if err := writeJSON(filepath.Join(out, "index", "db.json"), map[string]time.Time{"modified": dbModified}); err != nil {
		return 0, err
	}
	return len(files), nil
}

func writeJSON(path string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o644)
}
