package config

import (
	"bytes"
	"os"
	"testing"
)

// FuzzParse checks that no input makes Parse panic, and that every valid
// configuration renders to YAML that parses back to the same rendering.
// Inputs that name files are skipped so that fuzzing never reads the disk.
func FuzzParse(f *testing.F) {
	f.Add([]byte(baseApp))
	f.Add([]byte(withApp("    labels: {env: prod}\n    rooms: [a, {id: b, labels: {team: x}}, 007]\n")))
	f.Add([]byte("global:\n  refresh_interval: 1m\n  stale_after: 5m\n" + baseApp))
	f.Add([]byte(withApp("    members: {enabled: true, qps: 10}\n    stats: {qps: 5}\n    discovery: {interval: 1h}\n")))
	f.Add([]byte("apps:\n  - &a {sdkappid: 1, region: usa, identifier: x, secret_key: k}\n  - *a\n"))
	if data, err := os.ReadFile("testdata/example.yml"); err == nil {
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte("file")) || bytes.Contains(data, []byte(`\`)) {
			t.Skip()
		}
		c, err := Parse(data, t.TempDir())
		if err != nil {
			_ = err.Error()
			return
		}
		s := c.String()
		again, err := Parse([]byte(s), t.TempDir())
		if err != nil {
			t.Fatalf("the rendering of a valid config does not parse: %v\n%s", err, s)
		}
		if again.String() != s {
			t.Fatalf("rendering changed:\n%s\n---\n%s", s, again.String())
		}
	})
}
