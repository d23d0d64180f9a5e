// Package collector is the exporter's core: it keeps each app's rooms fresh
// within Tencent's rate limits and serves what it learnt as metrics, without
// ever calling Tencent at scrape time.
//
// A room's way from the configuration to /metrics, file by file:
//
//   - fetcher.go: Fetcher.Apply takes a validated config.Config, starts an
//     app per SDKAppID and stops removed ones; settings.go turns each
//     config.App into appSettings and the rooms wanted, with their labels.
//   - app.go: an app keeps its watched rooms (configured, plus discovered
//     ones from discovery.go) and gives each a task per lane.
//   - room.go: the model. A room holds its latest snapshots; a task is the
//     refreshing of one room by one lane, queued by when it is due.
//   - lane.go: where rooms are scheduled. A lane is the refreshing of every
//     room of an app with one command (roomCommands in commands.go): its
//     loop takes the due task, waits for a slot of the command's rate
//     budget (package budget, where the budget is kept) and for room under
//     the limit of requests in flight, and sends the request.
//   - outcome.go: where answers are judged. The outcome policy of package
//     tencent says what an answer means; settle applies it to the app
//     (health, rate, UserSig, pauses, retries) the same way for lanes and
//     discovery, and record publishes the room's new snapshot
//     (snapshot.go). health.go holds pauses, api_up and pass tracking.
//   - text.go and series.go: where metrics are built. Whenever a room
//     changes, its series (series.go says which, from its snapshots) are
//     rendered in the text format with the other rooms of its block, and
//     a scrape writes them straight to the response; exposition.go holds
//     the metric families (for protobuf), the Gatherer and the Collector of
//     the exporter's own health metrics.
//
// hint.go moves a room to the front of get_room_info's queue when Tencent's
// webhooks (events.go, fed by package webhook) or discovery's listing say
// it changed. probe.go fetches one room now for /probe, in its share of the
// same budget. credentials.go supplies each app's UserSig.
//
// Concurrency: each app's mutex guards its rooms, tasks, queues and health;
// it is taken in app.go, lane.go, outcome.go, health.go and discovery.go.
// Scrapes take no app lock: they read an immutable view published with an
// atomic pointer and the rooms' immutable snapshots.
//
// Tests run in testing/synctest bubbles against the simulated API (package
// livesim) answering in memory, so schedules, rates and pauses are checked
// in virtual time; one smoke test uses real HTTP on loopback.
package collector
