package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unitName = "tencent_live_exporter.service"

// unitForVerify writes a copy of the unit whose ExecStart names an existing
// executable (the exporter built by the Dockerfile's command when its sources
// exist, else /bin/true): systemd-analyze verify checks that the binary exists.
func unitForVerify(t *testing.T) string {
	t.Helper()
	unit := string(readRepoFile(t, "deploy/systemd/"+unitName))
	const execPath = "ExecStart=/usr/local/bin/tencent_live_exporter "
	if !strings.Contains(unit, execPath) {
		t.Fatalf("unit has no %q", execPath)
	}
	bin := "/bin/true"
	if _, err := os.Stat(filepath.Join(repoRoot(t), "main.go")); err == nil {
		bin = exporterBinary(t)
	}
	unit = strings.Replace(unit, execPath, "ExecStart="+bin+" ", 1)
	path := filepath.Join(t.TempDir(), unitName)
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestSystemdUnitVerify runs systemd-analyze verify, which must print nothing.
func TestSystemdUnitVerify(t *testing.T) {
	sa := lookTool(t, "systemd-analyze")
	out, err := exec.Command(sa, "verify", unitForVerify(t)).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// TestSystemdUnitHardening asks systemd-analyze security for the unit's
// exposure score: it must stay "OK" (below 2.0 of 10).
func TestSystemdUnitHardening(t *testing.T) {
	sa := lookTool(t, "systemd-analyze")
	out, err := exec.Command(sa, "security", "--offline=yes", "--threshold=20", "--no-pager", unitForVerify(t)).CombinedOutput()
	if err != nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	unit := string(readRepoFile(t, "deploy/systemd/"+unitName))
	for _, want := range []string{"DynamicUser=yes", "LoadCredential=secret_key:", "ProtectSystem=strict", "NoNewPrivileges=yes"} {
		if !strings.Contains(unit, "\n"+want) {
			t.Errorf("unit lacks %s", want)
		}
	}
	cfg := string(readRepoFile(t, "deploy/systemd/tencent_live.yml"))
	if !strings.Contains(cfg, "secret_key_file: /run/credentials/"+unitName+"/secret_key") {
		t.Error("deploy/systemd/tencent_live.yml does not read the key from the unit's credential")
	}
}
