package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

// Parse decodes and validates a configuration, reading the secret key files
// and room files it names; relative paths in it resolve against dir (the
// current directory when dir is empty). It returns every problem found, as
// Errors, or a Config with every default filled in.
//
// The decoder walks yaml.v3's node tree itself rather than relying on
// yaml.v3's struct decoding, so that unknown keys, duplicate keys and wrong
// types are all reported with their line and field path.
func Parse(data []byte, dir string) (*Config, error) {
	root, perr := parseDocument(data)
	if perr != nil {
		return nil, Errors{perr}
	}
	d := &decoder{dir: dir, infoRefresh: map[*App]*yaml.Node{}}
	c := d.config(root)
	merged, errs := c.withRoomFiles()
	errs = append(d.errs, errs...)
	if len(errs) > 0 {
		return nil, errs.sorted()
	}
	return merged, nil
}

// yamlLineError matches the "yaml: line N: ..." form of yaml.v3 syntax errors.
var yamlLineError = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseDocument parses data as a single YAML document and returns its root
// node, or nil when the document is empty.
func parseDocument(data []byte) (*yaml.Node, *Error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, syntaxError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		if err != nil {
			return nil, syntaxError(err)
		}
		return nil, &Error{Line: extra.Line, Msg: "only one YAML document is allowed"}
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	root := resolve(doc.Content[0])
	if isNull(root) {
		return nil, nil
	}
	return root, nil
}

// syntaxError turns a yaml.v3 parse error into an Error with its line.
func syntaxError(err error) *Error {
	msg := err.Error()
	if m := yamlLineError.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return &Error{Line: line, Msg: "invalid YAML: " + m[2]}
	}
	return &Error{Msg: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

// maxNodes bounds the nodes one document may make the decoder visit, far
// above any real configuration (a room file of 100,000 rooms with labels is
// well below it), so that aliases of aliases cannot make a small file expand
// into billions of nodes. A variable so that a test can show the bound at
// work at a smaller size.
var maxNodes = 1 << 22

// decoder turns YAML nodes into configuration values, collecting every
// problem with its line and path.
type decoder struct {
	dir     string // directory that relative file names resolve against
	errs    Errors
	visited int // nodes visited, see maxNodes
	// infoRefresh holds each app's info_refresh_interval node, checked
	// against refresh_interval once the whole document is read.
	infoRefresh map[*App]*yaml.Node
}

// maxErrors bounds the problems recorded for one document; the decoder stops
// there, as nobody reads further.
const maxErrors = 1000

// visit counts one node and reports whether the decoder may go on.
func (d *decoder) visit(n *yaml.Node) bool {
	d.visited++
	if d.visited == maxNodes {
		d.errorf(n, "", "document too large: more than %d values (aliases expanding too far?)", maxNodes)
	}
	return d.visited < maxNodes && len(d.errs) < maxErrors
}

// errorf records a problem at node n (its line) and path.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	if len(d.errs) >= maxErrors {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// resolve follows aliases to the node they stand for.
func resolve(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an empty value (nothing, ~ or null), which the
// decoder treats as if the key were absent.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// describe names what n is, for "must be X, got Y" messages. Scalar values
// are shown; callers never describe a scalar of a secret field.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return fmt.Sprintf("string %q", n.Value)
		case "!!int":
			return "integer " + n.Value
		case "!!float":
			return "number " + n.Value
		case "!!bool":
			return "boolean " + n.Value
		default:
			return fmt.Sprintf("%s %q", n.ShortTag(), n.Value)
		}
	}
	return "an unknown node"
}

// join appends a field name to a path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// index appends a list index to a path.
func index(path string, i int) string {
	return fmt.Sprintf("%s[%d]", path, i)
}

// pairs calls fn for each key and value of mapping n, in order, after
// checking that n is a mapping, that keys are scalars and that no key is
// repeated. It returns false when n is not a mapping.
func (d *decoder) pairs(n *yaml.Node, path string, fn func(k, v *yaml.Node, name string)) bool {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be a mapping, got %s", describe(n))
		return false
	}
	first := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if !d.visit(k) {
			return true
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "keys must be strings, got %s", describe(k))
			continue
		}
		if line, dup := first[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate key, first defined at line %d", line)
			continue
		}
		first[k.Value] = k.Line
		fn(k, v, k.Value)
	}
	return true
}

// field is one known key of a mapping and what to do with its value.
type field struct {
	name string
	set  func(v *yaml.Node, path string)
}

// fields decodes mapping n whose keys must be among fs. Keys with an empty
// value are skipped, as if absent. It returns the key node of each key given
// a value, for checks between fields, or nil when n is not a mapping.
func (d *decoder) fields(n *yaml.Node, path string, fs []field) map[string]*yaml.Node {
	present := map[string]*yaml.Node{}
	ok := d.pairs(n, path, func(k, v *yaml.Node, name string) {
		i := slices.IndexFunc(fs, func(f field) bool { return f.name == name })
		if i < 0 {
			names := make([]string, len(fs))
			for j, f := range fs {
				names[j] = f.name
			}
			d.errorf(k, join(path, name), "unknown field; expected one of %s", strings.Join(names, ", "))
			return
		}
		if isNull(v) {
			return
		}
		present[name] = k
		fs[i].set(v, join(path, name))
	})
	if !ok {
		return nil
	}
	return present
}

// str decodes a string. Any scalar is accepted as written (so that room IDs
// and label values may look like numbers); null gives "".
func (d *decoder) str(n *yaml.Node, path string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "must be a string, got %s", describe(n))
		return "", false
	}
	if isNull(n) {
		return "", true
	}
	return n.Value, true
}

// nonEmpty decodes a string that must not be empty.
func (d *decoder) nonEmpty(n *yaml.Node, path string) (string, bool) {
	s, ok := d.str(n, path)
	if ok && s == "" {
		d.errorf(n, path, "must not be empty")
		return "", false
	}
	return s, ok
}

// integer decodes an integer; quoted numbers and floats are errors.
func (d *decoder) integer(n *yaml.Node, path string) (int64, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
		d.errorf(n, path, "must be an integer, got %s", describe(n))
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		d.errorf(n, path, "integer %s is out of range", n.Value)
		return 0, false
	}
	return v, true
}

// intRange decodes an integer within min..max.
func (d *decoder) intRange(n *yaml.Node, path string, lo, hi int) (int, bool) {
	v, ok := d.integer(n, path)
	if !ok {
		return 0, false
	}
	if v < int64(lo) || v > int64(hi) {
		d.errorf(n, path, "must be %d..%d, got %d", lo, hi, v)
		return 0, false
	}
	return int(v), true
}

// fraction decodes a number in (0, 1].
func (d *decoder) fraction(n *yaml.Node, path string) (float64, bool) {
	if n.Kind != yaml.ScalarNode || (n.ShortTag() != "!!float" && n.ShortTag() != "!!int") {
		d.errorf(n, path, "must be a number, got %s", describe(n))
		return 0, false
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil || math.IsNaN(v) || v <= 0 || v > 1 {
		d.errorf(n, path, "must be > 0 and <= 1, got %s", n.Value)
		return 0, false
	}
	return v, true
}

// boolean decodes true or false.
func (d *decoder) boolean(n *yaml.Node, path string) (bool, bool) {
	if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
		d.errorf(n, path, "must be true or false, got %s", describe(n))
		return false, false
	}
	var v bool
	if err := n.Decode(&v); err != nil {
		d.errorf(n, path, "must be true or false, got %s", describe(n))
		return false, false
	}
	return v, true
}

// duration decodes a positive duration in Prometheus syntax.
func (d *decoder) duration(n *yaml.Node, path string) (model.Duration, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "must be a duration such as 30s or 5m, got %s", describe(n))
		return 0, false
	}
	v, err := model.ParseDuration(n.Value)
	if err != nil {
		d.errorf(n, path, "must be a duration such as 30s or 5m, got %q", n.Value)
		return 0, false
	}
	if v <= 0 {
		d.errorf(n, path, "must be > 0, got %s", v)
		return 0, false
	}
	return v, true
}

// file resolves a file name against the config file's directory.
func (d *decoder) file(name string) string {
	if d.dir == "" || filepath.IsAbs(name) {
		return name
	}
	return filepath.Join(d.dir, name)
}

// config decodes the document root (nil for an empty document).
func (d *decoder) config(root *yaml.Node) *Config {
	c := &Config{Global: DefaultGlobal}
	var apps *yaml.Node
	if root != nil {
		present := d.fields(root, "", []field{
			{"global", func(v *yaml.Node, p string) { d.global(v, p, &c.Global) }},
			{"apps", func(v *yaml.Node, p string) { apps = v; c.Apps = d.apps(v, p) }},
		})
		if present == nil {
			return c
		}
	}
	if c.Global.StaleAfter == 0 {
		c.Global.StaleAfter = 3 * c.Global.RefreshInterval
	}
	for _, a := range c.Apps {
		switch {
		case a.InfoRefreshInterval == 0:
			a.InfoRefreshInterval = DefaultInfoRefreshFactor * c.Global.RefreshInterval
		case a.InfoRefreshInterval < c.Global.RefreshInterval:
			d.errorf(d.infoRefresh[a], join(a.path, "info_refresh_interval"), "must be >= refresh_interval (%s), got %s", c.Global.RefreshInterval, a.InfoRefreshInterval)
		}
	}
	switch {
	case apps == nil:
		d.errorf(nil, "apps", "at least one app is required")
	case apps.Kind == yaml.SequenceNode && len(apps.Content) == 0:
		d.errorf(apps, "apps", "at least one app is required")
	}
	return c
}

// global decodes the global section into g, which holds the defaults.
func (d *decoder) global(n *yaml.Node, path string, g *Global) {
	before := len(d.errs)
	present := d.fields(n, path, []field{
		{"refresh_interval", func(v *yaml.Node, p string) {
			if x, ok := d.duration(v, p); ok {
				g.RefreshInterval = x
			}
		}},
		{"request_timeout", func(v *yaml.Node, p string) {
			if x, ok := d.duration(v, p); ok {
				g.RequestTimeout = x
			}
		}},
		{"max_retries", func(v *yaml.Node, p string) {
			if x, ok := d.intRange(v, p, 0, MaxRetries); ok {
				g.MaxRetries = x
			}
		}},
		{"stale_after", func(v *yaml.Node, p string) {
			if x, ok := d.duration(v, p); ok {
				g.StaleAfter = x
			}
		}},
	})
	if len(d.errs) > before {
		// Checks between fields would compare against defaults standing
		// in for the broken values and report problems that are not there.
		return
	}
	if g.RequestTimeout >= g.RefreshInterval {
		if k := present["request_timeout"]; k != nil {
			d.errorf(k, join(path, "request_timeout"), "must be < refresh_interval (%s), got %s", g.RefreshInterval, g.RequestTimeout)
		} else {
			d.errorf(present["refresh_interval"], join(path, "refresh_interval"), "must be > request_timeout (%s), got %s", g.RequestTimeout, g.RefreshInterval)
		}
	}
	if k := present["stale_after"]; k != nil && g.StaleAfter < g.RefreshInterval {
		d.errorf(k, join(path, "stale_after"), "must be >= refresh_interval (%s), got %s", g.RefreshInterval, g.StaleAfter)
	}
}

// apps decodes the apps list and checks that SDKAppIDs are unique.
func (d *decoder) apps(n *yaml.Node, path string) []*App {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "must be a list, got %s", describe(n))
		return nil
	}
	var apps []*App
	first := map[uint64]string{}
	for i, item := range n.Content {
		if !d.visit(item) {
			break
		}
		p := index(path, i)
		a, idNode := d.app(resolve(item), p)
		if a == nil {
			continue
		}
		apps = append(apps, a)
		if a.SDKAppID == 0 {
			continue
		}
		if where, dup := first[a.SDKAppID]; dup {
			d.errorf(idNode, join(p, "sdkappid"), "duplicate sdkappid %d, first defined at %s", a.SDKAppID, where)
			continue
		}
		first[a.SDKAppID] = fmt.Sprintf("line %d (%s)", idNode.Line, p)
	}
	return apps
}

// secretSources are the fields of which an app sets exactly one.
var secretSources = []string{"secret_key_file", "secret_key", "usersig_file"}

// app decodes one app entry. It returns nil when the entry is not a mapping,
// and the node of the sdkappid value for the uniqueness check.
func (d *decoder) app(n *yaml.Node, path string) (*App, *yaml.Node) {
	a := DefaultApp
	a.path = path
	var idNode, roomsNode *yaml.Node
	present := d.fields(n, path, []field{
		{"sdkappid", func(v *yaml.Node, p string) {
			idNode = v
			if x, ok := d.integer(v, p); ok {
				if x <= 0 {
					d.errorf(v, p, "must be > 0, got %d", x)
					return
				}
				a.SDKAppID = uint64(x)
			}
		}},
		{"region", func(v *yaml.Node, p string) {
			if s, ok := d.nonEmpty(v, p); ok {
				if !slices.Contains(Regions, s) {
					d.errorf(v, p, "unknown region %q; expected one of %s", s, strings.Join(Regions, ", "))
					return
				}
				a.Region = s
			}
		}},
		{"endpoint", func(v *yaml.Node, p string) {
			if s, ok := d.nonEmpty(v, p); ok {
				if msg := checkEndpoint(s); msg != "" {
					d.errorf(v, p, "%s", msg)
					return
				}
				a.Endpoint = s
			}
		}},
		{"identifier", func(v *yaml.Node, p string) {
			if s, ok := d.nonEmpty(v, p); ok {
				a.Identifier = s
			}
		}},
		{"secret_key_file", func(v *yaml.Node, p string) {
			if name, key, ok := d.secretFile(v, p, nil); ok {
				a.SecretKeyFile, a.SecretKey = name, config.Secret(key)
			}
		}},
		{"secret_key", func(v *yaml.Node, p string) {
			if key, ok := d.secret(v, p, nil); ok {
				a.SecretKey = config.Secret(key)
			}
		}},
		{"usersig_file", func(v *yaml.Node, p string) {
			if s, ok := d.nonEmpty(v, p); ok {
				a.UserSigFile = d.file(s)
				if err := checkReadable(a.UserSigFile); err != nil {
					d.errorf(v, p, "%v", err)
				}
			}
		}},
		{"usersig_ttl", func(v *yaml.Node, p string) {
			if x, ok := d.duration(v, p); ok {
				if x < MinUserSigTTL {
					d.errorf(v, p, "must be >= %s, got %s", MinUserSigTTL, x)
					return
				}
				a.UserSigTTL = x
			}
		}},
		{"qps", func(v *yaml.Node, p string) {
			if x, ok := d.intRange(v, p, 1, MaxQPS); ok {
				a.QPS = x
			}
		}},
		{"max_concurrency", func(v *yaml.Node, p string) {
			if x, ok := d.integer(v, p); ok {
				if x < 0 {
					d.errorf(v, p, "must be >= 0, got %d", x)
					return
				}
				a.MaxConcurrency = int(x)
			}
		}},
		{"probe_share", func(v *yaml.Node, p string) {
			if x, ok := d.fraction(v, p); ok {
				a.ProbeShare = x
			}
		}},
		{"info_refresh_interval", func(v *yaml.Node, p string) {
			if x, ok := d.duration(v, p); ok {
				a.InfoRefreshInterval = x
				d.infoRefresh[&a] = v
			}
		}},
		{"labels", func(v *yaml.Node, p string) { a.Labels = d.labels(v, p, nil, "") }},
		{"rooms", func(v *yaml.Node, p string) { roomsNode = v }},
		{"room_files", func(v *yaml.Node, p string) { d.roomFiles(v, p, &a) }},
		{"members", func(v *yaml.Node, p string) { d.budget(v, p, &a.Members, MaxMembersQPS) }},
		{"stats", func(v *yaml.Node, p string) { d.budget(v, p, &a.Stats, MaxStatsQPS) }},
		{"discovery", func(v *yaml.Node, p string) { d.discovery(v, p, &a.Discovery) }},
		{"webhook", func(v *yaml.Node, p string) { a.Webhook = d.webhook(v, p) }},
	})
	if present == nil {
		return nil, nil
	}

	if present["sdkappid"] == nil {
		d.errorf(n, join(path, "sdkappid"), "required")
	}
	if present["identifier"] == nil {
		d.errorf(n, join(path, "identifier"), "required")
	}
	switch r, e := present["region"], present["endpoint"]; {
	case r != nil && e != nil:
		d.errorf(later(r, e), path, "region and endpoint are mutually exclusive; set one of them")
	case r == nil && e == nil:
		d.errorf(n, path, "one of region or endpoint is required")
	}
	var set []string
	var last *yaml.Node
	for _, name := range secretSources {
		if k := present[name]; k != nil {
			set = append(set, name)
			last = later(last, k)
		}
	}
	switch len(set) {
	case 0:
		d.errorf(n, path, "one of secret_key_file, secret_key or usersig_file is required")
	case 1:
	default:
		d.errorf(last, path, "only one of secret_key_file, secret_key and usersig_file may be set, got %s", strings.Join(set, " and "))
	}
	if present["usersig_file"] != nil {
		if k := present["usersig_ttl"]; k != nil {
			d.errorf(k, join(path, "usersig_ttl"), "not allowed with usersig_file")
		}
		a.UserSigTTL = 0
	}

	if roomsNode != nil {
		p := join(path, "rooms")
		a.origins = map[string]string{}
		for _, r := range d.roomList(roomsNode, p, &a, SourceConfig) {
			if where, dup := a.origins[r.ID]; dup {
				d.errorf(r.node, r.path, "duplicate room ID %q, first defined at %s", r.ID, where)
				continue
			}
			a.origins[r.ID] = fmt.Sprintf("line %d (%s)", r.node.Line, r.path)
			a.Rooms = append(a.Rooms, r.Room)
		}
	}
	return &a, idNode
}

// secret decodes an inline secret: a non-empty string, which check (when
// not nil) finds fine by returning "". Its errors never describe the value,
// which is a secret even when misplaced.
func (d *decoder) secret(n *yaml.Node, path string, check func(string) string) (string, bool) {
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, path, "must be a string, got %s", describe(n))
		return "", false
	}
	msg := "must not be empty"
	if n.Value != "" {
		msg = checked(n.Value, check)
	}
	if msg != "" {
		d.errorf(n, path, "%s", msg)
		return "", false
	}
	return n.Value, true
}

// secretFile decodes the name of a file holding a secret and reads the
// secret, trimmed, which check (when not nil) finds fine by returning "". It
// returns the name resolved against the config file's directory.
func (d *decoder) secretFile(n *yaml.Node, path string, check func(string) string) (name, secret string, ok bool) {
	s, ok := d.nonEmpty(n, path)
	if !ok {
		return "", "", false
	}
	name = d.file(s)
	secret, err := readSecretFile(name)
	if err == nil {
		if msg := checked(secret, check); msg != "" {
			err = fmt.Errorf("file %q: content %s", name, msg)
		}
	}
	if err != nil {
		d.errorf(n, path, "%v", err)
		return "", "", false
	}
	return name, secret, true
}

// checked returns check(s), or "" when check is nil.
func checked(s string, check func(string) string) string {
	if check == nil {
		return ""
	}
	return check(s)
}

// webhook decodes an app's webhook block: exactly one of token and
// token_file. It returns nil when the block has a problem.
func (d *decoder) webhook(n *yaml.Node, path string) *Webhook {
	if n.Kind == yaml.ScalarNode {
		// Never describe the value: it may be the token, misplaced.
		d.errorf(n, path, "must be a mapping with token or token_file, got a scalar")
		return nil
	}
	var w Webhook
	before := len(d.errs)
	present := d.fields(n, path, []field{
		{"token", func(v *yaml.Node, p string) {
			if token, ok := d.secret(v, p, checkWebhookToken); ok {
				w.Token = config.Secret(token)
			}
		}},
		{"token_file", func(v *yaml.Node, p string) {
			if name, token, ok := d.secretFile(v, p, checkWebhookToken); ok {
				w.TokenFile, w.Token = name, config.Secret(token)
			}
		}},
	})
	if present == nil {
		return nil
	}
	switch t, f := present["token"], present["token_file"]; {
	case t != nil && f != nil:
		d.errorf(later(t, f), path, "token and token_file are mutually exclusive; set one of them")
	case t == nil && f == nil && len(d.errs) == before:
		d.errorf(n, path, "one of token or token_file is required")
	}
	if len(d.errs) > before {
		return nil
	}
	return &w
}

// checkWebhookToken returns why a non-empty token cannot be a webhook
// token, or "". It never quotes the token.
func checkWebhookToken(token string) string {
	if n := utf8.RuneCountInString(token); n > MaxWebhookTokenLength {
		return fmt.Sprintf("must be 1..%d characters, got %d", MaxWebhookTokenLength, n)
	}
	return ""
}

// later returns whichever of two nodes comes later in the file (a may be nil).
func later(a, b *yaml.Node) *yaml.Node {
	if a == nil || b.Line > a.Line || (b.Line == a.Line && b.Column > a.Column) {
		return b
	}
	return a
}

// checkEndpoint returns why s is not a usable base URL, or "". It never
// quotes s, which might hold a password in its user info.
func checkEndpoint(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Opaque != "" || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "must be an absolute http or https URL"
	}
	switch {
	case u.User != nil:
		return "must not contain user info"
	case u.RawQuery != "" || u.ForceQuery:
		return "must not contain a query"
	case u.Fragment != "" || strings.Contains(s, "#"):
		return "must not contain a fragment"
	}
	return ""
}

// labels decodes a label set. When app is not nil (room labels), names set
// by the app at appPath are refused too. It returns nil for an empty set.
func (d *decoder) labels(n *yaml.Node, path string, app map[string]string, appPath string) map[string]string {
	ls := map[string]string{}
	d.pairs(n, path, func(k, v *yaml.Node, name string) {
		switch {
		case !model.LegacyValidation.IsValidLabelName(name):
			d.errorf(k, path, "invalid label name %q", name)
			return
		case strings.HasPrefix(name, "__") || slices.Contains(ReservedLabelNames, name):
			d.errorf(k, path, "label name %q is reserved", name)
			return
		}
		if _, inApp := app[name]; inApp {
			d.errorf(k, path, "label name %q is already set in %s.labels", name, appPath)
			return
		}
		if s, ok := d.str(v, join(path, name)); ok {
			ls[name] = s
		}
	})
	if len(ls) == 0 {
		return nil
	}
	return ls
}

// roomAt is a decoded room and where it was written.
type roomAt struct {
	Room
	node *yaml.Node // the room's ID node, for its line
	path string     // the room's path, e.g. apps[0].rooms[2]
}

// roomList decodes a list of rooms (the rooms key, or a room file whose path
// is ""). Each room is an ID, or a mapping with id and optional labels. It
// does not check for duplicates: callers know the wider scope.
func (d *decoder) roomList(n *yaml.Node, path string, a *App, source string) []roomAt {
	if n.Kind != yaml.SequenceNode {
		if path == "" {
			d.errorf(n, path, "must be a list of rooms, got %s", describe(n))
		} else {
			d.errorf(n, path, "must be a list, got %s", describe(n))
		}
		return nil
	}
	var rooms []roomAt
	for i, item := range n.Content {
		item = resolve(item)
		if !d.visit(item) {
			break
		}
		p := index(path, i)
		r := roomAt{Room: Room{Source: source}, node: item, path: p}
		switch item.Kind {
		case yaml.ScalarNode:
			id, _ := d.str(item, p)
			if id == "" {
				d.errorf(item, p, "room ID must not be empty")
				continue
			}
			r.ID = id
		case yaml.MappingNode:
			var idNode *yaml.Node
			present := d.fields(item, p, []field{
				{"id", func(v *yaml.Node, fp string) {
					idNode = v
					if s, ok := d.nonEmpty(v, fp); ok {
						r.ID = s
					}
				}},
				{"labels", func(v *yaml.Node, fp string) { r.Labels = d.labels(v, fp, a.Labels, a.path) }},
			})
			if present["id"] == nil {
				d.errorf(item, join(p, "id"), "required")
			}
			if r.ID == "" {
				continue
			}
			r.node = idNode
		default:
			d.errorf(item, p, "must be a room ID or a mapping with id and labels, got %s", describe(item))
			continue
		}
		rooms = append(rooms, r)
	}
	return rooms
}

// roomFiles decodes the room_files globs of app a.
func (d *decoder) roomFiles(n *yaml.Node, path string, a *App) {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "must be a list, got %s", describe(n))
		return
	}
	for i, item := range n.Content {
		item = resolve(item)
		if !d.visit(item) {
			break
		}
		p := index(path, i)
		s, ok := d.nonEmpty(item, p)
		if !ok {
			continue
		}
		if _, err := filepath.Match(s, ""); err != nil {
			d.errorf(item, p, "invalid glob pattern %q: %v", s, err)
			continue
		}
		a.RoomFiles = append(a.RoomFiles, s)
		a.roomGlobs = append(a.roomGlobs, roomGlob{pattern: d.file(s), path: p, line: item.Line})
	}
}

// budget decodes a members or stats block into b, which holds the defaults.
func (d *decoder) budget(n *yaml.Node, path string, b *APIBudget, maxQPS int) {
	d.fields(n, path, []field{
		{"enabled", func(v *yaml.Node, p string) {
			if x, ok := d.boolean(v, p); ok {
				b.Enabled = x
			}
		}},
		{"qps", func(v *yaml.Node, p string) {
			if x, ok := d.intRange(v, p, 1, maxQPS); ok {
				b.QPS = x
			}
		}},
	})
}

// discovery decodes the discovery block into disc, which holds the defaults.
func (d *decoder) discovery(n *yaml.Node, path string, disc *Discovery) {
	d.fields(n, path, []field{
		{"enabled", func(v *yaml.Node, p string) {
			if x, ok := d.boolean(v, p); ok {
				disc.Enabled = x
			}
		}},
		{"interval", func(v *yaml.Node, p string) {
			if x, ok := d.duration(v, p); ok {
				disc.Interval = x
			}
		}},
		{"qps", func(v *yaml.Node, p string) {
			if x, ok := d.intRange(v, p, 1, MaxDiscoveryQPS); ok {
				disc.QPS = x
			}
		}},
	})
}
