package webhook

import (
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// outcome is how a webhook request ended, an index of outcomes.
type outcome int

// The outcomes, in the order of outcomes.
const (
	ok outcome = iota
	unauthorized
	unknownApp
	badRequest
	tooLarge
	numOutcomes
)

// outcomes holds each outcome's label, HTTP status and answer text.
var outcomes = [numOutcomes]struct {
	label  string
	status int
	text   string
}{
	ok:           {"ok", http.StatusOK, ""},
	unauthorized: {"unauthorized", http.StatusUnauthorized, "unauthorized"},
	unknownApp:   {"unknown_app", http.StatusNotFound, "no webhook configured for this SdkAppid"},
	badRequest:   {"bad_request", http.StatusBadRequest, "body unreadable or not a JSON object"},
	tooLarge:     {"too_large", http.StatusRequestEntityTooLarge, "body larger than 64 KiB"},
}

// otherValue is the label value of a command that is not a documented one,
// and of an SdkAppid that names no app taking webhooks: both come from an
// untrusted query, so they must not make a series each.
const otherValue = "other"

// commandLabels are the command label's values: the documented commands,
// then otherValue. Their index is what counts are kept by.
var commandLabels = append(tencent.WebhookCommands(), otherValue)

// commandIndexes maps a documented command's canonical name to its index in
// commandLabels.
var commandIndexes = func() map[string]int {
	m := make(map[string]int, len(commandLabels))
	for i, name := range commandLabels[:len(commandLabels)-1] {
		m[name] = i
	}
	return m
}()

// commandIndex returns the index in commandLabels of a CallbackCommand as
// received.
func commandIndex(command string) int {
	if canonical, known := tencent.KnownWebhookCommand(command); known {
		return commandIndexes[canonical]
	}
	return len(commandLabels) - 1
}

// counts are the requests of one app (or of no app), by command and
// outcome, and when it last had an event.
type counts struct {
	requests  [][numOutcomes]atomic.Uint64 // by index of commandLabels
	lastEvent atomic.Int64                 // Unix nanoseconds of the last request answered 200, or of the app's set-up; 0 for none
}

func newCounts() *counts {
	return &counts{requests: make([][numOutcomes]atomic.Uint64, len(commandLabels))}
}

// add counts one request of command (an index of commandLabels) with outcome
// o.
func (c *counts) add(command int, o outcome) {
	c.requests[command][o].Add(1)
}

var (
	requestsDesc = prometheus.NewDesc("tencent_live_webhook_requests_total",
		"Webhook requests received, by SdkAppid (\"other\" for one of no app taking webhooks), CallbackCommand (\"other\" for an undocumented one) and outcome.",
		[]string{"sdkappid", "command", "outcome"}, nil)
	lastEventDesc = prometheus.NewDesc("tencent_live_webhook_last_event_timestamp_seconds",
		"When the app's last authenticated webhook was answered, or, before the first, when the exporter took the app's webhook token.",
		[]string{"sdkappid"}, nil)
)

// Describe implements prometheus.Collector.
func (r *Receiver) Describe(ch chan<- *prometheus.Desc) {
	ch <- requestsDesc
	ch <- lastEventDesc
}

// Collect implements prometheus.Collector. Only the counts above zero are
// exposed: a series appears with its first request.
func (r *Receiver) Collect(ch chan<- prometheus.Metric) {
	for id, a := range *r.apps.Load() {
		app := strconv.FormatUint(id, 10)
		a.counts.collect(ch, app)
		if ns := a.counts.lastEvent.Load(); ns > 0 {
			ch <- prometheus.MustNewConstMetric(lastEventDesc, prometheus.GaugeValue, float64(ns)/1e9, app)
		}
	}
	r.other.collect(ch, otherValue)
}

// collect sends the request counts above zero, labelled with app.
func (c *counts) collect(ch chan<- prometheus.Metric, app string) {
	for command := range c.requests {
		for o := range numOutcomes {
			if n := c.requests[command][o].Load(); n > 0 {
				ch <- prometheus.MustNewConstMetric(requestsDesc, prometheus.CounterValue, float64(n),
					app, commandLabels[command], outcomes[o].label)
			}
		}
	}
}
