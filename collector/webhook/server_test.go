package webhook

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

func TestNewServerLimits(t *testing.T) {
	srv := NewServer(New(Options{}), nil)
	if srv.ReadHeaderTimeout != ReadHeaderTimeout || srv.ReadTimeout != ReadTimeout || srv.WriteTimeout != WriteTimeout ||
		srv.IdleTimeout != IdleTimeout || srv.MaxHeaderBytes != MaxHeaderBytes || srv.ErrorLog == nil {
		t.Errorf("server limits %+v", srv)
	}
	if ReadHeaderTimeout <= 0 || ReadTimeout < ReadHeaderTimeout || WriteTimeout <= 0 || IdleTimeout <= 0 {
		t.Error("a limit is off")
	}
}

// TestSlowClients checks that clients that send their request too slowly
// lose their connection, with short limits so that the test is quick.
func TestSlowClients(t *testing.T) {
	sink := &recorder{}
	recv := New(Options{Sink: sink, Now: func() time.Time { return testNow }})
	recv.SetTokens(map[uint64]string{appA: tokenA})
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = NewServer(recv, nil)
	srv.Config.ReadHeaderTimeout = 300 * time.Millisecond
	srv.Config.ReadTimeout = 600 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	query := signed(appA, tencent.CallbackAfterDestroyRoom, tokenA, testNow).Encode()

	for _, tc := range []struct {
		name string
		sent string // what the client sends before it stalls
	}{
		{"headers never end", "POST " + Path + "?" + query + " HTTP/1.1\r\nHost: x\r\nContent-Type: app"},
		{"body never ends", "POST " + Path + "?" + query + " HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + `{"RoomId":"r"`},
		{"nothing at all", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, tc.sent); err != nil {
				t.Fatal(err)
			}
			// Wait, generously, for the server to give up on us: the read
			// ends with the connection, not with our deadline.
			if err := conn.SetReadDeadline(time.Now().Add(30 * time.Second)); err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			rd := bufio.NewReader(conn)
			answer, err := io.ReadAll(rd)
			if errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("connection still open after %v", time.Since(start))
			}
			if strings.HasPrefix(string(answer), "HTTP/1.1 200") {
				t.Errorf("a stalled request was answered 200: %q", answer)
			}
			t.Logf("closed after %v with %q (%v)", time.Since(start), answer, err)
		})
	}
	if got := sink.all(); len(got) != 0 {
		t.Errorf("stalled requests reached the sink: %+v", got)
	}

	// The server still answers a client that keeps to the limits.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+Path+"?"+query, strings.NewReader(destroyBody))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("status %d", resp.StatusCode)
	}
}
