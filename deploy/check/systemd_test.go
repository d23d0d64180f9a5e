package check

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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
	// The webhook token, once turned on, comes the same way.
	if !strings.Contains(unit, "\n#LoadCredential=webhook_token:") || !strings.Contains(cfg, "token_file: /run/credentials/"+unitName+"/webhook_token") {
		t.Error("the unit's webhook_token credential and tencent_live.yml's webhook token_file do not match")
	}
}

// TestSystemdUnitWebhookListener checks that the unit's webhook receiver
// listens on loopback, for a reverse proxy with TLS, unless it has TLS of
// its own (--webhook.config.file).
func TestSystemdUnitWebhookListener(t *testing.T) {
	unit := string(readRepoFile(t, "deploy/systemd/"+unitName))
	m := regexp.MustCompile(`--webhook\.listen-address=(\S+)`).FindStringSubmatch(unit)
	if m == nil {
		t.Fatal("unit: no --webhook.listen-address")
	}
	host, port, err := net.SplitHostPort(m[1])
	if err != nil || port != "10072" {
		t.Fatalf("unit: --webhook.listen-address=%s, want port 10072 (%v)", m[1], err)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && !strings.Contains(unit, "--webhook.config.file=") {
		t.Errorf("unit: the webhook receiver listens on %s without TLS: listen on loopback behind a TLS proxy, or set --webhook.config.file", m[1])
	}
}
