package main

// Helpers of the end-to-end tests in main_test.go: building and running the
// binary, talking to it over HTTP, polling with deadlines, and reading its
// exposition.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
)

var update = flag.Bool("update", false, "rewrite "+goldenFile+" from the exporter's output")

// testVersion is stamped into the binary under test.
const testVersion = "0.0.0-e2e"

// goldenFile holds the expected exposition of TestE2EExposition.
const goldenFile = "testdata/e2e-output.txt"

// Deadlines and pacing of the waits.
const (
	// settleTimeout bounds every wait for the exporter to start, become
	// ready or reach an expected state.
	settleTimeout = 30 * time.Second
	// pollInterval is the pause between two looks at the exporter.
	pollInterval = 50 * time.Millisecond
	// runTimeout bounds a one-shot run of the binary (--config.check...).
	runTimeout = 30 * time.Second
)

// binary is the exporter built for this test run, on first use.
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// exporterBinary returns the path of the exporter built from this package,
// building it on first use, with the race detector when the tests run with it
// so that races of the daemon show up in its stderr.
func exporterBinary(t testing.TB) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "tencent_live_exporter-e2e-")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, exporterName)
		args := []string{"build", "-o", binary.path, "-ldflags", "-X github.com/prometheus/common/version.Version=" + testVersion}
		if raceEnabled() {
			args = append(args, "-race")
		}
		if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// raceEnabled reports whether this test binary was built with -race.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// exporterCommand returns the command running the exporter with args in dir.
// It is the one place where the binary is started.
func exporterCommand(ctx context.Context, t testing.TB, dir string, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.CommandContext(ctx, exporterBinary(t), args...)
	cmd.Dir = dir
	// A race-enabled binary otherwise sleeps 1 s when it exits with status
	// 0, which would count in the measured shutdown time.
	cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
	return cmd
}

// onHostScript sets the host name to its $0 and runs its arguments.
const onHostScript = `hostname "$0" && exec "$@"`

// onHost makes cmd run with host as its host name, in a UTS namespace of
// its own inside a user namespace, through util-linux's unshare, so that
// the test needs neither root nor a change to the machine. canSetHost says
// whether the machine allows it.
func onHost(cmd *exec.Cmd, host string) {
	cmd.Args = append([]string{"unshare", "--user", "--map-root-user", "--uts", "sh", "-c", onHostScript, host}, cmd.Args...)
	cmd.Path, cmd.Err = exec.LookPath("unshare")
}

// canSetHost returns nil when onHost works on this machine, else why not.
func canSetHost() error {
	out, err := exec.Command("unshare", "--user", "--map-root-user", "--uts", "sh", "-c", onHostScript, "probe-0", "hostname").CombinedOutput()
	if err != nil {
		return fmt.Errorf("unshare: %w: %s", err, bytes.TrimSpace(out))
	}
	if got := string(bytes.TrimSpace(out)); got != "probe-0" {
		return fmt.Errorf("unshare: the host name is %q, want probe-0", got)
	}
	return nil
}

// runOnce runs the exporter with args in dir until it exits, on host unless
// it is "" (see onHost), and returns its exit code and output.
func runOnce(t testing.TB, dir, host string, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), runTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exporterCommand(ctx, t, dir, args...)
	if host != "" {
		onHost(cmd, host)
	}
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	case err != nil:
		t.Fatal(err)
	}
	return 0, stdout.String(), stderr.String()
}

// lockedBuffer collects a subprocess's output: exec copies the output pipe
// into it from its own goroutine while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// exporter is a running exporter daemon.
type exporter struct {
	cmd     *exec.Cmd
	base    string       // http://127.0.0.1:port, or https://
	client  *http.Client // for base
	started time.Time    // just before the process started
	stderr  *lockedBuffer
	done    chan struct{} // closed once the process has exited
	waitErr error         // how it exited; read only after done is closed
}

// errStop makes poll give up at once: waiting longer cannot help.
var errStop = errors.New("stopped waiting")

// errAddressInUse is the failure of an exporter whose port was taken between
// the test picking it and the exporter binding it.
var errAddressInUse = errors.New("listen address already in use")

// startExporter starts the exporter in dir with args on a free loopback port
// and returns once it answers /-/healthy. It kills the process when the test
// ends, and logs its stderr if the test failed.
func startExporter(t testing.TB, dir string, args ...string) *exporter {
	t.Helper()
	return startExporterOver(t, plainHTTP, dir, args...)
}

// startExporterOver is startExporter for an exporter reached over tr.
func startExporterOver(t testing.TB, tr transport, dir string, args ...string) *exporter {
	t.Helper()
	return startExporterOn(t, tr, "", dir, args...)
}

// startExporterOn is startExporterOver for an exporter whose host name is
// host (see onHost); "" keeps the machine's.
func startExporterOn(t testing.TB, tr transport, host, dir string, args ...string) *exporter {
	t.Helper()
	const attempts = 3
	for i := 1; ; i++ {
		e := launchExporter(t, tr, host, dir, freeAddress(t), args)
		err := poll(settleTimeout, func() error {
			if e.exited() {
				if strings.Contains(e.stderr.String(), "address already in use") {
					return fmt.Errorf("%w: %w", errStop, errAddressInUse)
				}
				return fmt.Errorf("%w: exporter exited (%w)", errStop, e.waitErr)
			}
			status, _, err := e.request(http.MethodGet, "/-/healthy")
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("/-/healthy: HTTP %d", status)
			}
			return err
		})
		switch {
		case err == nil:
			return e
		case errors.Is(err, errAddressInUse) && i < attempts:
			continue
		}
		t.Fatalf("exporter did not start serving: %v", err)
	}
}

// launchExporter starts the exporter process listening on addr, reached
// over tr, on host unless it is "".
func launchExporter(t testing.TB, tr transport, host, dir, addr string, args []string) *exporter {
	t.Helper()
	cmd := exporterCommand(context.Background(), t, dir, append([]string{"--web.listen-address=" + addr}, args...)...)
	if host != "" {
		onHost(cmd, host)
	}
	e := &exporter{cmd: cmd, base: tr.scheme + "://" + addr, client: tr.client, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = e.stderr
	e.started = time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		e.waitErr = cmd.Wait()
		close(e.done)
	}()
	t.Cleanup(func() {
		if !e.exited() {
			_ = cmd.Process.Kill()
			<-e.done
		}
		if strings.Contains(e.stderr.String(), "DATA RACE") {
			t.Error("the exporter reported a data race")
		}
		if t.Failed() {
			t.Logf("exporter stderr:\n%s", e.stderr)
		}
	})
	return e
}

// exited reports whether the process has exited.
func (e *exporter) exited() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// terminate sends SIGTERM and waits for the process to exit; it returns
// how long that took.
func (e *exporter) terminate(t testing.TB) time.Duration {
	t.Helper()
	signalled := time.Now()
	if err := e.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-e.done:
	case <-time.After(settleTimeout):
		t.Fatalf("the exporter still runs %s after SIGTERM", settleTimeout)
	}
	return time.Since(signalled)
}

// freeAddress returns a loopback address whose port was free a moment ago.
func freeAddress(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// httpClient talks to the exporter over plain HTTP.
var httpClient = &http.Client{Timeout: 10 * time.Second}

// transport is how the tests reach an exporter: the scheme of its URL and
// the client.
type transport struct {
	scheme string
	client *http.Client
}

// plainHTTP reaches an exporter without web configuration.
var plainHTTP = transport{"http", httpClient}

// serveTLS writes a self-signed certificate for 127.0.0.1 with its key and a
// web configuration serving TLS with them to dir, and returns the web
// configuration's path and a transport trusting the certificate.
func serveTLS(t *testing.T, dir string) (string, transport) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	template := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "tencent_live_exporter e2e"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile := writeFile(t, dir, "tls.crt", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	keyFile := writeFile(t, dir, "tls.key", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	webConfig := writeFile(t, dir, "web.yml", fmt.Sprintf("tls_server_config:\n  cert_file: %s\n  key_file: %s\n", certFile, keyFile))

	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	client := &http.Client{
		Timeout:   httpClient.Timeout,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
	}
	t.Cleanup(client.CloseIdleConnections)
	return webConfig, transport{"https", client}
}

// request sends an HTTP request without body to the exporter and returns the
// status and body of the answer. Once the process has exited, its error
// wraps errStop.
func (e *exporter) request(method, path string) (int, string, error) {
	req, err := http.NewRequest(method, e.base+path, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := e.client.Do(req)
	if err != nil {
		if e.exited() {
			return 0, "", fmt.Errorf("%w: exporter exited (%w)", errStop, e.waitErr)
		}
		return 0, "", err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, err = body.ReadFrom(resp.Body)
	return resp.StatusCode, body.String(), err
}

// get returns the body of path, failing the test unless it answers 200.
func (e *exporter) get(t testing.TB, path string) string {
	t.Helper()
	status, body, err := e.request(http.MethodGet, path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if status != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d: %s", path, status, body)
	}
	return body
}

// scrape fetches /metrics and returns its text and its parsed families.
func (e *exporter) scrape(t testing.TB) (string, families) {
	t.Helper()
	raw := e.get(t, "/metrics")
	fams, err := parseExposition(raw)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return raw, fams
}

// waitReady waits until /-/ready answers 200.
func waitReady(t testing.TB, e *exporter) {
	t.Helper()
	waitFor(t, settleTimeout, "/-/ready to answer 200", func() error {
		status, body, err := e.request(http.MethodGet, "/-/ready")
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %s", status, strings.TrimSpace(body))
		}
		return err
	})
}

// poll calls check every pollInterval until it returns nil, returns an error
// wrapping errStop, or timeout has passed; it returns check's last error.
func poll(timeout time.Duration, check func() error) error {
	deadline := time.Now().Add(timeout)
	ticker := time.NewTicker(pollInterval)
	defer ticker.Stop()
	for {
		err := check()
		if err == nil || errors.Is(err, errStop) || time.Now().After(deadline) {
			return err
		}
		<-ticker.C
	}
}

// waitFor polls check until it returns nil and returns how long that took;
// when timeout passes first, it fails the test with check's last error.
func waitFor(t testing.TB, timeout time.Duration, what string, check func() error) time.Duration {
	t.Helper()
	start := time.Now()
	if err := poll(timeout, check); err != nil {
		t.Fatalf("waiting %s for %s: %v", timeout, what, err)
	}
	return time.Since(start)
}

// families is a parsed exposition, by metric name.
type families map[string]*dto.MetricFamily

// parseExposition parses the text format.
func parseExposition(raw string) (families, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	return parser.TextToMetricFamilies(strings.NewReader(raw))
}

// value returns the value of the first sample of name whose labels include
// the given name, value pairs.
func (f families) value(name string, labelPairs ...string) (float64, bool) {
	mf := f[name]
	if mf == nil {
		return 0, false
	}
	for _, m := range mf.GetMetric() {
		if hasLabels(m, labelPairs) {
			return sampleValue(m), true
		}
	}
	return 0, false
}

// byLabel returns the values of name's samples by the value of label.
func (f families) byLabel(name, label string) map[string]float64 {
	values := map[string]float64{}
	for _, m := range f[name].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == label {
				values[lp.GetValue()] = sampleValue(m)
			}
		}
	}
	return values
}

// namesWith returns the names of the families having a sample whose label
// has value.
func (f families) namesWith(label, value string) []string {
	var names []string
	for name, mf := range f {
		for _, m := range mf.GetMetric() {
			if hasLabels(m, []string{label, value}) {
				names = append(names, name)
				break
			}
		}
	}
	return names
}

// hasLabels reports whether m carries every name, value pair of pairs.
func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		found := false
		for _, lp := range m.GetLabel() {
			if lp.GetName() == pairs[i] && lp.GetValue() == pairs[i+1] {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// sampleValue returns the value of a gauge, counter or untyped sample.
func sampleValue(m *dto.Metric) float64 {
	switch {
	case m.Gauge != nil:
		return m.GetGauge().GetValue()
	case m.Counter != nil:
		return m.GetCounter().GetValue()
	default:
		return m.GetUntyped().GetValue()
	}
}

// startSim starts the simulated Live API with opts and closes it when the
// test ends.
func startSim(t testing.TB, opts livesim.Options) *livesim.Server {
	t.Helper()
	sim, err := livesim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

// writeFile writes content to name in dir, through a rename so that a
// reader never sees it half written, and returns its path.
func writeFile(t testing.TB, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// closedEndpoint returns the URL of a loopback port on which nothing listens.
func closedEndpoint(t *testing.T) string {
	return "http://" + freeAddress(t)
}

// linesWith returns the lines of text containing s.
func linesWith(text, s string) []string {
	var lines []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			lines = append(lines, l)
		}
	}
	return lines
}
