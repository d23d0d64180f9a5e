package check

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

var (
	secretKeyFileRE = regexp.MustCompile(`(?m)^(\s*secret_key_file:\s*)(\S+)\s*$`)
	tokenFileRE     = regexp.MustCompile(`(?m)^(\s*token_file:\s*)(\S+)\s*$`)
)

// TestExampleConfigsCheck runs the exporter's own --config.check on the
// configurations shipped with the deployment files (the Kubernetes ConfigMap
// and the systemd example), with the secret key and webhook token paths
// pointed at test files.
func TestExampleConfigsCheck(t *testing.T) {
	bin := exporterBinary(t)
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(readRepoFile(t, "deploy/kubernetes/configmap.yaml"), &cm); err != nil {
		t.Fatal(err)
	}
	configs := map[string][]byte{
		"deploy/kubernetes/configmap.yaml": []byte(cm.Data["tencent_live.yml"]),
		"deploy/systemd/tencent_live.yml":  readRepoFile(t, "deploy/systemd/tencent_live.yml"),
	}
	dir := t.TempDir()
	key := filepath.Join(dir, "secret_key")
	if err := os.WriteFile(key, []byte("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	token := filepath.Join(dir, "webhook_token")
	if err := os.WriteFile(token, []byte("example-callback-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, cfg := range configs {
		if !secretKeyFileRE.Match(cfg) {
			t.Errorf("%s: no secret_key_file", name)
		}
		cfg = secretKeyFileRE.ReplaceAll(cfg, []byte("${1}"+key))
		cfg = tokenFileRE.ReplaceAll(cfg, []byte("${1}"+token))
		path := filepath.Join(dir, filepath.Base(name)+".yml")
		if err := os.WriteFile(path, cfg, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(bin, "--config.check", "--config.file="+path).CombinedOutput(); err != nil {
			t.Errorf("%s: --config.check: %v\n%s", name, err, out)
		}
	}
}
