package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

func TestBuild(t *testing.T) {
	in, out := t.TempDir(), filepath.Join(t.TempDir(), "db")
	write := func(name, body string) {
		if err := os.WriteFile(filepath.Join(in, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("GO-2024-0001.json", `{"id":"GO-2024-0001","modified":"2024-01-02T00:00:00Z","affected":[{"package":{"name":"example.com/a","ecosystem":"Go"}},{"package":{"name":"example.com/b","ecosystem":"Go"}}]}`)
	write("GO-2025-0002.json", `{"id":"GO-2025-0002","modified":"2025-03-04T00:00:00Z","affected":[{"package":{"name":"example.com/a","ecosystem":"Go"}}]}`)
	n, err := build(in, out, "")
	if err != nil || n != 2 {
		t.Fatalf("build: %d, %v", n, err)
	}
	var mods []moduleMeta
	data, _ := os.ReadFile(filepath.Join(out, "index", "modules.json"))
	if err := json.Unmarshal(data, &mods); err != nil {
		t.Fatal(err)
	}
	if len(mods) != 2 || mods[0].Path != "example.com/a" || len(mods[0].Vulns) != 2 || len(mods[1].Vulns) != 1 {
		t.Fatalf("modules.json: %s", data)
	}
	db, _ := os.ReadFile(filepath.Join(out, "index", "db.json"))
	if string(db) != `{"modified":"2025-03-04T00:00:00Z"}` {
		t.Fatalf("db.json: %s", db)
	}
	if _, err := os.Stat(filepath.Join(out, "ID", "GO-2025-0002.json")); err != nil {
		t.Fatal(err)
	}
	write("GO-2025-0003.json", `{"id":"GO-2025-9999","modified":"2025-03-04T00:00:00Z"}`)
	if _, err := build(in, filepath.Join(t.TempDir(), "db"), ""); err == nil {
		t.Fatal("a file named after another id was accepted")
	}
}
