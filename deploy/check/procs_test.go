package check

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"sigs.k8s.io/yaml"
)

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// process is a server started for a test; it is stopped with SIGTERM at
// cleanup, and its output is kept in a log file shown when the test fails.
type process struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

func startProcess(t testing.TB, name, bin string, args ...string) *process {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p := &process{name: name, cmd: exec.Command(bin, args...), log: logPath, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = f, f
	if err := p.cmd.Start(); err != nil {
		f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = p.cmd.Wait()
		f.Close()
		close(p.done)
	}()
	t.Cleanup(func() {
		_, _ = p.stop(t, 10*time.Second)
		if t.Failed() {
			data, _ := os.ReadFile(logPath)
			t.Logf("--- %s log (last 4 KiB) ---\n%s", name, tail(data, 4096))
		}
	})
	return p
}

// stop sends SIGTERM, waits up to grace, then kills. It reports how long the
// process took and its exit error.
func (p *process) stop(t testing.TB, grace time.Duration) (time.Duration, error) {
	select {
	case <-p.done:
		return 0, p.err
	default:
	}
	start := time.Now()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return time.Since(start), p.err
	case <-time.After(grace):
		t.Logf("%s did not stop within %v of SIGTERM; killing it", p.name, grace)
		_ = p.cmd.Process.Kill()
		<-p.done
		return time.Since(start), p.err
	}
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// waitFor polls cond every interval until it returns true or the deadline
// passes; a process that exits meanwhile fails the test at once.
func waitFor(t testing.TB, what string, timeout, interval time.Duration, procs []*process, cond func() (bool, error)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	var lastErr error
	for {
		ok, err := cond()
		if ok {
			return
		}
		lastErr = err
		for _, p := range procs {
			if p.exited() {
				t.Fatalf("waiting for %s: %s exited: %v", what, p.name, p.err)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s (last error: %v)", timeout, what, lastErr)
		}
		time.Sleep(interval)
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

// httpStatus returns the status code of a GET, or an error.
func httpStatus(url string) (int, error) {
	resp, err := httpClient.Get(url)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

// getJSON GETs url and decodes a JSON answer into v.
func getJSON(url string, v any) error {
	resp, err := httpClient.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, tail(body, 512))
	}
	return json.Unmarshal(body, v)
}

// webhookSink records Alertmanager notifications by receiver (the URL path).
type webhookSink struct {
	mu     sync.Mutex
	alerts map[string][]map[string]string // receiver -> alerts' labels
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var msg struct {
		Receiver string `json:"receiver"`
		Alerts   []struct {
			Status string            `json:"status"`
			Labels map[string]string `json:"labels"`
		} `json:"alerts"`
	}
	if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.alerts == nil {
		s.alerts = map[string][]map[string]string{}
	}
	recv := strings.TrimPrefix(r.URL.Path, "/")
	for _, a := range msg.Alerts {
		if a.Status == "firing" {
			s.alerts[recv] = append(s.alerts[recv], a.Labels)
		}
	}
}

// received returns the receivers that were notified of an alert whose labels
// include all of match.
func (s *webhookSink) received(match map[string]string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for recv, alerts := range s.alerts {
	next:
		for _, l := range alerts {
			for k, v := range match {
				if l[k] != v {
					continue next
				}
			}
			out = append(out, recv)
			break
		}
	}
	return out
}

// loopbackAlertmanagerConfig writes a copy of the example Alertmanager
// configuration whose receivers all post to sinkURL/<receiver name>, with
// short grouping delays; routes and inhibition rules stay as they are.
func loopbackAlertmanagerConfig(t testing.TB, sinkURL string) string {
	t.Helper()
	var cfg map[string]any
	if err := yaml.Unmarshal(readRepoFile(t, "deploy/alertmanager/alertmanager.yml"), &cfg); err != nil {
		t.Fatal(err)
	}
	receivers, _ := cfg["receivers"].([]any)
	for _, r := range receivers {
		rm := r.(map[string]any)
		name := rm["name"].(string)
		for k := range rm {
			if strings.HasSuffix(k, "_configs") {
				delete(rm, k)
			}
		}
		rm["webhook_configs"] = []any{map[string]any{"url": sinkURL + "/" + name, "send_resolved": false}}
	}
	route := cfg["route"].(map[string]any)
	route["group_wait"], route["group_interval"] = "1s", "5s"
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "alertmanager.yml")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// startAlertmanager runs a real Alertmanager on loopback without clustering.
func startAlertmanager(t testing.TB, configPath string) (*process, string) {
	t.Helper()
	bin := lookTool(t, "prometheus-alertmanager", "alertmanager")
	port := freePort(t)
	url := fmt.Sprintf("http://127.0.0.1:%d", port)
	p := startProcess(t, "alertmanager", bin,
		"--config.file="+configPath,
		"--storage.path="+t.TempDir(),
		fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port),
		"--cluster.listen-address=",
	)
	waitFor(t, "Alertmanager ready", 30*time.Second, 200*time.Millisecond, []*process{p}, func() (bool, error) {
		code, err := httpStatus(url + "/-/ready")
		return code == http.StatusOK, err
	})
	return p, url
}

// amAlert is an alert as Alertmanager's v2 API lists it.
type amAlert struct {
	Labels map[string]string `json:"labels"`
	Status struct {
		State       string   `json:"state"`
		InhibitedBy []string `json:"inhibitedBy"`
	} `json:"status"`
	Receivers []struct {
		Name string `json:"name"`
	} `json:"receivers"`
}

func listAlerts(amURL string) ([]amAlert, error) {
	var alerts []amAlert
	err := getJSON(amURL+"/api/v2/alerts", &alerts)
	return alerts, err
}

// amtoolReceivers asks amtool which receivers the example configuration's
// routing tree picks for an alert with the given labels.
func amtoolReceivers(t testing.TB, labels map[string]string) string {
	t.Helper()
	amtool := lookTool(t, "amtool")
	args := []string{"config", "routes", "test", "--config.file=" + filepath.Join(repoRoot(t), "deploy/alertmanager/alertmanager.yml")}
	for k, v := range labels {
		args = append(args, k+"="+v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, amtool, args...).Output()
	if err != nil {
		t.Fatalf("amtool %v: %v", args, err)
	}
	return strings.TrimSpace(string(out))
}
