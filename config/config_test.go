package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// baseApp is a valid app; tests append lines to it from line 6 on.
const baseApp = `apps:
  - sdkappid: 1400000001
    region: singapore
    identifier: administrator
    secret_key: k
`

// withApp returns baseApp followed by extra lines (indented by the caller).
func withApp(extra string) string { return baseApp + extra }

// exported returns a copy of a without its unexported fields, for comparing
// with an expected App.
func exported(a *App) App {
	return App{
		SDKAppID: a.SDKAppID, Region: a.Region, Endpoint: a.Endpoint, Identifier: a.Identifier,
		SecretKeyFile: a.SecretKeyFile, SecretKey: a.SecretKey, UserSigFile: a.UserSigFile,
		UserSigTTL: a.UserSigTTL, QPS: a.QPS, MaxConcurrency: a.MaxConcurrency, ProbeShare: a.ProbeShare,
		InfoRefreshInterval: a.InfoRefreshInterval, Labels: a.Labels,
		Rooms: a.Rooms, RoomFiles: a.RoomFiles, Members: a.Members, Stats: a.Stats, Discovery: a.Discovery,
		Webhook: a.Webhook,
	}
}

// write creates a file below dir, with its parent directories.
func write(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustParse(t *testing.T, data, dir string) *Config {
	t.Helper()
	c, err := Parse([]byte(data), dir)
	if err != nil {
		t.Fatalf("Parse: unexpected error:\n%v", err)
	}
	return c
}

func d(s string) model.Duration {
	v, err := model.ParseDuration(s)
	if err != nil {
		panic(err)
	}
	return v
}

func TestDefaults(t *testing.T) {
	c := mustParse(t, baseApp, "")
	wantGlobal := Global{RefreshInterval: d("30s"), RequestTimeout: d("5s"), MaxRetries: 2, StaleAfter: d("90s")}
	if c.Global != wantGlobal {
		t.Errorf("global = %+v, want %+v", c.Global, wantGlobal)
	}
	want := App{
		SDKAppID:   1400000001,
		Region:     "singapore",
		Identifier: "administrator",
		SecretKey:  "k",
		UserSigTTL: d("24h"),
		QPS:        50,
		ProbeShare: 0.25,
		// Five refresh intervals.
		InfoRefreshInterval: d("150s"),
		Members:             APIBudget{Enabled: false, QPS: 50},
		Stats:               APIBudget{Enabled: false, QPS: 20},
		Discovery:           Discovery{Enabled: false, Interval: d("5m"), QPS: 2},
	}
	if len(c.Apps) != 1 {
		t.Fatalf("got %d apps, want 1", len(c.Apps))
	}
	if got := exported(c.Apps[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("app = %+v\nwant  %+v", got, want)
	}
	if c.App(1400000001) != c.Apps[0] || c.App(1) != nil {
		t.Error("App lookup by SDKAppID is wrong")
	}
}

func TestStaleAfterFollowsRefreshInterval(t *testing.T) {
	c := mustParse(t, "global:\n  refresh_interval: 1m\n"+baseApp, "")
	if c.Global.StaleAfter != d("3m") {
		t.Errorf("stale_after = %s, want 3m", c.Global.StaleAfter)
	}
	c = mustParse(t, "global:\n  refresh_interval: 1m\n  stale_after: 1m\n"+baseApp, "")
	if c.Global.StaleAfter != d("1m") {
		t.Errorf("stale_after = %s, want 1m", c.Global.StaleAfter)
	}
}

func TestSettings(t *testing.T) {
	c := mustParse(t, `global:
  refresh_interval: 1m
  request_timeout: 10s
  max_retries: 0
  stale_after: 10m
apps:
  - sdkappid: 20001234
    endpoint: http://127.0.0.1:8080/prefix/
    identifier: 12345
    secret_key: "0123"
    usersig_ttl: 2h
    qps: 200
    max_concurrency: 8
    probe_share: 0.1
    info_refresh_interval: 10m
    labels: {env: prod, tier: "1"}
    members: {enabled: true, qps: 200}
    stats: {enabled: true}
    discovery: {enabled: true, interval: 1m, qps: 10}
    webhook: {token: callback-token}
  - sdkappid: 20001235
    region: china
    identifier: admin
    usersig_file: `+os.Args[0]+`
`, "")
	if want := (Global{RefreshInterval: d("1m"), RequestTimeout: d("10s"), MaxRetries: 0, StaleAfter: d("10m")}); c.Global != want {
		t.Errorf("global = %+v, want %+v", c.Global, want)
	}
	want := App{
		SDKAppID: 20001234, Endpoint: "http://127.0.0.1:8080/prefix/", Identifier: "12345",
		SecretKey: "0123", UserSigTTL: d("2h"), QPS: 200, MaxConcurrency: 8,
		ProbeShare: 0.1, InfoRefreshInterval: d("10m"),
		Labels:    map[string]string{"env": "prod", "tier": "1"},
		Members:   APIBudget{Enabled: true, QPS: 200},
		Stats:     APIBudget{Enabled: true, QPS: 20},
		Discovery: Discovery{Enabled: true, Interval: d("1m"), QPS: 10},
		Webhook:   &Webhook{Token: "callback-token"},
	}
	if got := exported(c.Apps[0]); !reflect.DeepEqual(got, want) {
		t.Errorf("app = %+v\nwant  %+v", got, want)
	}
	a := c.Apps[1]
	if a.Webhook != nil || a.WebhookToken() != "" {
		t.Errorf("app without webhook: %+v", a.Webhook)
	}
	if a.UserSigFile != os.Args[0] || a.UserSigTTL != 0 || a.SecretKeyValue() != "" {
		t.Errorf("usersig app: file %q ttl %s key set %v", a.UserSigFile, a.UserSigTTL, a.SecretKeyValue() != "")
	}
	if a.Region != "china" || a.Endpoint != "" {
		t.Errorf("usersig app: region %q endpoint %q", a.Region, a.Endpoint)
	}
}

func TestWebhookToken(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "token", "from-file\n")
	longest := strings.Repeat("é", MaxWebhookTokenLength)
	write(t, dir, "longest", longest)
	c := mustParse(t, `apps:
  - {sdkappid: 1, region: usa, identifier: a, secret_key: k, webhook: {token: `+longest+`}}
  - {sdkappid: 2, region: usa, identifier: a, secret_key: k, webhook: {token_file: token}}
  - {sdkappid: 3, region: usa, identifier: a, secret_key: k, webhook: {token_file: longest}}
  - {sdkappid: 4, region: usa, identifier: a, secret_key: k, webhook: }
`, dir)
	for i, want := range []Webhook{
		{Token: config.Secret(longest)},
		{TokenFile: filepath.Join(dir, "token"), Token: "from-file"},
		{TokenFile: filepath.Join(dir, "longest"), Token: config.Secret(longest)},
	} {
		if w := c.Apps[i].Webhook; w == nil || *w != want || c.Apps[i].WebhookToken() != string(want.Token) {
			t.Errorf("apps[%d].webhook = %+v, want %+v", i, w, want)
		}
	}
	if w := c.Apps[3].Webhook; w != nil {
		t.Errorf("an empty webhook key gave %+v", w)
	}
}

func TestRooms(t *testing.T) {
	c := mustParse(t, withApp(`    labels: {env: prod}
    rooms:
      - live-room-1
      - id: live-room-2
        labels: {team: growth}
      - 12345
      - id: 007
`), "")
	want := []Room{
		{ID: "live-room-1", Source: SourceConfig},
		{ID: "live-room-2", Labels: map[string]string{"team": "growth"}, Source: SourceConfig},
		{ID: "12345", Source: SourceConfig},
		{ID: "007", Source: SourceConfig},
	}
	if !reflect.DeepEqual(c.Apps[0].Rooms, want) {
		t.Errorf("rooms = %+v\nwant    %+v", c.Apps[0].Rooms, want)
	}
}

func TestErrors(t *testing.T) {
	keyDir := t.TempDir()
	emptyKey := write(t, keyDir, "empty", " \n")
	goodToken := write(t, keyDir, "token", "t\n")
	longToken := write(t, keyDir, "long", strings.Repeat("é", 129)+"\n")
	tests := []struct {
		name, config, want string
	}{
		// Document level.
		{"empty document", "", "apps: at least one app is required"},
		{"comment only", "# nothing\n", "apps: at least one app is required"},
		{"no apps", "global:\n  max_retries: 1\n", "apps: at least one app is required"},
		{"empty apps", "apps: []\n", "line 1: apps: at least one app is required"},
		{"document not a mapping", "- a\n", "line 1: must be a mapping, got a list"},
		{"syntax error", "apps:\n  - sdkappid: 1\n  qps 5\n", "line 3: invalid YAML: could not find expected ':'"},
		{"two documents", baseApp + "---\napps: []\n", "line 6: only one YAML document is allowed"},
		{"unknown top-level key", baseApp + "scrape: 1\n", "line 6: scrape: unknown field; expected one of global, apps"},
		{"duplicate top-level key", "global: {}\nglobal: {}\n" + baseApp, "line 2: global: duplicate key, first defined at line 1"},

		// Global.
		{"global wrong type", "global: 5\n" + baseApp, "line 1: global: must be a mapping, got integer 5"},
		{"unknown global key", "global:\n  refresh: 1m\n" + baseApp,
			"line 2: global.refresh: unknown field; expected one of refresh_interval, request_timeout, max_retries, stale_after"},
		{"bad duration", "global:\n  refresh_interval: 30\n" + baseApp,
			`line 2: global.refresh_interval: must be a duration such as 30s or 5m, got "30"`},
		{"bad duration unit", "global:\n  refresh_interval: 30 s\n" + baseApp,
			`line 2: global.refresh_interval: must be a duration such as 30s or 5m, got "30 s"`},
		{"duration not a scalar", "global:\n  refresh_interval: [30s]\n" + baseApp,
			`line 2: global.refresh_interval: must be a duration such as 30s or 5m, got a list`},
		{"zero duration", "global:\n  refresh_interval: 0s\n" + baseApp, "line 2: global.refresh_interval: must be > 0, got 0s"},
		{"request_timeout = refresh_interval", "global:\n  refresh_interval: 30s\n  request_timeout: 30s\n" + baseApp,
			"line 3: global.request_timeout: must be < refresh_interval (30s), got 30s"},
		{"request_timeout > refresh_interval", "global:\n  request_timeout: 1m\n" + baseApp,
			"line 2: global.request_timeout: must be < refresh_interval (30s), got 1m"},
		{"refresh_interval below default request_timeout", "global:\n  refresh_interval: 5s\n" + baseApp,
			"line 2: global.refresh_interval: must be > request_timeout (5s), got 5s"},
		{"stale_after < refresh_interval", "global:\n  stale_after: 10s\n" + baseApp,
			"line 2: global.stale_after: must be >= refresh_interval (30s), got 10s"},
		{"max_retries too high", "global:\n  max_retries: 11\n" + baseApp, "line 2: global.max_retries: must be 0..10, got 11"},
		{"max_retries negative", "global:\n  max_retries: -1\n" + baseApp, "line 2: global.max_retries: must be 0..10, got -1"},

		// App fields.
		{"apps not a list", "apps:\n  sdkappid: 1\n", "line 2: apps: must be a list, got a mapping"},
		{"app not a mapping", "apps:\n  - 1400000001\n", "line 2: apps[0]: must be a mapping, got integer 1400000001"},
		{"unknown app key", withApp("    sdkapid: 1\n"),
			"line 6: apps[0].sdkapid: unknown field; expected one of sdkappid, region, endpoint, identifier, secret_key_file, secret_key, usersig_file, usersig_ttl, qps, max_concurrency, probe_share, info_refresh_interval, labels, rooms, room_files, members, stats, discovery, webhook"},
		{"duplicate app key", withApp("    qps: 10\n    qps: 20\n"), "line 7: apps[0].qps: duplicate key, first defined at line 6"},
		{"qps 500", withApp("    qps: 500\n"), "line 6: apps[0].qps: must be 1..200, got 500"},
		{"qps 0", withApp("    qps: 0\n"), "line 6: apps[0].qps: must be 1..200, got 0"},
		{"qps string", withApp("    qps: fast\n"), `line 6: apps[0].qps: must be an integer, got string "fast"`},
		{"qps quoted", withApp("    qps: \"50\"\n"), `line 6: apps[0].qps: must be an integer, got string "50"`},
		{"qps float", withApp("    qps: 50.5\n"), "line 6: apps[0].qps: must be an integer, got number 50.5"},
		{"qps overflow", withApp("    qps: 99999999999999999999\n"), "line 6: apps[0].qps: must be an integer, got number 99999999999999999999"},
		{"integer out of range", withApp("    max_concurrency: 9223372036854775808\n"), "line 6: apps[0].max_concurrency: integer 9223372036854775808 is out of range"},
		{"max_concurrency negative", withApp("    max_concurrency: -1\n"), "line 6: apps[0].max_concurrency: must be >= 0, got -1"},
		{"probe_share zero", withApp("    probe_share: 0\n"), "line 6: apps[0].probe_share: must be > 0 and <= 1, got 0"},
		{"probe_share above 1", withApp("    probe_share: 1.5\n"), "line 6: apps[0].probe_share: must be > 0 and <= 1, got 1.5"},
		{"probe_share string", withApp("    probe_share: half\n"), `line 6: apps[0].probe_share: must be a number, got string "half"`},
		{"probe_share nan", withApp("    probe_share: .nan\n"), "line 6: apps[0].probe_share: must be > 0 and <= 1, got .nan"},
		{"info_refresh_interval below refresh_interval", "global:\n  refresh_interval: 1m\n" + withApp("    info_refresh_interval: 30s\n"),
			"line 8: apps[0].info_refresh_interval: must be >= refresh_interval (1m), got 30s"},
		{"sdkappid missing", "apps:\n  - region: singapore\n    identifier: a\n    secret_key: k\n", "line 2: apps[0].sdkappid: required"},
		{"sdkappid zero", "apps:\n  - sdkappid: 0\n    region: singapore\n    identifier: a\n    secret_key: k\n", "line 2: apps[0].sdkappid: must be > 0, got 0"},
		{"sdkappid string", "apps:\n  - sdkappid: abc\n    region: singapore\n    identifier: a\n    secret_key: k\n", `line 2: apps[0].sdkappid: must be an integer, got string "abc"`},
		{"duplicate sdkappid", baseApp + "  - sdkappid: 1400000001\n    region: usa\n    identifier: admin\n    secret_key: k2\n",
			"line 6: apps[1].sdkappid: duplicate sdkappid 1400000001, first defined at line 2 (apps[0])"},
		{"identifier missing", "apps:\n  - sdkappid: 1\n    region: singapore\n    secret_key: k\n", "line 2: apps[0].identifier: required"},
		{"identifier empty", "apps:\n  - sdkappid: 1\n    region: singapore\n    identifier: ''\n    secret_key: k\n", "line 4: apps[0].identifier: must not be empty"},
		{"region unknown", "apps:\n  - sdkappid: 1\n    region: mars\n    identifier: a\n    secret_key: k\n",
			`line 3: apps[0].region: unknown region "mars"; expected one of china, singapore, usa, korea, japan, germany, india, indonesia`},
		{"region and endpoint", withApp("    endpoint: https://example.com\n"),
			"line 6: apps[0]: region and endpoint are mutually exclusive; set one of them"},
		{"neither region nor endpoint", "apps:\n  - sdkappid: 1\n    identifier: a\n    secret_key: k\n",
			"line 2: apps[0]: one of region or endpoint is required"},
		{"endpoint without scheme", "apps:\n  - sdkappid: 1\n    endpoint: adminapisgp.im.qcloud.com\n    identifier: a\n    secret_key: k\n",
			"line 3: apps[0].endpoint: must be an absolute http or https URL"},
		{"endpoint ftp", "apps:\n  - sdkappid: 1\n    endpoint: ftp://example.com\n    identifier: a\n    secret_key: k\n",
			"line 3: apps[0].endpoint: must be an absolute http or https URL"},
		{"endpoint user info", "apps:\n  - sdkappid: 1\n    endpoint: https://user:hunter2@example.com\n    identifier: a\n    secret_key: k\n",
			"line 3: apps[0].endpoint: must not contain user info"},
		{"endpoint query", "apps:\n  - sdkappid: 1\n    endpoint: https://example.com/?usersig=x\n    identifier: a\n    secret_key: k\n",
			"line 3: apps[0].endpoint: must not contain a query"},
		{"endpoint fragment", "apps:\n  - sdkappid: 1\n    endpoint: https://example.com/#x\n    identifier: a\n    secret_key: k\n",
			"line 3: apps[0].endpoint: must not contain a fragment"},

		// Secrets.
		{"two secret sources", withApp("    usersig_file: " + os.Args[0] + "\n"),
			"line 6: apps[0]: only one of secret_key_file, secret_key and usersig_file may be set, got secret_key and usersig_file"},
		{"no secret source", "apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n",
			"line 2: apps[0]: one of secret_key_file, secret_key or usersig_file is required"},
		{"secret_key empty", "apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key: ''\n",
			"line 5: apps[0].secret_key: must not be empty"},
		{"secret_key not a string", "apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key: [k]\n",
			"line 5: apps[0].secret_key: must be a string, got a list"},
		{"secret_key_file missing", "apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: " + keyDir + "/nope\n",
			`line 5: apps[0].secret_key_file: cannot read "` + keyDir + `/nope": no such file or directory`},
		{"secret_key_file empty", "apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: " + emptyKey + "\n",
			`line 5: apps[0].secret_key_file: file "` + emptyKey + `" is empty`},
		{"secret_key_file directory", "apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    secret_key_file: " + keyDir + "\n",
			`line 5: apps[0].secret_key_file: cannot read "` + keyDir + `": is a directory`},
		{"usersig_file missing", "apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    usersig_file: " + keyDir + "/nope\n",
			`line 5: apps[0].usersig_file: cannot read "` + keyDir + `/nope": no such file or directory`},
		{"usersig_ttl with usersig_file", "apps:\n  - sdkappid: 1\n    region: usa\n    identifier: a\n    usersig_file: " + os.Args[0] + "\n    usersig_ttl: 1h\n",
			"line 6: apps[0].usersig_ttl: not allowed with usersig_file"},
		{"usersig_ttl too short", withApp("    usersig_ttl: 30s\n"), "line 6: apps[0].usersig_ttl: must be >= 1m, got 30s"},

		// Webhook.
		{"webhook not a mapping", withApp("    webhook: secret\n"), "line 6: apps[0].webhook: must be a mapping with token or token_file, got a scalar"},
		{"webhook a list", withApp("    webhook: [t]\n"), "line 6: apps[0].webhook: must be a mapping, got a list"},
		{"webhook empty", withApp("    webhook: {}\n"), "line 6: apps[0].webhook: one of token or token_file is required"},
		{"webhook token and token_file", withApp("    webhook:\n      token: t\n      token_file: " + goodToken + "\n"),
			"line 8: apps[0].webhook: token and token_file are mutually exclusive; set one of them"},
		{"webhook unknown key", withApp("    webhook: {secret: t}\n"),
			"line 6: apps[0].webhook.secret: unknown field; expected one of token, token_file"},
		{"webhook token empty", withApp("    webhook: {token: ''}\n"), "line 6: apps[0].webhook.token: must not be empty"},
		{"webhook token not a string", withApp("    webhook: {token: [t]}\n"), "line 6: apps[0].webhook.token: must be a string, got a list"},
		{"webhook token too long", withApp("    webhook: {token: " + strings.Repeat("t", 129) + "}\n"),
			"line 6: apps[0].webhook.token: must be 1..128 characters, got 129"},
		{"webhook token_file missing", withApp("    webhook: {token_file: " + keyDir + "/nope}\n"),
			`line 6: apps[0].webhook.token_file: cannot read "` + keyDir + `/nope": no such file or directory`},
		{"webhook token_file empty", withApp("    webhook: {token_file: " + emptyKey + "}\n"),
			`line 6: apps[0].webhook.token_file: file "` + emptyKey + `" is empty`},
		{"webhook token_file too long", withApp("    webhook: {token_file: " + longToken + "}\n"),
			`line 6: apps[0].webhook.token_file: file "` + longToken + `": content must be 1..128 characters, got 129`},
		{"webhook token_file directory", withApp("    webhook:\n      token_file: " + keyDir + "\n"),
			`line 7: apps[0].webhook.token_file: cannot read "` + keyDir + `": is a directory`},

		// Labels.
		{"labels not a mapping", withApp("    labels: [env]\n"), "line 6: apps[0].labels: must be a mapping, got a list"},
		{"bad label name", withApp("    labels: {bad-name: x}\n"), `line 6: apps[0].labels: invalid label name "bad-name"`},
		{"label name starting with a digit", withApp("    labels: {1env: x}\n"), `line 6: apps[0].labels: invalid label name "1env"`},
		{"reserved label room_id", withApp("    labels: {room_id: x}\n"), `line 6: apps[0].labels: label name "room_id" is reserved`},
		{"reserved label sdkappid", withApp("    labels: {sdkappid: x}\n"), `line 6: apps[0].labels: label name "sdkappid" is reserved`},
		{"reserved label room_name", withApp("    labels: {room_name: x}\n"), `line 6: apps[0].labels: label name "room_name" is reserved`},
		{"reserved label __", withApp("    labels: {__meta: x}\n"), `line 6: apps[0].labels: label name "__meta" is reserved`},
		{"label value not a string", withApp("    labels: {env: {a: b}}\n"), "line 6: apps[0].labels.env: must be a string, got a mapping"},
		{"duplicate label", withApp("    labels:\n      env: a\n      env: b\n"), "line 8: apps[0].labels.env: duplicate key, first defined at line 7"},

		// Rooms.
		{"rooms not a list", withApp("    rooms: r1\n"), `line 6: apps[0].rooms: must be a list, got string "r1"`},
		{"duplicate room in config", withApp("    rooms:\n      - r1\n      - id: r1\n"),
			`line 8: apps[0].rooms[1]: duplicate room ID "r1", first defined at line 7 (apps[0].rooms[0])`},
		{"empty room ID", withApp("    rooms:\n      - ''\n"), "line 7: apps[0].rooms[0]: room ID must not be empty"},
		{"null room", withApp("    rooms:\n      -\n"), "line 7: apps[0].rooms[0]: room ID must not be empty"},
		{"room without id", withApp("    rooms:\n      - labels: {a: b}\n"), "line 7: apps[0].rooms[0].id: required"},
		{"room unknown key", withApp("    rooms:\n      - {id: r1, name: x}\n"),
			"line 7: apps[0].rooms[0].name: unknown field; expected one of id, labels"},
		{"room as list", withApp("    rooms:\n      - [r1]\n"),
			"line 7: apps[0].rooms[0]: must be a room ID or a mapping with id and labels, got a list"},
		{"room label repeats app label", withApp("    rooms:\n      - {id: r1, labels: {env: x}}\n    labels: {env: prod}\n"),
			`line 7: apps[0].rooms[0].labels: label name "env" is already set in apps[0].labels`},
		{"room label reserved", withApp("    rooms:\n      - {id: r1, labels: {code: x}}\n"),
			`line 7: apps[0].rooms[0].labels: label name "code" is reserved`},
		{"room_files bad glob", withApp("    room_files: ['rooms/[a.yml']\n"),
			`line 6: apps[0].room_files[0]: invalid glob pattern "rooms/[a.yml": syntax error in pattern`},
		{"room_files not a list", withApp("    room_files: rooms/*.yml\n"),
			`line 6: apps[0].room_files: must be a list, got string "rooms/*.yml"`},

		// Optional APIs.
		{"members qps 201", withApp("    members: {enabled: true, qps: 201}\n"), "line 6: apps[0].members.qps: must be 1..200, got 201"},
		{"stats qps 101", withApp("    stats: {qps: 101}\n"), "line 6: apps[0].stats.qps: must be 1..100, got 101"},
		{"stats qps 0", withApp("    stats: {qps: 0}\n"), "line 6: apps[0].stats.qps: must be 1..100, got 0"},
		{"discovery qps 11", withApp("    discovery: {qps: 11}\n"), "line 6: apps[0].discovery.qps: must be 1..10, got 11"},
		{"discovery interval", withApp("    discovery: {interval: often}\n"),
			`line 6: apps[0].discovery.interval: must be a duration such as 30s or 5m, got "often"`},
		{"enabled yes", withApp("    members: {enabled: yes}\n"), `line 6: apps[0].members.enabled: must be true or false, got string "yes"`},
		{"unknown nested key", withApp("    members:\n      enabled: true\n      qpss: 5\n"),
			"line 8: apps[0].members.qpss: unknown field; expected one of enabled, qps"},
		{"unknown discovery key", withApp("    discovery: {enabled: true, every: 5m}\n"),
			"line 6: apps[0].discovery.every: unknown field; expected one of enabled, interval, qps"},

		// Several problems come back together, in line order.
		{"several problems", "global:\n  max_retries: 50\napps:\n  - sdkappid: 1\n    qps: 500\n    identifier: a\n    secret_key: k\n    region: mars\n",
			"line 2: global.max_retries: must be 0..10, got 50\n" +
				"line 5: apps[0].qps: must be 1..200, got 500\n" +
				`line 8: apps[0].region: unknown region "mars"; expected one of china, singapore, usa, korea, japan, germany, india, indonesia`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Parse([]byte(tc.config), "")
			if err == nil {
				t.Fatalf("no error; config:\n%s", c)
			}
			if c != nil {
				t.Error("a Config came back with an error")
			}
			if got := err.Error(); got != tc.want {
				t.Errorf("error:\n got: %s\nwant: %s", got, tc.want)
			}
			var errs Errors
			if !errors.As(err, &errs) || len(errs) == 0 {
				t.Errorf("error is %T, want Errors", err)
			}
		})
	}
}
