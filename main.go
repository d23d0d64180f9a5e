// Command tencent_live_exporter is a Prometheus exporter for Tencent Cloud
// Live rooms: it keeps a configured list of rooms fresh through a rate-aware
// fetcher and serves their state on /metrics.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/alecthomas/kingpin/v2"
	"github.com/go-kit/log"
	"github.com/go-kit/log/level"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	versioncollector "github.com/prometheus/client_golang/prometheus/collectors/version"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/version"
	"github.com/prometheus/exporter-toolkit/web"
	"github.com/prometheus/exporter-toolkit/web/kingpinflag"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/livesim"
	"github.com/tencent-live-exporter/tencent_live_exporter/collector/webhook"
	"github.com/tencent-live-exporter/tencent_live_exporter/config"
	"github.com/tencent-live-exporter/tencent_live_exporter/shard"
)

const (
	exporterName = "tencent_live_exporter"
	// defaultAddress is outside the fully allocated 9100-9999 exporter range.
	defaultAddress = ":10071"
	// roomFilesCheckInterval is how often room_files are looked at for changes.
	roomFilesCheckInterval = 5 * time.Second
	// shutdownGrace bounds the wait for in-flight work on SIGTERM.
	shutdownGrace = 4 * time.Second
	// demoWebhookAddress is where --demo receives its simulated API's
	// webhooks unless --webhook.listen-address says otherwise.
	demoWebhookAddress = "127.0.0.1:10072"
	// demoChurnInterval is how often --demo dissolves and re-creates its
	// churning rooms.
	demoChurnInterval = 3 * time.Minute
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the whole program; it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	app := kingpin.New(exporterName, "Prometheus exporter for Tencent Cloud Live rooms (TUILiveKit).")
	var (
		configFile    = app.Flag("config.file", "Configuration file.").Default("tencent_live.yml").String()
		configCheck   = app.Flag("config.check", "Validate the configuration, print the result and exit (0 valid, 1 invalid).").Bool()
		telemetryPath = app.Flag("web.telemetry-path", "Path under which to expose metrics.").Default("/metrics").String()
		maxRequests   = app.Flag("web.max-requests", "Maximum number of concurrent /metrics requests; 0 disables the limit.").Default("40").Int()
		probeOffset   = app.Flag("web.probe-timeout-offset", "Time taken off the scrape timeout Prometheus announces to /probe, so that the answer arrives in time.").Default(defaultProbeTimeoutOffset.String()).Duration()
		logLevel      = app.Flag("log.level", "Only log messages with the given severity or above.").Default("info").Enum("debug", "info", "warn", "error")
		logFormat     = app.Flag("log.format", "Output format of log messages.").Default("logfmt").Enum("logfmt", "json")
		demo          = app.Flag("demo", "Run against the built-in simulated Live API with sample rooms; needs no credentials nor config file.").Bool()
		demoChurn     = app.Flag("demo.churn-interval", "With --demo, how often the simulated API dissolves and re-creates its churning rooms.").Default(demoChurnInterval.String()).Hidden().Duration()
		shardFlags    = shard.AddFlags(app)
		webConfig     = kingpinflag.AddFlags(app, defaultAddress)
		hookAddress   = app.Flag("webhook.listen-address", "Address on which to receive Tencent's webhooks (POST /webhook only), apart from /metrics; empty turns the receiver off. With --demo it defaults to "+demoWebhookAddress+".").Default("").String()
		hookConfig    = app.Flag("webhook.config.file", "Path to an exporter-toolkit web configuration file for the webhook listener (TLS).").Default("").String()
	)
	app.Version(version.Print(exporterName))
	app.HelpFlag.Short('h')
	app.UsageWriter(stdout)
	app.ErrorWriter(stderr)
	if _, err := app.Parse(args); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", exporterName, err)
		return 1
	}
	if *probeOffset < 0 {
		fmt.Fprintf(stderr, "%s: --web.probe-timeout-offset must not be negative, got %s\n", exporterName, *probeOffset)
		return 1
	}
	ownShard, err := shard.FromFlags(*shardFlags, os.Hostname)
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", exporterName, err)
		return 1
	}

	logger, slogger := newLoggers(*logLevel, *logFormat, stderr)
	// Whatever logs through the standard library's default logger, and the
	// HTTP server and promhttp through errorLog, write lines like ours.
	slog.SetDefault(slogger)
	errorLog := slog.NewLogLogger(slogger.Handler(), slog.LevelError)
	level.Info(logger).Log("msg", "Starting "+exporterName, "version", version.Info(), "build_context", version.BuildContext())

	registry := prometheus.NewRegistry()
	safeConfig := config.NewSafeConfig(registry)

	var loadConfig func() error
	var sim *livesim.Server
	if *demo {
		var cfg *config.Config
		var err error
		if sim, cfg, err = startDemo(); err != nil {
			level.Error(logger).Log("msg", "Cannot start the simulated Live API", "err", err)
			return 1
		}
		defer sim.Close()
		if *hookAddress == "" {
			*hookAddress = demoWebhookAddress
		}
		level.Info(logger).Log("msg", "Demo mode: watching sample rooms on the built-in simulated Live API", "endpoint", sim.URL(), "webhook_listen_address", *hookAddress)
		loadConfig = func() error { safeConfig.Set(cfg); return nil }
	} else {
		loadConfig = func() error { return safeConfig.Reload(*configFile) }
	}
	if err := loadConfig(); err != nil {
		if *configCheck {
			fmt.Fprintf(stdout, "%s: invalid: %v\n", *configFile, err)
		}
		level.Error(logger).Log("msg", "Invalid configuration", "file", *configFile, "err", err)
		return 1
	}
	if *configCheck {
		fmt.Fprintf(stdout, "%s: valid: %s\n", *configFile, summary(safeConfig.Get()))
		if ownShard.Count > 1 {
			for _, part := range shard.Split(safeConfig.Get(), ownShard.Count) {
				fmt.Fprintln(stdout, part)
			}
		}
		return 0
	}

	// Signals are caught from here on, so that none arriving during start-up
	// kills the process instead of reloading or stopping it cleanly.
	term := make(chan os.Signal, 1)
	signal.Notify(term, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(term)
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	fetcher := collector.NewFetcher(ctx, logger, nil)
	receiver := webhook.New(webhook.Options{Sink: fetcher, Logger: logger})
	// The shard's apps, and only they, are fetched and take webhooks.
	shardFilter := shard.NewFilter(ownShard, func(cfg *config.Config) error {
		if err := fetcher.Apply(cfg); err != nil {
			return err
		}
		receiver.SetTokens(webhookTokens(cfg))
		return nil
	}, logger)
	if err := shardFilter.Apply(safeConfig.Get()); err != nil {
		level.Error(logger).Log("msg", "Cannot apply the configuration", "err", err)
		return 1
	}
	registry.MustRegister(
		collector.NewCollector(fetcher),
		receiver,
		shardFilter,
		versioncollector.NewCollector(exporterName),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)

	reloads := newReloader(logger, func() error {
		if err := loadConfig(); err != nil {
			return err
		}
		return shardFilter.Apply(safeConfig.Get())
	}, func() (bool, error) {
		changed, err := safeConfig.ReloadRoomFiles()
		if changed {
			err = shardFilter.Apply(safeConfig.Get())
		}
		return changed || err != nil, err
	})
	go reloads.run(ctx, hup, roomFilesCheckInterval)

	mux, err := routes(*telemetryPath, *maxRequests, registry, fetcher, safeConfig, shardFilter, reloads, probeHandler(fetcher, shardFilter, *probeOffset), errorLog)
	if err != nil {
		level.Error(logger).Log("msg", "Cannot build the HTTP routes", "err", err)
		return 1
	}
	server := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errorLog}
	serveErr := make(chan error, 2)
	go func() { serveErr <- web.ListenAndServe(server, webConfig, slogger) }()
	var hookServer *http.Server
	if *hookAddress != "" {
		hookServer = webhook.NewServer(receiver, logger)
		go func() { serveErr <- web.ListenAndServe(hookServer, webFlags(*hookAddress, *hookConfig), slogger) }()
		if sim != nil {
			startDemoEvents(ctx, sim, *hookAddress, *demoChurn)
		}
	}

	select {
	case sig := <-term:
		level.Info(logger).Log("msg", "Shutting down", "signal", sig)
	case err := <-serveErr:
		if !errors.Is(err, http.ErrServerClosed) {
			level.Error(logger).Log("msg", "HTTP server failed", "err", err)
			return 1
		}
	}
	stop()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for _, s := range []*http.Server{server, hookServer} {
		if s == nil {
			continue
		}
		if err := s.Shutdown(shutdownCtx); err != nil {
			level.Warn(logger).Log("msg", "HTTP server did not stop cleanly", "err", err)
		}
	}
	fetcher.Wait()
	return 0
}

// routes returns the exporter's HTTP endpoints.
func routes(telemetryPath string, maxRequests int, registry *prometheus.Registry, fetcher *collector.Fetcher,
	safeConfig *config.SafeConfig, shardFilter *shard.Filter, reloads *reloader, probe http.Handler, errorLog *stdlog.Logger) (*http.ServeMux, error) {
	mux := http.NewServeMux()
	mux.Handle(telemetryPath, promhttp.InstrumentMetricHandler(registry, collector.NewHandler(registry, fetcher, collector.HandlerOpts{
		ErrorLog:            errorLog,
		MaxRequestsInFlight: maxRequests,
	})))
	mux.HandleFunc("/-/healthy", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "Healthy") })
	mux.HandleFunc("/-/ready", func(w http.ResponseWriter, _ *http.Request) {
		if !fetcher.Ready() {
			http.Error(w, "Not ready: the first pass over the rooms is not finished", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "Ready")
	})
	mux.HandleFunc("/-/reload", reloads.handle)
	mux.Handle("/probe", probe)
	mux.HandleFunc("/config", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, shardFilter.ConfigComment()+safeConfig.Get().String())
	})
	if telemetryPath == "/" {
		return mux, nil
	}
	landing, err := web.NewLandingPage(web.LandingConfig{
		Name:        exporterName,
		Description: "Prometheus exporter for Tencent Cloud Live rooms",
		Version:     version.Info(),
		Profiling:   "false", // no /debug/pprof handlers are served
		Links: []web.LandingLinks{
			{Address: telemetryPath, Text: "Metrics"},
			{Address: "/config", Text: "Configuration", Description: "effective configuration, secrets redacted"},
			{Address: "/-/ready", Text: "Readiness"},
			{Address: "/-/healthy", Text: "Health"},
			{Address: "/probe?target=<sdkappid>/<room_id>", Text: "Probe", Description: "one room fetched now (blackbox_exporter style)"},
		},
	})
	if err != nil {
		return nil, err
	}
	mux.Handle("/", landing)
	return mux, nil
}

// summary describes a configuration in one line.
func summary(cfg *config.Config) string {
	rooms := 0
	for _, a := range cfg.Apps {
		rooms += len(a.Rooms)
	}
	return fmt.Sprintf("%d apps, %d rooms", len(cfg.Apps), rooms)
}

// reloader applies configuration reloads one at a time, whether asked by
// SIGHUP, by POST /-/reload, or by a change of the room files.
type reloader struct {
	logger         log.Logger
	reload         func() error
	checkRoomFiles func() (bool, error)
	requests       chan chan error
}

// newReloader returns a reloader calling reload for each reload and
// checkRoomFiles periodically; checkRoomFiles reports whether it did
// anything, and what went wrong.
func newReloader(logger log.Logger, reload func() error, checkRoomFiles func() (bool, error)) *reloader {
	return &reloader{logger: logger, reload: reload, checkRoomFiles: checkRoomFiles, requests: make(chan chan error)}
}

// run serves reloads until ctx ends, on each signal from hup and each
// request, checking the room files every interval.
func (r *reloader) run(ctx context.Context, hup <-chan os.Signal, interval time.Duration) {
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			r.log("SIGHUP", r.reload())
		case done := <-r.requests:
			err := r.reload()
			r.log("HTTP request", err)
			done <- err
		case <-ticker.C:
			if acted, err := r.checkRoomFiles(); acted {
				r.log("room files changed", err)
			}
		}
	}
}

// log reports the result of a reload.
func (r *reloader) log(trigger string, err error) {
	if err != nil {
		level.Error(r.logger).Log("msg", "Configuration reload failed; the previous configuration stays in force", "trigger", trigger, "err", err)
		return
	}
	level.Info(r.logger).Log("msg", "Configuration reloaded", "trigger", trigger)
}

// handle serves POST /-/reload: 200 when the new configuration is in force,
// 500 with the reason when it was refused, 405 for other methods.
func (r *reloader) handle(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "This endpoint requires a POST request.", http.StatusMethodNotAllowed)
		return
	}
	done := make(chan error, 1)
	select {
	case r.requests <- done:
	case <-req.Context().Done():
		return
	}
	if err := <-done; err != nil {
		http.Error(w, fmt.Sprintf("failed to reload config: %s", err), http.StatusInternalServerError)
		return
	}
	fmt.Fprintln(w, "Configuration reloaded")
}

// webhookTokens returns the webhook token of every app of cfg that has one.
func webhookTokens(cfg *config.Config) map[uint64]string {
	tokens := map[uint64]string{}
	for _, a := range cfg.Apps {
		if token := a.WebhookToken(); token != "" {
			tokens[a.SDKAppID] = token
		}
	}
	return tokens
}

// webFlags returns exporter-toolkit's settings of a listener on address,
// with TLS from the web configuration file configFile (none when empty).
func webFlags(address, configFile string) *web.FlagConfig {
	systemd := false
	return &web.FlagConfig{WebListenAddresses: &[]string{address}, WebSystemdSocket: &systemd, WebConfigFile: &configFile}
}

// startDemoEvents makes the demo's simulated API send its webhooks to the
// listener on address and dissolve and re-create its churning rooms every
// interval, until ctx ends.
func startDemoEvents(ctx context.Context, sim *livesim.Server, address string, interval time.Duration) {
	host, port, err := net.SplitHostPort(address)
	if err != nil || host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	app := livesim.DemoApp()
	sim.SetWebhook(app.SDKAppID, "http://"+net.JoinHostPort(host, port)+"/webhook", livesim.DemoWebhookToken)
	sim.StartChurn(ctx, app.SDKAppID, livesim.DemoChurnRooms(), interval)
}

// startDemo starts the simulated Live API with its sample rooms and returns
// the configuration watching them, livesim.DemoConfig through the ordinary
// config parser.
func startDemo() (*livesim.Server, *config.Config, error) {
	sim, err := livesim.StartDemo(livesim.Options{})
	if err != nil {
		return nil, nil, err
	}
	cfg, err := config.Parse([]byte(livesim.DemoConfig(sim.URL())), "")
	if err != nil {
		sim.Close()
		return nil, nil, fmt.Errorf("demo configuration: %w", err)
	}
	return sim, cfg, nil
}
