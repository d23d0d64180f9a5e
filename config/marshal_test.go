package config

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/common/config"
	"go.yaml.in/yaml/v3"
)

// The secrets of these tests: none may appear in any output.
const (
	inlineSecret = "inline-SECRET-4f9a"
	fileSecret   = "file-SECRET-77c1"
	inlineToken  = "inline-TOKEN-0b3e"
	fileToken    = "file-TOKEN-9d21"
)

// outputs returns every way a Config can be rendered.
func outputs(t *testing.T, c *Config) map[string]string {
	t.Helper()
	out := map[string]string{"String": c.String()}
	y, err := yaml.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out["yaml.Marshal(*Config)"] = string(y)
	y, err = yaml.Marshal(*c)
	if err != nil {
		t.Fatal(err)
	}
	out["yaml.Marshal(Config)"] = string(y)
	j, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	out["json.Marshal"] = string(j)
	for i, a := range c.Apps {
		out[fmt.Sprintf("apps[%d] %%v", i)] = fmt.Sprintf("%v", a)
		out[fmt.Sprintf("apps[%d] %%+v value", i)] = fmt.Sprintf("%+v", *a)
		y, err := yaml.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		out[fmt.Sprintf("apps[%d] yaml", i)] = string(y)
	}
	out["config %v"] = fmt.Sprintf("%v", c)
	return out
}

func TestSecretsNeverShown(t *testing.T) {
	// Even with prometheus/common's switch to reveal secrets turned on.
	for _, reveal := range []bool{false, true} {
		t.Run(fmt.Sprintf("MarshalSecretValue=%v", reveal), func(t *testing.T) {
			defer func(old bool) { config.MarshalSecretValue = old }(config.MarshalSecretValue)
			config.MarshalSecretValue = reveal

			dir := t.TempDir()
			write(t, dir, "key", fileSecret+"\n\n")
			write(t, dir, "token", fileToken+"\n")
			c := mustParse(t, `apps:
  - sdkappid: 1
    region: usa
    identifier: admin
    secret_key_file: key
    webhook: {token: `+inlineToken+`}
  - sdkappid: 2
    region: usa
    identifier: admin
    secret_key: `+inlineSecret+`
    webhook: {token_file: token}
`, dir)
			if got := c.Apps[0].SecretKeyValue(); got != fileSecret {
				t.Errorf("secret_key_file not trimmed: %q", got)
			}
			if got := c.Apps[1].SecretKeyValue(); got != inlineSecret {
				t.Errorf("secret_key = %q", got)
			}
			if c.Apps[0].WebhookToken() != inlineToken || c.Apps[1].WebhookToken() != fileToken {
				t.Errorf("webhook tokens %q, %q", c.Apps[0].WebhookToken(), c.Apps[1].WebhookToken())
			}
			for how, s := range outputs(t, c) {
				for _, secret := range []string{fileSecret, inlineSecret, fileToken, inlineToken} {
					if strings.Contains(s, secret) {
						t.Errorf("%s shows a secret:\n%s", how, s)
					}
				}
			}
			s := c.String()
			if !strings.Contains(s, "secret_key: <secret>") || !strings.Contains(s, "token: <secret>") || strings.Count(s, "<secret>") != 2 {
				t.Errorf("String() should mask each inline secret once and show nothing for the files:\n%s", s)
			}
			if !strings.Contains(s, "token_file: "+filepath.Join(dir, "token")) {
				t.Errorf("String() should show the token file:\n%s", s)
			}
			if !strings.Contains(s, "secret_key_file: "+filepath.Join(dir, "key")) {
				t.Errorf("String() should show the key file:\n%s", s)
			}
		})
	}
}

func TestSecretsNotInErrors(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "key", fileSecret+"\n")
	write(t, dir, "long", strings.Repeat(fileSecret, 10)+"\n")
	configs := []string{
		// Other problems next to valid secrets.
		"apps:\n  - sdkappid: 1\n    region: mars\n    identifier: a\n    secret_key: " + inlineSecret + "\n    secret_key_file: key\n    qps: 0\n",
		// A secret given twice.
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key: " + inlineSecret + "\n    secret_key: " + inlineSecret + "\n",
		// A secret of the wrong type.
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key: {" + inlineSecret + ": " + inlineSecret + "}\n",
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key: [" + inlineSecret + "]\n",
		// A secret with an unknown key's name.
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secretkey: " + inlineSecret + "\n",
		// A secret in an endpoint's user info or query.
		"apps:\n  - sdkappid: 1\n    endpoint: https://u:" + inlineSecret + "@example.com\n    identifier: a\n    secret_key_file: key\n",
		"apps:\n  - sdkappid: 1\n    endpoint: https://example.com/?usersig=" + inlineSecret + "\n    identifier: a\n    secret_key_file: key\n",
		"apps:\n  - sdkappid: 1\n    endpoint: \"https://example.com/%zz" + inlineSecret + "\"\n    identifier: a\n    secret_key_file: key\n",
		// A secret in an unknown field of global.
		"global:\n  secret: " + inlineSecret + "\n",
		// Webhook tokens: too long, of the wrong type, twice, misnamed, in
		// place of the block.
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: key\n    webhook: {token: " + strings.Repeat(inlineSecret, 10) + "}\n",
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: key\n    webhook: {token: [" + inlineSecret + "]}\n",
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: key\n    webhook: {token: " + inlineSecret + ", token_file: key}\n",
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: key\n    webhook: {tokn: " + inlineSecret + "}\n",
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: key\n    webhook: " + inlineSecret + "\n",
		"apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: key\n    webhook: {token_file: long}\n",
	}
	for i, cfg := range configs {
		_, err := Parse([]byte(cfg), dir)
		if err == nil {
			t.Errorf("config %d: no error", i)
			continue
		}
		if s := err.Error(); strings.Contains(s, inlineSecret) || strings.Contains(s, fileSecret) {
			t.Errorf("config %d: the error shows a secret: %s", i, s)
		}
	}
}

func TestExampleConfig(t *testing.T) {
	// testdata/example.yml is the example of the documentation, shipped as
	// is. Its key file and room directory are absolute paths of a deployment:
	// point the key file at a temporary one.
	data, err := os.ReadFile("testdata/example.yml")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	key := write(t, dir, "tencent_live_key", fileSecret+"\n")
	const keyPath = "/run/secrets/tencent_live_key"
	if !strings.Contains(string(data), keyPath) {
		t.Fatalf("example.yml does not name %s", keyPath)
	}
	data = []byte(strings.ReplaceAll(string(data), keyPath, key))
	c := mustParse(t, string(data), dir)

	wantGlobal := Global{RefreshInterval: d("30s"), RequestTimeout: d("5s"), MaxRetries: 2, StaleAfter: d("90s")}
	if c.Global != wantGlobal {
		t.Errorf("global = %+v, want %+v", c.Global, wantGlobal)
	}
	want := App{
		SDKAppID: 1400000001, Region: "singapore", Identifier: "administrator",
		SecretKeyFile: key, SecretKey: fileSecret, UserSigTTL: d("24h"), QPS: 50,
		ProbeShare: 0.25, InfoRefreshInterval: d("150s"),
		Labels: map[string]string{"env": "prod"},
		Rooms: []Room{
			{ID: "live-room-1", Source: SourceConfig},
			{ID: "live-room-2", Labels: map[string]string{"team": "growth"}, Source: SourceConfig},
		},
		RoomFiles: []string{"/etc/tencent_live_exporter/rooms/*.yml"},
		Members:   APIBudget{QPS: 50},
		Stats:     APIBudget{QPS: 20},
		Discovery: Discovery{Interval: d("5m"), QPS: 2},
	}
	if len(c.Apps) != 1 {
		t.Fatalf("%d apps", len(c.Apps))
	}
	if got := exported(c.Apps[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("app = %+v\nwant  %+v", got, want)
	}
}

// TestRoundTrip checks that the effective configuration parses back to the
// same configuration.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "key", "k\n")
	write(t, dir, "sig", "sig")
	write(t, dir, "token", "tok\n")
	write(t, dir, "rooms/a.yml", "- f1\n- {id: f2, labels: {x: y}}\n")
	c := mustParse(t, `global:
  refresh_interval: 1m
  max_retries: 3
apps:
  - sdkappid: 1
    region: india
    identifier: admin
    secret_key_file: key
    usersig_ttl: 90m
    labels: {env: prod, team: a}
    rooms: [r1, {id: r2, labels: {tier: "1"}}]
    room_files: [rooms/*.yml]
    members: {enabled: true}
    discovery: {enabled: true, interval: 10m}
    webhook: {token_file: token}
  - sdkappid: 2
    endpoint: http://127.0.0.1:9/
    identifier: admin
    usersig_file: sig
    qps: 7
    max_concurrency: 3
    stats: {enabled: true, qps: 5}
`, dir)
	again := mustParse(t, c.String(), dir)
	if !reflect.DeepEqual(again.Global, c.Global) {
		t.Errorf("global: %+v, want %+v", again.Global, c.Global)
	}
	for i := range c.Apps {
		if got, want := exported(again.Apps[i]), exported(c.Apps[i]); !reflect.DeepEqual(got, want) {
			t.Errorf("apps[%d] = %+v\nwant %+v", i, got, want)
		}
	}
	if again.String() != c.String() {
		t.Errorf("second rendering differs:\n%s\n---\n%s", again, c)
	}
}
