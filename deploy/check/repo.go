package check

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ExporterModule is the module path of the exporter whose deployment files
// this module checks.
const ExporterModule = "github.com/tencent-live-exporter/tencent_live_exporter"

// RepoRoot walks up from dir to the directory whose go.mod declares
// ExporterModule, the root of the repository.
func RepoRoot(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for d := dir; ; d = filepath.Dir(d) {
		if isExporterModule(filepath.Join(d, "go.mod")) {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("no go.mod of %s above %s", ExporterModule, dir)
		}
	}
}

func isExporterModule(gomod string) bool {
	f, err := os.Open(gomod)
	if err != nil {
		return false
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if fields := strings.Fields(s.Text()); len(fields) == 2 && fields[0] == "module" {
			return fields[1] == ExporterModule
		}
	}
	return false
}
