package check

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/elf"
	"debug/macho"
	"debug/pe"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestGoreleaserSnapshot builds a snapshot release with goreleaser and the
// repository's .goreleaser.yaml into a temporary directory, then checks what
// a release would publish: an archive per platform (zip on Windows) holding
// the binary, LICENSE, README.md and CHANGELOG.md; binaries of the right
// format and architecture, statically linked and stamped with the snapshot
// version; checksums that match; and --version of the binary for this
// machine.
//
// It compiles the exporter for six platforms, minutes on a new machine, so it
// runs only with OPS_CHECKS_GORELEASER=1 (.ci/ops-checks sets it once it has
// installed goreleaser).
func TestGoreleaserSnapshot(t *testing.T) {
	if os.Getenv("OPS_CHECKS_GORELEASER") != "1" {
		t.Skip("set OPS_CHECKS_GORELEASER=1 to build a goreleaser snapshot (minutes)")
	}
	goreleaser := lookTool(t, "goreleaser")
	root := repoRoot(t)
	tmp := t.TempDir()
	dist := filepath.Join(tmp, "dist")
	config := filepath.Join(tmp, "goreleaser.yaml")
	if err := os.WriteFile(config, append(readRepoFile(t, ".goreleaser.yaml"), "\ndist: "+dist+"\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, goreleaser, "release", "--snapshot", "--clean", "--config", config)
	cmd.Dir = root
	cmd.Env = os.Environ()
	if gitOutput(t, "remote") == "" {
		// goreleaser reads the remote's URL and, without one, takes none of
		// the commit's details (a worktree or a local repository has none).
		cmd.Env = append(cmd.Env, "GIT_CONFIG_COUNT=1",
			"GIT_CONFIG_KEY_0=remote.origin.url", "GIT_CONFIG_VALUE_0=https://"+ExporterModule+".git")
	}
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("goreleaser release --snapshot: %v\n%s", err, tail(out, 8192))
	}
	t.Logf("goreleaser release --snapshot took %v", time.Since(start).Round(time.Second))

	version := releaseVersion(t) + "-snapshot-" + gitOutput(t, "rev-parse", "--short", "HEAD")
	sums := readChecksums(t, filepath.Join(dist, "sha256sums.txt"))
	docs := []string{"LICENSE", "README.md", "CHANGELOG.md"}
	var archives []string
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			dir := fmt.Sprintf("tencent_live_exporter-%s.%s-%s", version, goos, goarch)
			name, bin := dir+".tar.gz", "tencent_live_exporter"
			if goos == "windows" {
				name, bin = dir+".zip", "tencent_live_exporter.exe"
			}
			archives = append(archives, name)
			data, err := os.ReadFile(filepath.Join(dist, name))
			if err != nil {
				t.Errorf("archive for %s/%s: %v", goos, goarch, err)
				continue
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); sums[name] != got {
				t.Errorf("sha256sums.txt lists %s as %q, its SHA-256 is %s", name, sums[name], got)
			}
			files := archiveFiles(t, name, data)
			for _, doc := range docs {
				if !bytes.Equal(files[path.Join(dir, doc)], readRepoFile(t, doc)) {
					t.Errorf("%s: %s missing or not the repository's", name, path.Join(dir, doc))
				}
			}
			exe, ok := files[path.Join(dir, bin)]
			if !ok {
				t.Errorf("%s has no %s; it holds %v", name, path.Join(dir, bin), keys(files))
				continue
			}
			if len(files) != len(docs)+1 {
				t.Errorf("%s holds %v, want the binary and %v only", name, keys(files), docs)
			}
			checkBinary(t, name, goos, goarch, exe, version)
			if goos == runtime.GOOS && goarch == runtime.GOARCH {
				exePath := filepath.Join(tmp, bin)
				if err := os.WriteFile(exePath, exe, 0o755); err != nil {
					t.Fatal(err)
				}
				checkVersionOutput(t, exePath, map[string]string{
					"version":    version,
					"revision":   gitOutput(t, "rev-parse", "HEAD"),
					"branch":     gitOutput(t, "rev-parse", "--abbrev-ref", "HEAD"),
					"build user": "goreleaser",
					"build date": "recent",
					"go version": "go" + ciGoVersion(t),
					"platform":   goos + "/" + goarch,
				})
			}
		}
	}
	if len(sums) != len(archives) {
		t.Errorf("sha256sums.txt lists %v, want the %d archives %v", keys(sums), len(archives), archives)
	}
}

// readChecksums reads a sha256sum-style file into file name -> hex digest.
func readChecksums(t *testing.T, file string) map[string]string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		sum, name, ok := strings.Cut(l, "  ")
		if !ok {
			t.Fatalf("%s: malformed line %q", filepath.Base(file), l)
		}
		sums[name] = sum
	}
	return sums
}

// archiveFiles returns the regular files of a .tar.gz or .zip archive by
// path.
func archiveFiles(t *testing.T, name string, data []byte) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	if strings.HasSuffix(name, ".zip") {
		zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range zr.File {
			if f.FileInfo().IsDir() {
				continue
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatalf("%s: %s: %v", name, f.Name, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatalf("%s: %s: %v", name, f.Name, err)
			}
			files[f.Name] = b
		}
		return files
	}
	gz, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("%s: %s: %v", name, h.Name, err)
		}
		files[h.Name] = b
	}
}

// checkBinary checks that exe is an executable for goos/goarch, statically
// linked, and carries the version it was stamped with.
func checkBinary(t *testing.T, archive, goos, goarch string, exe []byte, version string) {
	t.Helper()
	r := bytes.NewReader(exe)
	var arch string
	switch goos {
	case "linux":
		f, err := elf.NewFile(r)
		if err != nil {
			t.Errorf("%s: binary is not ELF: %v", archive, err)
			return
		}
		arch = map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
		for _, p := range f.Progs {
			if p.Type == elf.PT_INTERP {
				t.Errorf("%s: binary has an ELF interpreter: not statically linked", archive)
			}
		}
		if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
			t.Errorf("%s: binary links %v: not static", archive, libs)
		}
	case "darwin":
		f, err := macho.NewFile(r)
		if err != nil {
			t.Errorf("%s: binary is not Mach-O: %v", archive, err)
			return
		}
		arch = map[macho.Cpu]string{macho.CpuAmd64: "amd64", macho.CpuArm64: "arm64"}[f.Cpu]
	case "windows":
		f, err := pe.NewFile(r)
		if err != nil {
			t.Errorf("%s: binary is not PE: %v", archive, err)
			return
		}
		arch = map[uint16]string{pe.IMAGE_FILE_MACHINE_AMD64: "amd64", pe.IMAGE_FILE_MACHINE_ARM64: "arm64"}[f.Machine]
	}
	if arch != goarch {
		t.Errorf("%s: binary is for %q, want %s", archive, arch, goarch)
	}
	if !bytes.Contains(exe, []byte(version)) {
		t.Errorf("%s: binary does not carry the version %s", archive, version)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
