package check

import (
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/opencontainers/go-digest"
)

// offlineResolver answers BuildKit's base-image look-ups with an empty Linux
// image config, so linting needs no registry.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH,
		"os":           "linux",
		"rootfs":       map[string]any{"type": "layers"},
		"config":       map[string]any{},
	})
	return ref, digest.FromBytes(cfg), cfg, err
}

// lintDockerfile runs BuildKit's own Dockerfile checks (what
// `docker build --check` reports) and returns its findings.
func lintDockerfile(t testing.TB, dt []byte) []string {
	t.Helper()
	sm := llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", dt)
	sm.Definition = &llb.Definition{}
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		SourceMap:    sm,
		MetaResolver: offlineResolver{},
	})
	if err != nil {
		t.Fatal(err)
	}
	var findings []string
	if res.Error != nil {
		findings = append(findings, "error: "+res.Error.Message)
	}
	for _, w := range res.Warnings {
		line := int32(0)
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = w.Location.Ranges[0].Start.Line
		}
		findings = append(findings, fmt.Sprintf("Dockerfile:%d: %s: %s", line, w.RuleName, w.Detail))
	}
	return findings
}

// TestDockerfileLint fails on any BuildKit check finding in the Dockerfile,
// and shows on a bad example that the checks run.
func TestDockerfileLint(t *testing.T) {
	for _, f := range lintDockerfile(t, readRepoFile(t, "Dockerfile")) {
		t.Error(f)
	}
	bad := "from golang:1.26 as Build\nMAINTAINER someone\nENV A 1\nRUN echo $UNDEFINED\nCOPY --from=build /x $NOPE\n"
	got := lintDockerfile(t, []byte(bad))
	t.Logf("findings in the bad example: %q", got)
	if len(got) < 3 {
		t.Errorf("the checks found only %v in a bad Dockerfile", got)
	}
}

// parseDockerfile parses the Dockerfile into its build stages and the ARG
// instructions before the first FROM.
func parseDockerfile(t testing.TB) ([]instructions.Stage, []instructions.ArgCommand) {
	t.Helper()
	res, err := parser.Parse(bytes.NewReader(readRepoFile(t, "Dockerfile")))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range res.Warnings {
		t.Errorf("Dockerfile parser: %s", w.Short)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		t.Fatal(err)
	}
	return stages, metaArgs
}

// dockerStages parses the Dockerfile into its build stages.
func dockerStages(t testing.TB) []instructions.Stage {
	t.Helper()
	stages, _ := parseDockerfile(t)
	return stages
}

// dockerGlobalArgs returns the ARG instructions before the first FROM, the
// build arguments every stage may take, with their defaults ("" for none).
func dockerGlobalArgs(t testing.TB) map[string]string {
	t.Helper()
	_, metaArgs := parseDockerfile(t)
	args := map[string]string{}
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			args[kv.Key] = ""
			if kv.Value != nil {
				args[kv.Key] = *kv.Value
			}
		}
	}
	return args
}

// goBuildCommand returns the shell command of the RUN instruction that builds
// the exporter, and the stage holding it.
func goBuildCommand(t testing.TB, stages []instructions.Stage) (string, instructions.Stage) {
	t.Helper()
	for _, s := range stages {
		for _, c := range s.Commands {
			if run, ok := c.(*instructions.RunCommand); ok && run.PrependShell && strings.Contains(strings.Join(run.CmdLine, " "), "go build") {
				return strings.Join(run.CmdLine, " "), s
			}
		}
	}
	t.Fatal("Dockerfile: no RUN instruction with go build")
	return "", instructions.Stage{}
}

// TestDockerfileStructure checks what the image promises: a multi-stage build,
// a static CGO_ENABLED=0 binary stamped with version information, and a
// minimal final stage with CA certificates that runs as non-root and exposes
// the default port.
func TestDockerfileStructure(t *testing.T) {
	stages := dockerStages(t)
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build", len(stages))
	}
	cmd, build := goBuildCommand(t, stages)
	for _, want := range []string{
		"CGO_ENABLED=0",
		"-trimpath",
		"-X github.com/prometheus/common/version.Version=",
		"-X github.com/prometheus/common/version.Revision=",
		"-X github.com/prometheus/common/version.BuildDate=",
		"-X github.com/prometheus/common/version.Branch=",
		"-o /out/tencent_live_exporter",
	} {
		if !strings.Contains(cmd, want) {
			t.Errorf("go build command lacks %q", want)
		}
	}
	final := stages[len(stages)-1]
	if final.BaseName != "scratch" && !strings.Contains(final.BaseName, "distroless") {
		t.Errorf("final stage FROM %s, want scratch or distroless", final.BaseName)
	}
	var user, entrypoint string
	var exposed, caCerts, binary bool
	for _, c := range final.Commands {
		switch c := c.(type) {
		case *instructions.UserCommand:
			user = c.User
		case *instructions.ExposeCommand:
			for _, p := range c.Ports {
				exposed = exposed || p == "10071" || p == "10071/tcp"
			}
		case *instructions.CopyCommand:
			if c.From != build.Name {
				t.Errorf("COPY --from=%s, want --from=%s", c.From, build.Name)
			}
			for _, src := range c.SourcePaths {
				caCerts = caCerts || strings.Contains(src, "ca-certificates")
				binary = binary || src == "/out/tencent_live_exporter"
			}
		case *instructions.EntrypointCommand:
			if c.PrependShell {
				t.Error("ENTRYPOINT must use the exec form (signals reach the exporter)")
			}
			entrypoint = strings.Join(c.CmdLine, " ")
		case *instructions.RunCommand:
			t.Error("final stage runs commands: it should only copy files")
		}
	}
	uid, _, _ := strings.Cut(user, ":")
	if uid == "" || uid == "0" || uid == "root" {
		t.Errorf("final stage USER %q, want a non-root user", user)
	}
	if !exposed {
		t.Error("final stage does not EXPOSE 10071")
	}
	if !caCerts && final.BaseName == "scratch" {
		t.Error("scratch final stage without CA certificates")
	}
	if !binary || entrypoint != "/bin/tencent_live_exporter" {
		t.Errorf("binary copied: %v, ENTRYPOINT %q", binary, entrypoint)
	}
}

// TestDockerfileBuildCommand runs the Dockerfile's own go build command here
// (no Docker engine exists) and checks its output: a statically linked binary
// that reports the version information it was given.
func TestDockerfileBuildCommand(t *testing.T) {
	bin := exporterBinary(t)
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("binary has an ELF interpreter: not statically linked")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary links %v: not static", libs)
	}
	checkVersionOutput(t, bin, map[string]string{
		"version":    testVersion,
		"branch":     testBranch,
		"revision":   testRevision,
		"build user": "docker",
		"build date": testBuildDate,
		"go version": "go" + ciGoVersion(t),
		"platform":   "linux/" + runtime.GOARCH,
	})
}

// The build arguments the tests give the Dockerfile's build.
const (
	testVersion   = "9.8.7-opscheck"
	testRevision  = "0123456789abcdef0123456789abcdef01234567"
	testBranch    = "opscheck"
	testBuildDate = "2026-01-02T03:04:05Z"
)

// dockerBuildArgs are the build arguments of `make image` with the tests'
// values.
var dockerBuildArgs = map[string]string{
	"VERSION": testVersion, "REVISION": testRevision, "BRANCH": testBranch, "BUILD_DATE": testBuildDate,
}

// recordingResolver is offlineResolver that remembers the images asked for.
type recordingResolver struct {
	offlineResolver
	mu   sync.Mutex
	refs []string
}

func (r *recordingResolver) ResolveImageConfig(ctx context.Context, ref string, opt sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	r.mu.Lock()
	r.refs = append(r.refs, ref)
	r.mu.Unlock()
	return r.offlineResolver.ResolveImageConfig(ctx, ref, opt)
}

// TestDockerfileImage converts the Dockerfile as BuildKit does for a build
// with the build arguments of `make image`, and checks the result: the
// builder is the Go that CI uses, and the image carries the OCI labels with
// the values given.
func TestDockerfileImage(t *testing.T) {
	dt := readRepoFile(t, "Dockerfile")
	resolver := &recordingResolver{}
	sm := llb.NewSourceMap(nil, "Dockerfile", "Dockerfile", dt)
	sm.Definition = &llb.Definition{}
	opt := dockerfile2llb.ConvertOpt{SourceMap: sm, MetaResolver: resolver}
	opt.BuildArgs = dockerBuildArgs
	res, err := dockerfile2llb.Dockerfile2LLB(context.Background(), dt, opt)
	if err != nil {
		t.Fatal(err)
	}
	wantGo := "docker.io/library/golang:" + ciGoVersion(t)
	if !slices.Contains(resolver.refs, wantGo) {
		t.Errorf("base images %q, want the builder %s (GOTOOLCHAIN in .ci/run)", resolver.refs, wantGo)
	}
	want := map[string]string{
		"org.opencontainers.image.title":       "tencent_live_exporter",
		"org.opencontainers.image.description": "Prometheus exporter for Tencent Cloud Live rooms",
		"org.opencontainers.image.version":     testVersion,
		"org.opencontainers.image.revision":    testRevision,
		"org.opencontainers.image.created":     testBuildDate,
		"org.opencontainers.image.source":      "https://" + ExporterModule,
		"org.opencontainers.image.url":         "https://" + ExporterModule,
		"org.opencontainers.image.licenses":    licenseSPDX(t),
	}
	got := res.Image.Config.Labels
	for k, v := range want {
		if got[k] != v {
			t.Errorf("label %s = %q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("labels %v, want exactly %v", got, want)
	}
}

var (
	buildOnce sync.Once
	buildBin  string
	buildErr  error
)

// exporterBinary builds the exporter once per test run with the Dockerfile's
// own go build command, and returns the binary's path. It skips the test when
// the exporter's main package does not exist yet.
func exporterBinary(t testing.TB) string {
	t.Helper()
	root := repoRoot(t)
	if _, err := os.Stat(filepath.Join(root, "main.go")); err != nil {
		t.Skip("the exporter has no main.go yet")
	}
	buildOnce.Do(func() {
		cmd, _ := goBuildCommand(t, dockerStages(t))
		buildBin, buildErr = runDockerBuildCommand(root, cmd, dockerGlobalArgs(t)["GO_VERSION"])
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildBin
}

// runDockerBuildCommand runs the build command with the build arguments set as
// BuildKit would and the builder image's Go version, writing to a temporary
// directory instead of /out.
func runDockerBuildCommand(root, cmd, goVersion string) (string, error) {
	if strings.Count(cmd, "/out/") != 1 {
		return "", errors.New("go build command must write exactly one file below /out/")
	}
	dir, err := os.MkdirTemp("", "tle-opscheck-")
	if err != nil {
		return "", err
	}
	cmd = strings.Replace(cmd, "/out/", dir+"/", 1)
	c := exec.Command("/bin/sh", "-c", cmd)
	c.Dir = root
	c.Env = append(os.Environ(), "TARGETOS=linux", "TARGETARCH="+runtime.GOARCH, "GOTOOLCHAIN=go"+goVersion)
	for k, v := range dockerBuildArgs {
		c.Env = append(c.Env, k+"="+v)
	}
	if out, err := c.CombinedOutput(); err != nil {
		return "", fmt.Errorf("Dockerfile build command failed: %w\n%s", err, out)
	}
	return filepath.Join(dir, "tencent_live_exporter"), nil
}
