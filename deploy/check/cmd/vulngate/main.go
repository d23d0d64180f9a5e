// Command vulngate runs govulncheck on Go modules and decides what fails the
// build: a vulnerability whose vulnerable code the module calls. Findings in
// the Go standard library that only a newer Go release fixes are reported as
// such; with -stdlib=warn they do not fail the gate (the toolchain, not the
// code, has to change).
//
//	vulngate -govulncheck ~/go/bin/govulncheck -db /tmp/vulndb -stdlib=fail . deploy/check
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// message is one object of govulncheck's JSON stream (the parts used here).
type message struct {
	Config *struct {
		GoVersion string `json:"go_version"`
	} `json:"config"`
	OSV *struct {
		ID      string `json:"id"`
		Summary string `json:"summary"`
	} `json:"osv"`
	Finding *struct {
		OSV          string `json:"osv"`
		FixedVersion string `json:"fixed_version"`
		Trace        []struct {
			Module   string `json:"module"`
			Version  string `json:"version"`
			Package  string `json:"package"`
			Function string `json:"function"`
			Receiver string `json:"receiver"`
			Position *struct {
				Filename string `json:"filename"`
				Line     int    `json:"line"`
			} `json:"position"`
		} `json:"trace"`
	} `json:"finding"`
}

// finding is a vulnerability reached from the scanned module's code.
type finding struct {
	id, module, version, fixed, summary, where string
}

func main() {
	govulncheck := flag.String("govulncheck", "govulncheck", "govulncheck binary")
	db := flag.String("db", "", "vulnerability database directory (see cmd/vulndb)")
	stdlib := flag.String("stdlib", "fail", "what standard-library findings do: fail or warn")
	flag.Parse()
	if *db == "" || flag.NArg() == 0 || (*stdlib != "fail" && *stdlib != "warn") {
		fmt.Fprintln(os.Stderr, "usage: vulngate -db DIR [-stdlib=fail|warn] [-govulncheck PATH] MODULE_DIR...")
		os.Exit(2)
	}
	dbAbs, err := filepath.Abs(*db)
	if err != nil {
		fmt.Fprintln(os.Stderr, "vulngate:", err)
		os.Exit(2)
	}
	failed := false
	for _, dir := range flag.Args() {
		fs, goVersion, err := scan(*govulncheck, "file://"+dbAbs, dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "vulngate: %s: %v\n", dir, err)
			failed = true
			continue
		}
		var modFail, stdFail int
		for _, f := range fs {
			verdict := "FAIL"
			if f.module == "stdlib" || f.module == "toolchain" {
				if *stdlib == "warn" {
					verdict = "WARN"
				} else {
					stdFail++
				}
			} else {
				modFail++
			}
			fmt.Printf("%s %s: %s %s %s (fixed in %s): %s\n    called from %s\n", verdict, dir, f.id, f.module, f.version, f.fixed, f.summary, f.where)
		}
		fmt.Printf("vulngate: %s (go %s): %d called vulnerabilities, %d in modules, %d in the standard library\n",
			dir, goVersion, len(fs), modFail, len(fs)-modFail)
		failed = failed || modFail > 0 || stdFail > 0
	}
	if failed {
		os.Exit(1)
	}
}

// scan runs govulncheck in dir and returns the called vulnerabilities.
func scan(govulncheck, db, dir string) ([]finding, string, error) {
	cmd := exec.Command(govulncheck, "-db", db, "-format", "json", "./...")
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, "", fmt.Errorf("govulncheck: %w\n%s", err, stderr.String())
	}
	summaries := map[string]string{}
	seen := map[string]bool{}
	var out []finding
	goVersion := ""
	dec := json.NewDecoder(&stdout)
	for {
		var m message
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, "", fmt.Errorf("decoding govulncheck output: %w", err)
		}
		switch {
		case m.Config != nil:
			goVersion = m.Config.GoVersion
		case m.OSV != nil:
			summaries[m.OSV.ID] = m.OSV.Summary
		case m.Finding != nil && len(m.Finding.Trace) > 0 && m.Finding.Trace[0].Function != "":
			f := m.Finding
			if seen[f.OSV] {
				continue
			}
			seen[f.OSV] = true
			where := "?"
			for i := len(f.Trace) - 1; i >= 0; i-- {
				if p := f.Trace[i].Position; p != nil {
					where = fmt.Sprintf("%s:%d", p.Filename, p.Line)
					break
				}
			}
			out = append(out, finding{id: f.OSV, module: f.Trace[0].Module, version: f.Trace[0].Version, fixed: f.FixedVersion, where: where})
		}
	}
	for i := range out {
		out[i].summary = strings.TrimSpace(summaries[out[i].id])
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, goVersion, nil
}
