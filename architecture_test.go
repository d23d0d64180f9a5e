package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// module is the exporter's module path.
const module = "github.com/tencent-live-exporter/tencent_live_exporter"

// TestPackageDependenciesPointOneWay keeps the package boundaries that the
// design rests on: the Tencent client knows nothing of Prometheus or of the
// configuration, the configuration imports none of ours, the rate budget
// only the standard library, the simulator only the client's wire types and
// signer, only main (for --demo) runs the simulator in production code, and
// the shards are chosen from the configuration alone.
func TestPackageDependenciesPointOneWay(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var pkg struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&pkg); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range pkg.Imports {
			if why := forbidden(pkg.ImportPath, imp); why != "" {
				t.Errorf("%s imports %s: %s", pkg.ImportPath, imp, why)
			}
		}
	}
	if checked < 7 {
		t.Fatalf("go list found only %d packages", checked)
	}
}

// forbidden returns why package pkg must not import imp, or "".
func forbidden(pkg, imp string) string {
	ours := strings.HasPrefix(imp, module)
	std := !strings.Contains(strings.Split(imp, "/")[0], ".")
	under := func(p, dir string) bool { return p == module+"/"+dir || strings.HasPrefix(p, module+"/"+dir+"/") }
	switch {
	case under(pkg, "collector/tencent") && (strings.HasPrefix(imp, "github.com/prometheus/") || under(imp, "config")):
		return "the Tencent client knows nothing of Prometheus nor of the configuration"
	case under(pkg, "config") && ours:
		return "the configuration imports none of the exporter's packages"
	case under(pkg, "collector/budget") && !std:
		return "the rate budget uses only the standard library"
	case under(pkg, "collector/livesim") && !std && !under(imp, "collector/tencent"):
		return "the simulator depends only on the client's wire types and signer"
	case under(imp, "collector/livesim") && pkg != module && !under(pkg, "collector/livesim"):
		return "only main (for --demo) runs the simulator outside tests"
	case under(pkg, "shard") && ours && !under(imp, "config"):
		return "shards are chosen from the configuration alone, before the fetcher sees it"
	}
	return ""
}

func TestDependencyRulesCatchViolations(t *testing.T) {
	for _, tc := range []struct{ pkg, imp string }{
		{module + "/collector/tencent", "github.com/prometheus/client_golang/prometheus"},
		{module + "/collector/tencent", module + "/config"},
		{module + "/config", module + "/collector"},
		{module + "/collector/budget", "github.com/go-kit/log"},
		{module + "/collector/livesim", module + "/config"},
		{module + "/collector", module + "/collector/livesim"},
		{module + "/shard", module + "/collector"},
	} {
		if forbidden(tc.pkg, tc.imp) == "" {
			t.Errorf("%s importing %s is not caught", tc.pkg, tc.imp)
		}
	}
	for _, tc := range []struct{ pkg, imp string }{
		{module, module + "/collector/livesim"},
		{module + "/collector/livesim", module + "/collector/tencent/usersig"},
		{module + "/collector", module + "/collector/budget"},
		{module + "/shard", module + "/config"},
		{module, module + "/shard"},
	} {
		if why := forbidden(tc.pkg, tc.imp); why != "" {
			t.Errorf("%s importing %s refused: %s", tc.pkg, tc.imp, why)
		}
	}
}
