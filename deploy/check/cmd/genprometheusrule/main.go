// Command genprometheusrule writes deploy/kubernetes/prometheusrule.yaml from
// the alerting rules in deploy/prometheus/rules, so the two never drift.
//
// Run it from anywhere inside the repository:
//
//	cd deploy/check && go run ./cmd/genprometheusrule
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tencent-live-exporter/tencent_live_exporter/deploy/check"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "genprometheusrule:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := check.RepoRoot(".")
	if err != nil {
		return err
	}
	out, err := check.GeneratePrometheusRule(root)
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(root, check.PrometheusRulePath), out, 0o644)
}
