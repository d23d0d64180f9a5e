package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestRoomFilesMerge(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "rooms/a.yml", "- file-room-1\n- id: file-room-2\n  labels: {team: ops}\n")
	write(t, dir, "rooms/b.json", "[\n\t\"file-room-3\",\n\t{\"id\": \"file-room-4\", \"labels\": {\"tier\": \"gold\"}}\n]\n")
	write(t, dir, "rooms/ignored.txt", "- not-read\n")
	if err := os.Mkdir(filepath.Join(dir, "rooms/sub.yml"), 0o755); err != nil { // directories are skipped
		t.Fatal(err)
	}
	c := mustParse(t, withApp(`    rooms: [config-room]
    room_files:
      - rooms/*.yml
      - rooms/*.json
      - rooms/a.yml
      - nowhere/*.yml
`), dir)
	a := c.Apps[0]
	want := []Room{
		{ID: "config-room", Source: SourceConfig},
		{ID: "file-room-1", Source: SourceFile},
		{ID: "file-room-2", Labels: map[string]string{"team": "ops"}, Source: SourceFile},
		{ID: "file-room-3", Source: SourceFile},
		{ID: "file-room-4", Labels: map[string]string{"tier": "gold"}, Source: SourceFile},
	}
	if !reflect.DeepEqual(a.Rooms, want) {
		t.Errorf("rooms = %+v\nwant    %+v", a.Rooms, want)
	}
	if want := []string{"rooms/*.yml", "rooms/*.json", "rooms/a.yml", "nowhere/*.yml"}; !reflect.DeepEqual(a.RoomFiles, want) {
		t.Errorf("RoomFiles = %q, want %q", a.RoomFiles, want)
	}
	// The effective configuration lists the globs, not the files' rooms.
	s := c.String()
	if strings.Contains(s, "file-room") || !strings.Contains(s, "- rooms/*.yml") {
		t.Errorf("String() shows file rooms or misses the globs:\n%s", s)
	}
}

func TestRoomFileErrors(t *testing.T) {
	// Line 6 is room_files, line 7 its first entry.
	const cfg = baseApp + "    room_files:\n      - rooms/*.yml\n    rooms: [r1]\n    labels: {env: prod}\n"
	tests := []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"duplicate of a config room", map[string]string{"a.yml": "- r2\n- r1\n"},
			`line 7: apps[0].room_files[0]: DIR/a.yml: line 2: [1]: duplicate room ID "r1", first defined at line 8 (apps[0].rooms[0])`},
		{"duplicate across files", map[string]string{"a.yml": "- r2\n", "b.yml": "- x\n- {id: r2}\n"},
			`line 7: apps[0].room_files[0]: DIR/b.yml: line 2: [1]: duplicate room ID "r2", first defined at DIR/a.yml line 1`},
		{"duplicate within a file", map[string]string{"a.yml": "- r2\n- r2\n"},
			`line 7: apps[0].room_files[0]: DIR/a.yml: line 2: [1]: duplicate room ID "r2", first defined at DIR/a.yml line 1`},
		{"not a list", map[string]string{"a.yml": "rooms: [r2]\n"},
			`line 7: apps[0].room_files[0]: DIR/a.yml: line 1: must be a list of rooms, got a mapping`},
		{"empty file", map[string]string{"a.yml": ""},
			`line 7: apps[0].room_files[0]: DIR/a.yml: file is empty; write [] for a file without rooms`},
		{"syntax error", map[string]string{"a.yml": "- r2\n- r3\n  x: y\n"},
			`line 7: apps[0].room_files[0]: DIR/a.yml: line 3: invalid YAML: mapping values are not allowed in this context`},
		{"unknown key", map[string]string{"a.yml": "- r2\n- id: r3\n  lables: {a: b}\n"},
			`line 7: apps[0].room_files[0]: DIR/a.yml: line 3: [1].lables: unknown field; expected one of id, labels`},
		{"label repeats app label", map[string]string{"a.yml": "- {id: r2, labels: {env: x}}\n"},
			`line 7: apps[0].room_files[0]: DIR/a.yml: line 1: [0].labels: label name "env" is already set in apps[0].labels`},
		{"bad label name", map[string]string{"a.yml": "- {id: r2, labels: {a.b: x}}\n"},
			`line 7: apps[0].room_files[0]: DIR/a.yml: line 1: [0].labels: invalid label name "a.b"`},
		{"empty id", map[string]string{"a.yml": "- id: ''\n"},
			`line 7: apps[0].room_files[0]: DIR/a.yml: line 1: [0].id: must not be empty`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range tc.files {
				write(t, dir, "rooms/"+name, content)
			}
			_, err := Parse([]byte(cfg), dir)
			if err == nil {
				t.Fatal("no error")
			}
			want := strings.ReplaceAll(tc.want, "DIR", filepath.Join(dir, "rooms"))
			if got := err.Error(); got != want {
				t.Errorf("error:\n got: %s\nwant: %s", got, want)
			}
		})
	}
}

func TestRelativePaths(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "secrets/key", "relative-key\n")
	write(t, dir, "secrets/usersig", "eJyrVg...")
	write(t, dir, "rooms/a.yml", "- from-file\n")
	path := write(t, dir, "tencent_live.yml", `apps:
  - sdkappid: 1
    region: usa
    identifier: admin
    secret_key_file: secrets/key
    room_files: [rooms/*.yml]
  - sdkappid: 2
    region: usa
    identifier: admin
    usersig_file: secrets/usersig
`)
	c, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	a, b := c.Apps[0], c.Apps[1]
	if want := filepath.Join(dir, "secrets/key"); a.SecretKeyFile != want {
		t.Errorf("SecretKeyFile = %q, want %q", a.SecretKeyFile, want)
	}
	if a.SecretKeyValue() != "relative-key" {
		t.Error("secret key not read from the relative file")
	}
	if len(a.Rooms) != 1 || a.Rooms[0].ID != "from-file" {
		t.Errorf("rooms = %+v", a.Rooms)
	}
	if want := filepath.Join(dir, "secrets/usersig"); b.UserSigFile != want {
		t.Errorf("UserSigFile = %q, want %q", b.UserSigFile, want)
	}

	// From the config's directory, Parse with dir "" resolves the same way.
	t.Chdir(dir)
	data, _ := os.ReadFile(path)
	c2, err := Parse(data, "")
	if err != nil {
		t.Fatal(err)
	}
	if c2.Apps[0].SecretKeyFile != "secrets/key" || c2.Apps[0].Rooms[0].ID != "from-file" {
		t.Errorf("Parse with dir \"\": %+v", exported(c2.Apps[0]))
	}

	// Load of a relative path keeps file names absolute.
	c3, err := Load("tencent_live.yml")
	if err != nil {
		t.Fatal(err)
	}
	if got := c3.Apps[0].SecretKeyFile; got != filepath.Join(dir, "secrets/key") {
		t.Errorf("Load of a relative path: SecretKeyFile = %q", got)
	}

	if _, err := Load(filepath.Join(dir, "missing.yml")); err == nil || !strings.Contains(err.Error(), "missing.yml") {
		t.Errorf("Load of a missing file: %v", err)
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "rooms/a.yml", "- a\n")
	c := mustParse(t, withApp("    room_files: [rooms/*.yml, more/*.json]\n"), dir)
	loaded := c.RoomFilesLoaded()

	check := func(step string, wantChanged bool) string {
		t.Helper()
		fp, err := c.RoomFilesFingerprint()
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		if changed := fp != loaded; changed != wantChanged {
			t.Errorf("%s: changed = %v, want %v", step, changed, wantChanged)
		}
		return fp
	}

	check("nothing done", false)
	write(t, dir, "rooms/a.yml", "- a\n") // same content again
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "rooms/a.yml"), later, later); err != nil {
		t.Fatal(err)
	}
	check("rewritten with the same content and touched", false)
	write(t, dir, "rooms/a.txt", "- x\n")
	write(t, dir, "other/b.yml", "- x\n")
	check("files outside the globs", false)

	write(t, dir, "more/b.json", `["b"]`)
	check("file added", true)
	if err := os.Remove(filepath.Join(dir, "more/b.json")); err != nil {
		t.Fatal(err)
	}
	check("file removed again", false)

	write(t, dir, "rooms/a.yml", "- b\n")
	check("file changed", true)
	write(t, dir, "rooms/a.yml", "- a\n")
	check("file changed back", false)

	if err := os.Rename(filepath.Join(dir, "rooms/a.yml"), filepath.Join(dir, "rooms/c.yml")); err != nil {
		t.Fatal(err)
	}
	check("file renamed", true)
}

func TestReloadRoomFiles(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "rooms/a.yml", "- a\n")
	c := mustParse(t, withApp("    rooms: [cfg]\n    room_files: [rooms/*.yml]\n"), dir)
	write(t, dir, "rooms/b.yml", "- b\n")
	nc, err := c.ReloadRoomFiles()
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range nc.Apps[0].Rooms {
		ids = append(ids, r.ID+"/"+r.Source)
	}
	if want := []string{"cfg/config", "a/file", "b/file"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("rooms = %q, want %q", ids, want)
	}
	if len(c.Apps[0].Rooms) != 2 {
		t.Errorf("the old config changed: %+v", c.Apps[0].Rooms)
	}
	if fp, _ := nc.RoomFilesFingerprint(); fp != nc.RoomFilesLoaded() || fp == c.RoomFilesLoaded() {
		t.Error("fingerprint of the reloaded config is wrong")
	}

	write(t, dir, "rooms/b.yml", "- cfg\n")
	_, err = nc.ReloadRoomFiles()
	want := `line 7: apps[0].room_files[0]: ` + filepath.Join(dir, "rooms/b.yml") +
		`: line 1: [0]: duplicate room ID "cfg", first defined at line 6 (apps[0].rooms[0])`
	if err == nil || err.Error() != want {
		t.Errorf("error:\n got: %v\nwant: %s", err, want)
	}
}

// TestReloadRoomFilesOfCodeBuiltConfig checks that a Config built in code
// keeps its rooms when room files are re-read.
func TestReloadRoomFilesOfCodeBuiltConfig(t *testing.T) {
	c := &Config{Global: DefaultGlobal, Apps: []*App{{SDKAppID: 1, Rooms: []Room{{ID: "r", Source: SourceConfig}}}}}
	nc, err := c.ReloadRoomFiles()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(nc.Apps[0].Rooms, c.Apps[0].Rooms) {
		t.Errorf("rooms = %+v", nc.Apps[0].Rooms)
	}
}
