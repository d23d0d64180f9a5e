package check

import (
	"bytes"
	"path/filepath"
	"testing"
)

// TestGeneratedFilesUpToDate fails when a committed generated file is not
// what the generator makes of its sources, or when deploy/prometheus/rules
// holds a rule file that is not generated (and so would escape the
// selectors and the PrometheusRules).
func TestGeneratedFilesUpToDate(t *testing.T) {
	files, err := GeneratedFiles()
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range files {
		if !bytes.Equal(readRepoFile(t, path), want) {
			t.Errorf("%s is stale; regenerate it: cd deploy/check && go run ./cmd/generate", path)
		}
	}
	rules, err := filepath.Glob(filepath.Join(repoRoot(t), RulesGlob))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range rules {
		if rel, _ := filepath.Rel(repoRoot(t), f); filepath.ToSlash(rel) != AlertRulesPath {
			t.Errorf("%s is not generated: add its rules to alerts.yml.tmpl", rel)
		}
	}
}
