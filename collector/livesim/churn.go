package livesim

import (
	"context"
	"time"
)

// Churn flips each of rooms once: it dissolves the rooms the app has and
// creates those it has not, afresh (CreateTime now, values moving from
// now). With a webhook set, each flip sends its webhook (see SetWebhook).
func (s *Server) Churn(sdkappid uint64, rooms []Room) {
	for _, r := range rooms {
		if s.hasRoom(sdkappid, r.ID) {
			s.DissolveRoom(sdkappid, r.ID)
			continue
		}
		r.Info.CreateTime = 0
		s.PutRoom(sdkappid, r)
	}
}

// StartChurn calls Churn every interval until ctx ends or the server is
// closed, so that rooms come and go as in a live app: the demo's rooms, for
// the dashboard.
func (s *Server) StartChurn(ctx context.Context, sdkappid uint64, rooms []Room, every time.Duration) {
	ticker := time.NewTicker(every)
	go func() {
		defer ticker.Stop()
		s.churnOn(ctx, ticker.C, sdkappid, rooms)
	}()
}

// churnOn calls Churn at each tick until ctx ends or the server is closed.
func (s *Server) churnOn(ctx context.Context, ticks <-chan time.Time, sdkappid uint64, rooms []Room) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.base.Done():
			return
		case <-ticks:
			s.Churn(sdkappid, rooms)
		}
	}
}

// hasRoom reports whether the app has the room now.
func (s *Server) hasRoom(sdkappid uint64, id string) bool {
	return s.withRoom(sdkappid, id, func(*app, *room, time.Time) {})
}
