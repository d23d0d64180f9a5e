package collector

import (
	"compress/gzip"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
)

// Pre-rendered room series.
//
// A scrape of tens of thousands of rooms must not rebuild their series: a
// room's values change at most once per refresh, its series are read at
// every scrape of every Prometheus. So whenever a room's state changes (an
// answer, a listing page, a webhook, a reload that relabels it), its series
// are rendered in the Prometheus text format, with those of the other rooms
// of its block (blockRooms consecutive rooms of the app), family after
// family, and published. A text scrape writes each family's HELP and TYPE,
// then each block's lines of that family with one write, straight to the
// response (through gzip when asked), allocating nothing per room. Large
// blocks keep the writes few and long: a scrape costs about what copying
// its bytes does.
//
// Rendering a block copies the unchanged rooms' lines, so an app's renders
// are paced by the bytes they copy (renderSchedule): per renderEvery, as
// many as the app's whole text or renderFloor, whichever is more. A change
// that finds that credit spent waits for the next render, which publishes
// every change collected until then. So the changes of a small app, and
// lone changes (a webhook's, a reload's) of any, show within milliseconds;
// under a steady stream of answers each block of a large app is copied
// about once per renderEvery, however many of its rooms changed, and its
// text lags a room's state by at most about renderEvery. The metric families
// of other formats are built from the state itself.
//
// Staleness still applies at scrape time: each family belongs to a value
// group (familyGroups). A block keeps, per group, the oldest time of its
// rooms' values; while that is younger than stale_after, the block's lines
// of a family go out whole, else room by room, each while its own values
// are fresh (visible). No re-rendering is needed when a value ages.
//
// Other formats (protobuf) are served from metric families built from the
// same snapshots by the Gatherer; a test keeps the two equal.

// blockRooms is how many rooms a block renders together. A scrape reads
// each family's lines block after block; every switch to another block
// starts a new sweep of memory that the hardware has not prefetched, which
// at 512 rooms cost a fifth of the scrape, at 4,096 rooms a twentieth.
// Rendering a block copies the lines of its unchanged rooms (about 5.8 MB
// at 4,096 rooms, 2-5 ms), paced by renderSchedule.
const blockRooms = 4096

// renderEvery and renderFloor pace an app's renders: per renderEvery they
// may copy the app's whole text, or renderFloor bytes if that is more.
const (
	renderEvery = time.Second
	renderFloor = 1 << 20
)

// roomSet is a set of a block's rooms, by their place in it.
type roomSet [blockRooms / 64]uint64

// add puts the room at place k into the set.
func (s *roomSet) add(k int) { s[k/64] |= 1 << (k % 64) }

// has reports whether the room at place k is in the set.
func (s *roomSet) has(k int) bool { return s[k/64]&(1<<(k%64)) != 0 }

// empty reports whether the set has no room.
func (s *roomSet) empty() bool { return *s == roomSet{} }

// renderSchedule paces an app's renders; under the app's mutex.
type renderSchedule struct {
	credit  float64   // bytes the app may copy now; below zero after a large render
	at      time.Time // when credit was counted
	waiting bool      // a render is due when the credit is above zero again
}

// refill adds the credit earned since it was last counted by an app whose
// text has size bytes, and returns the credit earned per renderEvery.
func (s *renderSchedule) refill(now time.Time, size int) float64 {
	rate := float64(max(size, renderFloor))
	if s.at.IsZero() {
		s.credit = rate
	} else {
		s.credit = min(rate, s.credit+rate*float64(now.Sub(s.at))/float64(renderEvery))
	}
	s.at = now
	return rate
}

// render publishes r's series as they stand, at once when the app's credit
// allows, else with its next render; a.mu is held.
func (a *app) render(r *room) {
	v := a.exposed.Load()
	if v == nil || r.slot >= len(v.rooms) || v.rooms[r.slot].room != r {
		return
	}
	v.changed[r.slot/blockRooms].add(r.slot % blockRooms)
	if !a.rendering.waiting {
		a.renderWhenDue()
	}
}

// renderWhenDue renders the rooms that changed now, when the app's credit
// allows, else once it does; a.mu is held.
func (a *app) renderWhenDue() {
	sched := &a.rendering
	rate := sched.refill(time.Now(), a.exposed.Load().textBytes)
	if sched.credit > 0 {
		sched.credit -= float64(a.renderChanged())
		return
	}
	sched.waiting = true
	time.AfterFunc(time.Duration(-sched.credit/rate*float64(renderEvery))+time.Millisecond, func() {
		a.mu.Lock()
		defer a.mu.Unlock()
		sched.waiting = false
		a.renderWhenDue()
	})
}

// renderChanged renders the blocks of the current view whose rooms changed,
// publishes them and returns the bytes rendered; a.mu is held.
func (a *app) renderChanged() int {
	v := a.exposed.Load()
	if v == nil {
		return 0
	}
	rendered := 0
	for i := range v.changed {
		if !v.changed[i].empty() {
			old := v.blocks[i].Load()
			b := renderBlock(v, i, old, &v.changed[i])
			v.blocks[i].Store(b)
			v.changed[i] = roomSet{}
			v.textBytes += len(b.buf) - len(old.buf)
			rendered += len(b.buf)
		}
	}
	return rendered
}

// blockText is the series of a block of rooms rendered in the text format.
type blockText struct {
	buf    []byte
	ends   [roomFamilyCount]uint32 // family f's lines are buf[ends[f-1]:ends[f]]
	oldest [groupCount]int64       // per value group, the oldest of the rooms' times, Unix ns; 0 for none
	rooms  []renderedRoom
}

// renderedRoom is where one room's lines lie in its block, and when its
// values arrived.
type renderedRoom struct {
	ends [roomFamilyCount]uint32 // its lines of family f end here
	at   [groupCount]int64       // when each value group's values arrived, Unix ns; 0 for none
}

// renderScratch holds the per-room lines of a block being rendered.
type renderScratch struct {
	buf    []byte
	starts []uint32                  // where each room's lines start
	ends   [][roomFamilyCount]uint32 // where each room's lines of each family end
}

// scratches reuses render scratches.
var scratches = sync.Pool{New: func() any { return new(renderScratch) }}

// renderBlock renders block i of view. With old, the block as it was
// rendered with the same rooms, only the rooms in changed are rendered anew;
// the others' lines are copied from old.
func renderBlock(view *exposed, i int, old *blockText, changed *roomSet) *blockText {
	first := i * blockRooms
	rooms := view.rooms[first:min(len(view.rooms), first+blockRooms)]
	if old != nil && len(old.rooms) != len(rooms) {
		old = nil
	}
	sc := scratches.Get().(*renderScratch)
	defer scratches.Put(sc)
	sc.buf, sc.starts, sc.ends = sc.buf[:0], sc.starts[:0], sc.ends[:0]
	b := &blockText{rooms: make([]renderedRoom, len(rooms))}
	for k := range rooms {
		sc.starts = append(sc.starts, uint32(len(sc.buf)))
		if old != nil && !changed.has(k) {
			b.rooms[k].at = old.rooms[k].at
			sc.ends = append(sc.ends, [roomFamilyCount]uint32{})
			continue
		}
		st := loadRoom(rooms[k].room)
		b.rooms[k].at = st.at
		sc.ends = append(sc.ends, renderRoom(&sc.buf, &st, rooms[k].labels))
	}
	for k := range b.rooms {
		for g, ns := range b.rooms[k].at {
			if ns != 0 && (b.oldest[g] == 0 || ns < b.oldest[g]) {
				b.oldest[g] = ns
			}
		}
	}
	// Family after family, room after room: a rendered room's lines from
	// the scratch, the others' from old.
	size := len(sc.buf)
	if old != nil {
		size += len(old.buf)
	}
	b.buf = make([]byte, 0, size)
	for f := range roomFamilyCount {
		oldStart := uint32(0)
		if old != nil && f > 0 {
			oldStart = old.ends[f-1]
		}
		for k := range rooms {
			if old != nil && !changed.has(k) {
				b.buf = append(b.buf, old.buf[oldStart:old.rooms[k].ends[f]]...)
			} else {
				start := sc.starts[k]
				if f > 0 {
					start = sc.ends[k][f-1]
				}
				b.buf = append(b.buf, sc.buf[start:sc.ends[k][f]]...)
			}
			if old != nil {
				oldStart = old.rooms[k].ends[f]
			}
			b.rooms[k].ends[f] = uint32(len(b.buf))
		}
		b.ends[f] = uint32(len(b.buf))
	}
	return b
}

// renderRoom appends the series of a room's state, family after family, to
// buf, and returns where each family's lines end.
func renderRoom(buf *[]byte, st *roomState, labels []labelPair) [roomFamilyCount]uint32 {
	var ends [roomFamilyCount]uint32
	fam := 0
	st.eachSample(func(f int, extra []labelPair, value float64) {
		for ; fam < f; fam++ {
			ends[fam] = uint32(len(*buf))
		}
		*buf = appendSample(*buf, familyNames[f], labels, extra, value)
	})
	for ; fam < roomFamilyCount; fam++ {
		ends[fam] = uint32(len(*buf))
	}
	return ends
}

// writeFamily writes the block's lines of family fam that are fresh at now
// (given as Unix ns, and staleAfter as ns), calling header before the first.
// When some rooms' values are stale, the lines of the fresh rooms between
// them go out together: a write per run of fresh rooms, not per room.
func (b *blockText) writeFamily(w io.Writer, fam int, now, staleAfter int64, header func()) {
	start := uint32(0)
	if fam > 0 {
		start = b.ends[fam-1]
	}
	if start == b.ends[fam] {
		return
	}
	if visible(fam, &b.oldest, now, staleAfter) {
		header()
		_, _ = w.Write(b.buf[start:b.ends[fam]])
		return
	}
	write := func(from, to uint32) {
		if from < to {
			header()
			_, _ = w.Write(b.buf[from:to])
		}
	}
	fresh := start // the fresh lines not yet written start here
	for k := range b.rooms {
		r := &b.rooms[k]
		if r.ends[fam] > start && !visible(fam, &r.at, now, staleAfter) {
			write(fresh, start)
			fresh = r.ends[fam]
		}
		start = r.ends[fam]
	}
	write(fresh, start)
}

// familyNames are the room families' full names.
var familyNames = func() [roomFamilyCount]string {
	var names [roomFamilyCount]string
	for i, def := range roomFamilyDefs {
		names[i] = namespace + "_room_" + def.name
	}
	return names
}()

// appendSample appends one sample line: name, the labels of a and b merged
// in name order (each sorted), and the value.
func appendSample(buf []byte, name string, a, b []labelPair, value float64) []byte {
	buf = append(buf, name...)
	buf = append(buf, '{')
	first := true
	for len(a) > 0 || len(b) > 0 {
		var l labelPair
		if len(b) == 0 || len(a) > 0 && a[0].name < b[0].name {
			l, a = a[0], a[1:]
		} else {
			l, b = b[0], b[1:]
		}
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = append(buf, l.name...)
		buf = append(buf, '=', '"')
		buf = appendEscaped(buf, l.value, true)
		buf = append(buf, '"')
	}
	buf = append(buf, '}', ' ')
	buf = appendFloat(buf, value)
	return append(buf, '\n')
}

// appendEscaped appends s escaped as the text format wants: backslash and
// newline always, the double quote inside label values.
func appendEscaped(buf []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			buf = append(buf, '\\', '\\')
		case c == '\n':
			buf = append(buf, '\\', 'n')
		case c == '"' && quote:
			buf = append(buf, '\\', '"')
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

// appendFloat appends a sample value as the text format's encoder writes it.
func appendFloat(buf []byte, f float64) []byte {
	switch {
	case f == 1:
		return append(buf, '1')
	case f == 0:
		return append(buf, '0')
	case f == -1:
		return append(buf, "-1"...)
	case math.IsNaN(f):
		return append(buf, "NaN"...)
	case math.IsInf(f, +1):
		return append(buf, "+Inf"...)
	case math.IsInf(f, -1):
		return append(buf, "-Inf"...)
	}
	return strconv.AppendFloat(buf, f, 'g', -1, 64)
}

// familyHeaders are the HELP and TYPE lines of each room family.
var familyHeaders = func() [roomFamilyCount][]byte {
	var headers [roomFamilyCount][]byte
	for i, def := range roomFamilyDefs {
		var b []byte
		b = append(b, "# HELP "+familyNames[i]+" "...)
		b = appendEscaped(b, def.help+roomHelpSuffix, false)
		b = append(b, "\n# TYPE "+familyNames[i]+" "+strings.ToLower(def.kind.String())+"\n"...)
		headers[i] = b
	}
	return headers
}()

// familyOrder lists the room families by name, the order of the exposition.
var familyOrder = func() []int {
	order := make([]int, roomFamilyCount)
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(familyNames[a], familyNames[b]) })
	return order
}()

// writeRoomFamily writes family fam's header and every block's lines of it
// that are fresh at now.
func writeRoomFamily(w io.Writer, fam int, views []*exposed, now time.Time) {
	wrote := false
	header := func() {
		if !wrote {
			_, _ = w.Write(familyHeaders[fam])
			wrote = true
		}
	}
	ns := now.UnixNano()
	for _, v := range views {
		for i := range v.blocks {
			v.blocks[i].Load().writeFamily(w, fam, ns, int64(v.staleAfter), header)
		}
	}
}

// WriteText writes the registry's families and the room series in the
// Prometheus text format, sorted by family name, to w.
func (f *Fetcher) WriteText(w io.Writer, registry prometheus.Gatherer) error {
	families, gatherErr := registry.Gather()
	var views []*exposed
	for _, a := range f.appList() {
		if v := a.exposed.Load(); v != nil {
			views = append(views, v)
		}
	}
	// Room lines go out a block at a time, large enough to need no buffer.
	ew := &errWriter{w: w}
	now := time.Now()
	rooms := familyOrder
	for _, mf := range families {
		for len(rooms) > 0 && familyNames[rooms[0]] < mf.GetName() {
			writeRoomFamily(ew, rooms[0], views, now)
			rooms = rooms[1:]
		}
		if _, err := expfmt.MetricFamilyToText(ew, mf); err != nil {
			return err
		}
	}
	for _, fam := range rooms {
		writeRoomFamily(ew, fam, views, now)
	}
	if ew.err != nil {
		return ew.err
	}
	return gatherErr
}

// errWriter writes to w until a write fails, and keeps that error.
type errWriter struct {
	w   io.Writer
	err error
}

// Write implements io.Writer.
func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// HandlerOpts configure the /metrics handler.
type HandlerOpts struct {
	// ErrorLog receives errors of the other formats' path; nil for none.
	ErrorLog promhttp.Logger
	// MaxRequestsInFlight bounds concurrent scrapes; 0 for no bound.
	MaxRequestsInFlight int
}

// gzipWriters reuses gzip writers across scrapes.
var gzipWriters = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// NewHandler returns the /metrics handler of registry's metrics and f's
// rooms: the text format from the pre-rendered room series, gzipped when
// the client accepts it; any other format Prometheus negotiates from the
// Gatherer's metric families.
func NewHandler(registry prometheus.Gatherer, f *Fetcher, opts HandlerOpts) http.Handler {
	other := promhttp.HandlerFor(NewGatherer(registry, f), promhttp.HandlerOpts{ErrorLog: opts.ErrorLog})
	var inFlight chan struct{}
	if opts.MaxRequestsInFlight > 0 {
		inFlight = make(chan struct{}, opts.MaxRequestsInFlight)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if inFlight != nil {
			select {
			case inFlight <- struct{}{}:
				defer func() { <-inFlight }()
			default:
				http.Error(w, "Limit of concurrent requests reached, try again later.", http.StatusServiceUnavailable)
				return
			}
		}
		format := expfmt.NegotiateAccept(req.Header, expfmt.DefaultAcceptedFormats()...)
		if format.FormatType() != expfmt.TypeTextPlain {
			other.ServeHTTP(w, req)
			return
		}
		w.Header().Set("Content-Type", string(format))
		out := io.Writer(w)
		if acceptsGzip(req.Header) {
			w.Header().Set("Content-Encoding", "gzip")
			gz := gzipWriters.Get().(*gzip.Writer)
			gz.Reset(w)
			defer func() {
				_ = gz.Close()
				gzipWriters.Put(gz)
			}()
			out = gz
		}
		if err := f.WriteText(out, registry); err != nil && opts.ErrorLog != nil {
			opts.ErrorLog.Println("error writing the metrics:", err)
		}
	})
}

// acceptsGzip reports whether the request accepts a gzipped answer: gzip
// is listed in Accept-Encoding with a quality above 0.
func acceptsGzip(h http.Header) bool {
	for _, part := range strings.Split(h.Get("Accept-Encoding"), ",") {
		enc, params, _ := strings.Cut(part, ";")
		if !strings.EqualFold(strings.TrimSpace(enc), "gzip") {
			continue
		}
		q, found := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
		if v, err := strconv.ParseFloat(q, 64); found && err == nil && v <= 0 {
			return false
		}
		return true
	}
	return false
}
