package livesim

import (
	"maps"
	"time"
)

// Stats is what the simulator received and answered for one app since it
// started or since the last ResetStats. Requests naming no valid sdkappid
// are counted under sdkappid 0; requests for an sdkappid that was never added
// are counted under that sdkappid.
type Stats struct {
	// Requests counts every request received, per command; a path that names
	// no known command counts under "".
	Requests map[string]int
	// RateLimited counts, per command, the requests answered 60011 because
	// the app's limit for the command was reached.
	RateLimited map[string]int
	// MaxPerSecond is, per command, the most requests received in any
	// 1-second window, accepted or rejected: the largest number of arrivals
	// less than a second apart from the first to the last.
	MaxPerSecond map[string]int
	// Rooms counts, per room ID and then per command, the requests that named
	// the room and passed every check of the request envelope.
	Rooms map[string]map[string]int
	// Codes counts the answers carrying a JSON envelope, by ErrorCode (0 for
	// success). Malformed bodies and gateway errors have no code.
	Codes map[int]int
	// HTTPStatus counts every answer written, by HTTP status.
	HTTPStatus map[int]int
	// Abandoned counts the requests whose client went away, or whose server
	// was closed, before the answer was due; they have no code nor status.
	Abandoned int
	// WebhooksSent counts, per CallbackCommand, the webhooks the app's
	// receiver answered HTTP 200 (see SetWebhook).
	WebhooksSent map[string]int
	// WebhooksFailed counts, per CallbackCommand, the webhooks not answered
	// HTTP 200 within 2 s (refused, unreachable, too slow), or dropped
	// because too many were waiting. They are not sent again.
	WebhooksFailed map[string]int
}

// counters accumulates one app's Stats. The Server's mutex guards it.
type counters struct {
	stats    Stats
	arrivals map[string]*window // per command, every request of the last second
}

func newCounters() *counters {
	return &counters{
		stats: Stats{
			Requests:       map[string]int{},
			RateLimited:    map[string]int{},
			MaxPerSecond:   map[string]int{},
			Rooms:          map[string]map[string]int{},
			Codes:          map[int]int{},
			HTTPStatus:     map[int]int{},
			WebhooksSent:   map[string]int{},
			WebhooksFailed: map[string]int{},
		},
		arrivals: map[string]*window{},
	}
}

// arrived counts a request for command received at now.
func (c *counters) arrived(command string, now time.Time) {
	c.stats.Requests[command]++
	w := c.arrivals[command]
	if w == nil {
		w = &window{}
		c.arrivals[command] = w
	}
	w.advance(now)
	c.stats.MaxPerSecond[command] = max(c.stats.MaxPerSecond[command], w.add(now))
}

// room counts a request for command that named room.
func (c *counters) room(room, command string) {
	perCommand := c.stats.Rooms[room]
	if perCommand == nil {
		perCommand = map[string]int{}
		c.stats.Rooms[room] = perCommand
	}
	perCommand[command]++
}

// answered counts an answer about to be written.
func (c *counters) answered(r reply) {
	c.stats.HTTPStatus[r.status]++
	if r.enveloped {
		c.stats.Codes[r.code]++
	}
}

// snapshot returns a deep copy of the counts.
func (c *counters) snapshot() Stats {
	s := c.stats
	s.Requests = maps.Clone(s.Requests)
	s.RateLimited = maps.Clone(s.RateLimited)
	s.MaxPerSecond = maps.Clone(s.MaxPerSecond)
	s.Codes = maps.Clone(s.Codes)
	s.HTTPStatus = maps.Clone(s.HTTPStatus)
	s.WebhooksSent = maps.Clone(s.WebhooksSent)
	s.WebhooksFailed = maps.Clone(s.WebhooksFailed)
	s.Rooms = make(map[string]map[string]int, len(c.stats.Rooms))
	for id, perCommand := range c.stats.Rooms {
		s.Rooms[id] = maps.Clone(perCommand)
	}
	return s
}
