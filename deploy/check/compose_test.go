package check

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"
)

// TestComposeFile loads deploy/docker-compose.yml with compose-go, the loader
// docker compose itself uses, validating it against the Compose schema, and
// checks that the stack is the one the README describes.
func TestComposeFile(t *testing.T) {
	dir := filepath.Join(repoRoot(t), "deploy")
	file := filepath.Join(dir, "docker-compose.yml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	project, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: file, Content: data}},
		Environment: types.Mapping{},
	}, func(o *loader.Options) {
		o.SetProjectName("tencent-live", true)
		o.ResolvePaths = true
	})
	if err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"exporter", "prometheus", "alertmanager", "grafana"} {
		if _, ok := project.Services[name]; !ok {
			t.Errorf("no service %q", name)
		}
	}
	exp := project.Services["exporter"]
	if !slices.Contains(exp.Command, "--demo") {
		t.Errorf("exporter command %v lacks --demo", exp.Command)
	}
	if exp.Build == nil || exp.Build.Context != repoRoot(t) || exp.Build.Dockerfile != "Dockerfile" {
		t.Errorf("exporter build %+v, want the repository root's Dockerfile", exp.Build)
	}
	var published []uint32
	for _, p := range exp.Ports {
		published = append(published, p.Target)
	}
	if !slices.Equal(published, []uint32{10071, 10072}) {
		t.Errorf("exporter ports %+v, want 10071 (metrics) and 10072 (webhook)", exp.Ports)
	}
	if !slices.Contains(exp.Command, "--webhook.listen-address=:10072") {
		t.Errorf("exporter command %v: want --webhook.listen-address=:10072, on every interface so that the published port reaches it", exp.Command)
	}
	if !exp.ReadOnly || !slices.Contains(exp.CapDrop, "ALL") {
		t.Error("exporter: want read_only and cap_drop ALL")
	}
	// Every bind mount's source exists in the repository, and Prometheus is
	// started with a configuration that is in its mounted directory.
	for name, s := range project.Services {
		for _, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			if _, err := os.Stat(v.Source); err != nil {
				t.Errorf("service %s mounts %s: %v", name, v.Source, err)
			}
		}
	}
	prom := project.Services["prometheus"]
	var cfg string
	for _, a := range prom.Command {
		if v, ok := strings.CutPrefix(a, "--config.file=/etc/prometheus/"); ok {
			cfg = v
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "prometheus", cfg)); cfg == "" || err != nil {
		t.Errorf("prometheus --config.file %q is not in deploy/prometheus", cfg)
	}
}
