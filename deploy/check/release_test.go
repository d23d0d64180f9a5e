package check

import (
	"os"
	"os/exec"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// releaseImageRepo is the repository the release workflow pushes the image to.
const releaseImageRepo = "ghcr.io/tencent-live-exporter/tencent_live_exporter"

// versionPkg is the package whose variables every build stamps.
const versionPkg = "github.com/prometheus/common/version"

// releaseVersion returns the VERSION file's version, e.g. "0.2.0".
func releaseVersion(t testing.TB) string {
	t.Helper()
	v := strings.TrimSpace(string(readRepoFile(t, "VERSION")))
	if !regexp.MustCompile(`^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$`).MatchString(v) {
		t.Fatalf("VERSION %q is not a semantic version", v)
	}
	return v
}

// releaseImage returns the image the release of VERSION publishes and the
// deployment files name.
func releaseImage(t testing.TB) string {
	return releaseImageRepo + ":v" + releaseVersion(t)
}

// ciGoVersion returns the Go version .ci/run builds and tests with, from its
// GOTOOLCHAIN, e.g. "1.27.3".
func ciGoVersion(t testing.TB) string {
	t.Helper()
	return submatch(t, ".ci/run", `(?m)^export GOTOOLCHAIN=go(\d+\.\d+\.\d+)$`)
}

// submatch returns the first group of re's first match in a repository file.
func submatch(t testing.TB, rel, re string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindSubmatch(readRepoFile(t, rel))
	if m == nil {
		t.Fatalf("%s: no match for %s", rel, re)
	}
	return string(m[1])
}

// licenseSPDX returns the SPDX identifier the LICENSE file declares.
func licenseSPDX(t testing.TB) string {
	t.Helper()
	return submatch(t, "LICENSE", `(?m)^SPDX-License-Identifier: (\S+)$`)
}

// gitOutput runs git in the repository and returns its trimmed output.
func gitOutput(t testing.TB, args ...string) string {
	t.Helper()
	cmd := exec.Command(lookTool(t, "git"), args...)
	cmd.Dir = repoRoot(t)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("git %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}

// makeVariables are the Makefile's variables a caller could set from the
// environment; makeCommand clears them so the Makefile's defaults apply.
var makeVariables = []string{"GOTOOLCHAIN", "GO", "BIN", "VERSION", "REVISION", "BRANCH", "BUILD_USER", "BUILD_DATE", "IMAGE", "IMAGE_TAG", "PLATFORMS", "MAKEFLAGS"}

// makeCommand returns `make ARGS...` run in the repository root with the
// Makefile's defaults.
func makeCommand(t testing.TB, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(lookTool(t, "make"), args...)
	cmd.Dir = repoRoot(t)
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(makeVariables, name) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	return cmd
}

// makeDryRun returns the commands `make -n TARGET` would run.
func makeDryRun(t testing.TB, target string, vars ...string) string {
	t.Helper()
	out, err := makeCommand(t, append([]string{"-n", target}, vars...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("make -n %s: %v\n%s", target, err, out)
	}
	return strings.TrimSpace(string(out))
}

// versionStamps returns the values a build command line gives the version
// package's variables with -X.
func versionStamps(cmd string) map[string]string {
	stamps := map[string]string{}
	re := regexp.MustCompile(`-X ` + regexp.QuoteMeta(versionPkg) + `\.(\w+)=(\S*)`)
	for _, m := range re.FindAllStringSubmatch(cmd, -1) {
		stamps[m[1]] = m[2]
	}
	return stamps
}

// versionOutput parses what `tencent_live_exporter --version` prints into
// its fields: version, branch, revision, build user, build date, go version,
// platform and tags.
func versionOutput(t testing.TB, out string) map[string]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	head := regexp.MustCompile(`^tencent_live_exporter, version (\S*) \(branch: (\S*), revision: (\S*)\)$`).FindStringSubmatch(lines[0])
	if head == nil {
		t.Fatalf("--version: unexpected first line:\n%s", out)
	}
	fields := map[string]string{"version": head[1], "branch": head[2], "revision": head[3]}
	field := regexp.MustCompile(`^\s+([a-z ]+):\s+(\S*)$`)
	for _, l := range lines[1:] {
		m := field.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("--version: unexpected line %q in:\n%s", l, out)
		}
		fields[m[1]] = m[2]
	}
	return fields
}

// checkVersionOutput runs bin --version and compares the fields in want; a
// "build date" of "recent" must be an RFC 3339 time of the last hour.
func checkVersionOutput(t testing.TB, bin string, want map[string]string) {
	t.Helper()
	out, err := exec.Command(bin, "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s --version: %v\n%s", bin, err, out)
	}
	got := versionOutput(t, string(out))
	for k, v := range want {
		if k == "build date" && v == "recent" {
			d, err := time.Parse(time.RFC3339, got[k])
			if err != nil || time.Since(d) > time.Hour || time.Until(d) > time.Minute {
				t.Errorf("--version build date %q, want an RFC 3339 time of the last hour", got[k])
			}
			continue
		}
		if got[k] != v {
			t.Errorf("--version %s = %q, want %q", k, got[k], v)
		}
	}
	t.Logf("%s --version:\n%s", path.Base(bin), out)
}

// TestGoVersionsAgree checks that every build (make, the Dockerfile,
// goreleaser, the release workflow) uses the Go that CI tests with.
func TestGoVersionsAgree(t *testing.T) {
	want := ciGoVersion(t)
	got := map[string]string{
		"Dockerfile ARG GO_VERSION":    dockerGlobalArgs(t)["GO_VERSION"],
		"Makefile GOTOOLCHAIN":         submatch(t, "Makefile", `(?m)^GOTOOLCHAIN \?= go(\S+)$`),
		".goreleaser.yaml GOTOOLCHAIN": submatch(t, ".goreleaser.yaml", `(?m)^\s+- GOTOOLCHAIN=go(\S+)$`),
		"release workflow GOTOOLCHAIN": submatch(t, ".github/workflows/release.yml", `(?m)^\s+GOTOOLCHAIN: go(\S+)$`),
	}
	for where, v := range got {
		if v != want {
			t.Errorf("%s is %q, .ci/run builds with go%s", where, v, want)
		}
	}
	opsGoreleaser := submatch(t, ".ci/ops-checks", `(?m)^GORELEASER_VERSION=(\S+)$`)
	if wf := submatch(t, ".github/workflows/release.yml", `(?m)^\s+GORELEASER_VERSION: (\S+)$`); wf != opsGoreleaser {
		t.Errorf("the release workflow installs goreleaser %s, .ci/ops-checks checks with %s", wf, opsGoreleaser)
	}
}

// goreleaserConfig is the part of .goreleaser.yaml the tests read.
type goreleaserConfig struct {
	Builds []struct {
		ID      string   `json:"id"`
		Env     []string `json:"env"`
		Goos    []string `json:"goos"`
		Goarch  []string `json:"goarch"`
		Flags   []string `json:"flags"`
		Ldflags []string `json:"ldflags"`
	} `json:"builds"`
}

// TestVersionStampsAgree checks that make, the Dockerfile and goreleaser
// stamp the same variables of the version package, build static binaries
// without local paths and strip them alike.
func TestVersionStampsAgree(t *testing.T) {
	dockerCmd, _ := goBuildCommand(t, dockerStages(t))
	var gr goreleaserConfig
	if err := yaml.Unmarshal(readRepoFile(t, ".goreleaser.yaml"), &gr); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if len(gr.Builds) != 1 {
		t.Fatalf(".goreleaser.yaml: %d builds, want 1", len(gr.Builds))
	}
	b := gr.Builds[0]
	commands := map[string]string{
		"make build": makeDryRun(t, "build"),
		"Dockerfile": dockerCmd,
		".goreleaser.yaml": strings.Join(append(append(append([]string{}, b.Env...), b.Flags...), b.Ldflags...), " ") +
			" (GOOS " + strings.Join(b.Goos, ",") + " GOARCH " + strings.Join(b.Goarch, ",") + ")",
	}
	for where, cmd := range commands {
		stamps := versionStamps(cmd)
		for _, v := range []string{"Version", "Revision", "Branch", "BuildUser", "BuildDate"} {
			if stamps[v] == "" {
				t.Errorf("%s does not set %s.%s: %s", where, versionPkg, v, cmd)
			}
		}
		for _, flag := range []string{"CGO_ENABLED=0", "-trimpath", "-s -w"} {
			if !strings.Contains(cmd, flag) {
				t.Errorf("%s lacks %s: %s", where, flag, cmd)
			}
		}
	}
	if got := strings.Join(b.Goos, ",") + " " + strings.Join(b.Goarch, ","); got != "linux,darwin,windows amd64,arm64" {
		t.Errorf(".goreleaser.yaml builds for %s, want linux,darwin,windows × amd64,arm64", got)
	}
}

// TestMakeBuild runs `make build` and checks that --version shows what it
// stamped: the VERSION file, the commit and branch, user@host, an RFC 3339
// build date, and the Go that CI uses.
func TestMakeBuild(t *testing.T) {
	bin := t.TempDir() + "/tencent_live_exporter"
	if out, err := makeCommand(t, "build", "BIN="+bin).CombinedOutput(); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	checkVersionOutput(t, bin, map[string]string{
		"version":    releaseVersion(t),
		"revision":   gitOutput(t, "rev-parse", "HEAD"),
		"branch":     gitOutput(t, "rev-parse", "--abbrev-ref", "HEAD"),
		"build date": "recent",
		"go version": "go" + ciGoVersion(t),
		"platform":   runtime.GOOS + "/" + runtime.GOARCH,
	})
	out, _ := exec.Command(bin, "--version").CombinedOutput()
	if user := versionOutput(t, string(out))["build user"]; !regexp.MustCompile(`^\S+@\S+$`).MatchString(user) {
		t.Errorf("--version build user %q, want user@host", user)
	}
}

// TestMakeImage checks the docker commands of `make image` and `make
// image-push` without running them (no Docker engine here): every build
// argument is one the Dockerfile declares, the values are those `make build`
// stamps, and the tag is the release image the manifests name.
func TestMakeImage(t *testing.T) {
	declared := dockerGlobalArgs(t)
	const date = "2026-01-02T03:04:05Z"
	for target, prefix := range map[string]string{
		"image":      "docker build ",
		"image-push": "docker buildx build --platform linux/amd64,linux/arm64 ",
	} {
		cmd := makeDryRun(t, target, "BUILD_DATE="+date)
		if !strings.HasPrefix(cmd, prefix) || !strings.HasSuffix(cmd, " .") {
			t.Errorf("make %s runs %q, want %q... .", target, cmd, prefix)
		}
		if target == "image-push" && !strings.Contains(cmd, " --push ") {
			t.Errorf("make image-push does not push: %s", cmd)
		}
		args := map[string]string{}
		tag := ""
		fields := strings.Fields(cmd)
		for i := 0; i+1 < len(fields); i++ {
			switch fields[i] {
			case "--build-arg":
				k, v, _ := strings.Cut(fields[i+1], "=")
				args[k] = v
				if _, ok := declared[k]; !ok {
					t.Errorf("make %s passes --build-arg %s, which the Dockerfile does not declare before its first FROM", target, k)
				}
			case "-t":
				tag = fields[i+1]
			}
		}
		want := map[string]string{
			"VERSION":    releaseVersion(t),
			"REVISION":   gitOutput(t, "rev-parse", "HEAD"),
			"BRANCH":     gitOutput(t, "rev-parse", "--abbrev-ref", "HEAD"),
			"BUILD_DATE": date,
		}
		for k, v := range want {
			if args[k] != v {
				t.Errorf("make %s: --build-arg %s=%q, want %q", target, k, args[k], v)
			}
		}
		if tag != releaseImage(t) {
			t.Errorf("make %s tags %q, want %s", target, tag, releaseImage(t))
		}
	}
}

// TestManifestsNameReleaseImage checks that the kustomization and the Compose
// file name the image the release publishes; checkKubeObjects checks the
// Deployment, before and after kustomize.
func TestManifestsNameReleaseImage(t *testing.T) {
	want := releaseImage(t)
	k := loadKustomization(t)
	if len(k.Images) != 1 || k.Images[0].Name+":"+k.Images[0].NewTag != want || k.Images[0].NewName != "" {
		t.Errorf("kustomization.yaml images %+v, want %s", k.Images, want)
	}
	var compose struct {
		Services map[string]struct {
			Image string `json:"image"`
		} `json:"services"`
	}
	if err := yaml.Unmarshal(readRepoFile(t, "deploy/docker-compose.yml"), &compose); err != nil {
		t.Fatal(err)
	}
	if got := compose.Services["exporter"].Image; got != want {
		t.Errorf("docker-compose.yml exporter image %s, want %s", got, want)
	}
}

// checkReleaseImage checks that every container of a pod runs the image the
// release publishes.
func checkReleaseImage(t *testing.T, pod corev1.PodSpec) {
	t.Helper()
	for _, c := range pod.Containers {
		if c.Image != releaseImage(t) {
			t.Errorf("container %s runs %s, want the release image %s", c.Name, c.Image, releaseImage(t))
		}
	}
}

// TestReleaseWorkflow checks the parts of the release workflow the other
// files rely on: it runs on version tags, may push packages, takes the notes
// from `make release-notes` and publishes the image with `make image-push`.
func TestReleaseWorkflow(t *testing.T) {
	var wf struct {
		// sigs.k8s.io/yaml reads YAML 1.1, where the key on is the boolean
		// true; GitHub reads it as "on".
		On struct {
			Push struct {
				Tags []string `json:"tags"`
			} `json:"push"`
		} `json:"true"`
		Permissions map[string]string `json:"permissions"`
		Jobs        map[string]struct {
			Steps []struct {
				Uses string `json:"uses"`
				Run  string `json:"run"`
			} `json:"steps"`
		} `json:"jobs"`
	}
	if err := yaml.Unmarshal(readRepoFile(t, ".github/workflows/release.yml"), &wf); err != nil {
		t.Fatalf("release.yml: %v", err)
	}
	if len(wf.On.Push.Tags) != 1 || wf.On.Push.Tags[0] != "v*" {
		t.Errorf("release.yml runs on tags %v, want v*", wf.On.Push.Tags)
	}
	if wf.Permissions["contents"] != "write" || wf.Permissions["packages"] != "write" {
		t.Errorf("release.yml permissions %v, want contents and packages write", wf.Permissions)
	}
	var runs []string
	for _, j := range wf.Jobs {
		for _, s := range j.Steps {
			runs = append(runs, s.Run)
		}
	}
	all := strings.Join(runs, "\n")
	for _, want := range []string{
		`test "$GITHUB_REF_NAME" = "v$(cat VERSION)"`,
		"make release-notes >",
		`goreleaser" release --clean --release-notes`,
		"make image-push",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("release.yml does not run %q", want)
		}
	}
}

// TestChangelog checks CHANGELOG.md's form (dated entries newest first, each
// line marked with its kind), that VERSION has an entry, and that `make
// release-notes` prints exactly the entry of a dated version and refuses an
// undated or missing one.
func TestChangelog(t *testing.T) {
	heading := regexp.MustCompile(`^## (\d+\.\d+\.\d+) / (\d{4}-\d{2}-\d{2}|unreleased)$`)
	item := regexp.MustCompile(`^\* \[(CHANGE|FEATURE|ENHANCEMENT|BUGFIX|SECURITY)\] \S`)
	type entry struct {
		version, date string
		body          []string
	}
	var entries []entry
	for i, l := range strings.Split(string(readRepoFile(t, "CHANGELOG.md")), "\n") {
		switch {
		case strings.HasPrefix(l, "## "):
			m := heading.FindStringSubmatch(l)
			if m == nil {
				t.Errorf("CHANGELOG.md:%d: heading %q, want ## <version> / <YYYY-MM-DD or unreleased>", i+1, l)
				continue
			}
			entries = append(entries, entry{version: m[1], date: m[2]})
		case len(entries) > 0:
			if strings.HasPrefix(l, "*") && !item.MatchString(l) {
				t.Errorf("CHANGELOG.md:%d: %q is not marked [CHANGE], [FEATURE], [ENHANCEMENT], [BUGFIX] or [SECURITY]", i+1, l)
			}
			entries[len(entries)-1].body = append(entries[len(entries)-1].body, l)
		}
	}
	found := false
	for i, e := range entries {
		found = found || e.version == releaseVersion(t)
		if e.date == "unreleased" && i != 0 {
			t.Errorf("CHANGELOG.md: %s is unreleased but not the newest entry", e.version)
		}
		if i > 0 && e.date != "unreleased" && entries[i-1].date != "unreleased" && e.date > entries[i-1].date {
			t.Errorf("CHANGELOG.md: %s (%s) is listed after %s (%s)", e.version, e.date, entries[i-1].version, entries[i-1].date)
		}
		out, err := makeCommand(t, "--no-print-directory", "release-notes", "VERSION="+e.version).Output()
		if e.date == "unreleased" {
			if err == nil {
				t.Errorf("make release-notes VERSION=%s succeeded for an unreleased entry", e.version)
			}
			continue
		}
		if err != nil {
			t.Errorf("make release-notes VERSION=%s: %v", e.version, err)
		}
		if got, want := strings.TrimSpace(string(out)), strings.TrimSpace(strings.Join(e.body, "\n")); got != want {
			t.Errorf("make release-notes VERSION=%s printed\n%s\nwant\n%s", e.version, got, want)
		}
	}
	if !found {
		t.Errorf("CHANGELOG.md has no entry for VERSION %s", releaseVersion(t))
	}
	if err := makeCommand(t, "release-notes", "VERSION=0.0.0").Run(); err == nil {
		t.Error("make release-notes succeeded for a version CHANGELOG.md does not list")
	}
}
