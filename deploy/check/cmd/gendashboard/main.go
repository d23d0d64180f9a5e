// Command gendashboard writes grafana/dashboards/tencent-live.json from the
// dashboard defined in Go (deploy/check/dashboard.go).
//
//	cd deploy/check && go run ./cmd/gendashboard
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tencent-live-exporter/tencent_live_exporter/deploy/check"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gendashboard:", err)
		os.Exit(1)
	}
}

func run() error {
	root, err := check.RepoRoot(".")
	if err != nil {
		return err
	}
	out, err := check.DashboardJSON()
	if err != nil {
		return err
	}
	path := filepath.Join(root, check.DashboardPath)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, out, 0o644)
}
