package config

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// maxSecretFileSize bounds what is read from a secret_key_file: a key is a
// few dozen bytes, so anything larger is a wrongly named file.
const maxSecretFileSize = 64 << 10

// fileError describes a failed file operation without the Go error's own
// text beyond its cause, e.g. `cannot read "/run/key": permission denied`.
func fileError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return fmt.Errorf("cannot read %q: %w", name, err)
}

// readSecretFile returns the content of a secret key file with surrounding
// whitespace (the trailing newline of most editors and `echo`) trimmed. Its
// errors name the file, never its content.
func readSecretFile(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", fileError(name, err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSecretFileSize+1))
	if err != nil {
		return "", fileError(name, err)
	}
	if len(data) > maxSecretFileSize {
		return "", fmt.Errorf("file %q is larger than %d KiB", name, maxSecretFileSize>>10)
	}
	key := strings.TrimSpace(string(data))
	if key == "" {
		return "", fmt.Errorf("file %q is empty", name)
	}
	return key, nil
}

// checkReadable checks that a regular file exists and can be opened for
// reading, without reading it.
func checkReadable(name string) error {
	f, err := os.Open(name)
	if err != nil {
		return fileError(name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileError(name, err)
	}
	if fi.IsDir() {
		return fmt.Errorf("cannot read %q: is a directory", name)
	}
	return nil
}

// roomFile is the content of one file matched by a room_files glob.
type roomFile struct {
	glob *roomGlob
	name string
	data []byte
}

// scanRoomFiles reads every file matched by the app's room_files globs, in
// glob order and, per glob, in name order. A file matched by two globs is read
// once. Only regular files (or links to them) are read: directories, FIFOs,
// devices, and files that vanish between matching and reading are skipped; a
// glob matching nothing is not an error.
func (a *App) scanRoomFiles() ([]roomFile, Errors) {
	var (
		files []roomFile
		errs  Errors
		seen  = map[string]bool{}
	)
	for i := range a.roomGlobs {
		g := &a.roomGlobs[i]
		// The pattern was validated by the decoder: Glob cannot fail.
		matches, _ := filepath.Glob(g.pattern)
		for _, name := range matches {
			if seen[name] {
				continue
			}
			seen[name] = true
			fi, err := os.Stat(name)
			if errors.Is(err, fs.ErrNotExist) || (err == nil && !fi.Mode().IsRegular()) {
				continue
			}
			var data []byte
			if err == nil {
				data, err = os.ReadFile(name)
			}
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				errs = append(errs, &Error{Line: g.line, Path: g.path, Msg: fileError(name, err).Error()})
				continue
			}
			files = append(files, roomFile{glob: g, name: name, data: data})
		}
	}
	return files, errs
}

// mergeRoomFiles parses room files and returns the app's config rooms
// followed by the files' rooms, checking labels and that room IDs stay unique.
// Problems are reported at the room_files entry that matched the file, with
// the file's own line and path in the message.
func (a *App) mergeRoomFiles(files []roomFile) ([]Room, Errors) {
	var rooms []Room
	origins := make(map[string]string, len(a.Rooms))
	for _, r := range a.Rooms {
		if r.Source == SourceFile {
			continue
		}
		rooms = append(rooms, r)
		if where, ok := a.origins[r.ID]; ok {
			origins[r.ID] = where
		} else {
			origins[r.ID] = a.path + ".rooms"
		}
	}
	var errs Errors
	for _, f := range files {
		d := &decoder{}
		root, perr := parseDocument(f.data)
		switch {
		case perr != nil:
			d.errs = append(d.errs, perr)
		case root == nil:
			d.errorf(nil, "", "file is empty; write [] for a file without rooms")
		default:
			for _, r := range d.roomList(root, "", a, SourceFile) {
				if where, dup := origins[r.ID]; dup {
					d.errorf(r.node, r.path, "duplicate room ID %q, first defined at %s", r.ID, where)
					continue
				}
				origins[r.ID] = fmt.Sprintf("%s line %d", f.name, r.node.Line)
				rooms = append(rooms, r.Room)
			}
		}
		for _, e := range d.errs.sorted() {
			errs = append(errs, &Error{Line: f.glob.line, Path: f.glob.path, Msg: f.name + ": " + e.Error()})
		}
	}
	return rooms, errs
}

// fingerprint hashes the names and contents of the room files of every app.
func fingerprint(perApp [][]roomFile) string {
	h := sha256.New()
	for i, files := range perApp {
		fmt.Fprintf(h, "app %d\x00", i)
		for _, f := range files {
			sum := sha256.Sum256(f.data)
			fmt.Fprintf(h, "%s\x00%x\x00", f.name, sum)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// withRoomFiles reads the room files of every app and returns a copy of c
// whose apps' Rooms are the config rooms followed by the files' rooms.
func (c *Config) withRoomFiles() (*Config, Errors) {
	nc := &Config{Global: c.Global, Apps: make([]*App, 0, len(c.Apps))}
	perApp := make([][]roomFile, 0, len(c.Apps))
	var errs Errors
	for i, a := range c.Apps {
		na := *a
		if na.path == "" { // built in code rather than parsed
			na.path = index("apps", i)
		}
		files, scanErrs := na.scanRoomFiles()
		rooms, mergeErrs := na.mergeRoomFiles(files)
		errs = append(errs, scanErrs...)
		errs = append(errs, mergeErrs...)
		na.Rooms = rooms
		nc.Apps = append(nc.Apps, &na)
		perApp = append(perApp, files)
	}
	nc.roomFilesFingerprint = fingerprint(perApp)
	return nc, errs
}

// RoomFilesFingerprint hashes the names and contents of the files that the
// apps' room_files globs match now. It differs from RoomFilesLoaded exactly
// when the globs match other files or a matched file's content changed, so a
// daemon can call it every few seconds and call ReloadRoomFiles on a change.
// It reads the matched files (room files are small); rewriting a file with
// the same content, or touching it, changes nothing.
func (c *Config) RoomFilesFingerprint() (string, error) {
	perApp := make([][]roomFile, 0, len(c.Apps))
	for _, a := range c.Apps {
		files, errs := a.scanRoomFiles()
		if len(errs) > 0 {
			return "", errs.sorted()
		}
		perApp = append(perApp, files)
	}
	return fingerprint(perApp), nil
}

// RoomFilesLoaded returns the fingerprint of the room files that c's room
// lists were built from, to compare with RoomFilesFingerprint.
func (c *Config) RoomFilesLoaded() string {
	return c.roomFilesFingerprint
}

// ReloadRoomFiles reads the apps' room files again and returns a new Config
// with the same settings and config rooms and the files' current rooms. c is
// unchanged. The error, if any, is an Errors value as Parse returns.
func (c *Config) ReloadRoomFiles() (*Config, error) {
	nc, errs := c.withRoomFiles()
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	return nc, nil
}
