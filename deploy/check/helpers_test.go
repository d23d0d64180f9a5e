package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// strictTools makes a missing external tool (promtool, amtool, kubectl,
// systemd-analyze, ...) a failure instead of a skip; .ci/ops-checks sets it
// after installing them.
var strictTools = os.Getenv("OPS_CHECKS_STRICT") == "1"

// repoRoot returns the root of the exporter's repository.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot(".")
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// readRepoFile reads a file given relative to the repository root.
func readRepoFile(t testing.TB, rel string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// lookTool finds an external program, or skips the test (fails it under
// OPS_CHECKS_STRICT=1) when it is not installed.
func lookTool(t testing.TB, names ...string) string {
	t.Helper()
	for _, name := range names {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if strictTools {
		t.Fatalf("none of %v is installed (OPS_CHECKS_STRICT=1)", names)
	}
	t.Skipf("none of %v is installed; .ci/ops-checks installs them", names)
	return ""
}

// TestMain removes the exporter binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if buildBin != "" {
		_ = os.RemoveAll(filepath.Dir(buildBin))
	}
	os.Exit(code)
}
