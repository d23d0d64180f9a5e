// Command generate writes the deployment files made from Go or from other
// files, so that they never drift from their sources (a test fails when
// they do):
//
//   - grafana/dashboards/tencent-live.json from the dashboard defined in Go
//     (deploy/check/dashboard.go);
//   - deploy/prometheus/rules/tencent_live_alerts.yml from
//     deploy/check/alerts.yml.tmpl, with the selectors of
//     deploy/check/mixin.go;
//   - deploy/kubernetes/prometheusrule.yaml from those rules;
//   - the Helm chart's copies of the dashboard and the rules, in
//     deploy/helm/tencent-live-exporter/files.
//
// Run it from anywhere inside the repository:
//
//	cd deploy/check && go run ./cmd/generate
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tencent-live-exporter/tencent_live_exporter/deploy/check"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "generate:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := check.RepoRoot(".")
	if err != nil {
		return err
	}
	files, err := check.GeneratedFiles()
	if err != nil {
		return err
	}
	for path, content := range files {
		path = filepath.Join(root, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, content, 0o644); err != nil {
			return err
		}
	}
	return nil
}
