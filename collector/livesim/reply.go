package livesim

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tencent-live-exporter/tencent_live_exporter/collector/tencent"
)

// oversizedPadding is the whitespace an Oversized room's answers carry, to
// pass 1 MiB while staying valid JSON.
const oversizedPadding = 1<<20 + 1024

// gatewayBody is what a gateway in front of the API answers with HTTP 502.
const gatewayBody = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n" +
	"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>gateway</center>\r\n</body>\r\n</html>\r\n"

// reply is an answer ready to be written.
type reply struct {
	status      int  // HTTP status
	enveloped   bool // the body is a JSON envelope carrying code
	code        int
	contentType string
	body        []byte
	delay       time.Duration // real time to wait before answering, besides Options.Latency
}

// envelopeJSON is the JSON body of every regular answer.
type envelopeJSON struct {
	tencent.Envelope
	Response any `json:"Response,omitempty"`
}

// ok returns a successful answer carrying response.
func (s *Server) ok(response any) reply {
	return s.envelope(tencent.CodeOK, "", response)
}

// fail returns a failed answer.
func (s *Server) fail(code int, info string) reply {
	return s.envelope(code, info, nil)
}

// refuse returns the answer of a failed check.
func (s *Server) refuse(e *apiError) reply {
	return s.fail(e.code, e.info)
}

// envelope returns an answer with a JSON envelope and a new RequestId.
func (s *Server) envelope(code int, info string, response any) reply {
	status := "OK"
	if code != tencent.CodeOK {
		status = "FAIL"
	}
	body, err := json.Marshal(envelopeJSON{
		Envelope: tencent.Envelope{
			ActionStatus: status,
			ErrorCode:    code,
			ErrorInfo:    info,
			RequestID:    fmt.Sprintf("Id-%016x%016x-O-Seq-%d", rand.Uint64(), rand.Uint64(), s.seq.Add(1)),
		},
		Response: response,
	})
	if err != nil {
		// Answers are built from plain values and numbers checked to be
		// valid JSON: a failure here is a bug of the simulator.
		panic(fmt.Sprintf("livesim: encoding an answer: %v", err))
	}
	return reply{status: http.StatusOK, enveloped: true, code: code, contentType: "application/json", body: body}
}

// gatewayError returns the answer of a gateway that could not reach the API.
func gatewayError() reply {
	return reply{status: http.StatusBadGateway, contentType: "text/html", body: []byte(gatewayBody)}
}

// truncated returns r with its body cut in half: no longer JSON, and no
// longer an envelope.
func (r reply) truncated() reply {
	r.enveloped = false
	r.body = r.body[:len(r.body)/2]
	return r
}

// padded returns r with whitespace inside its JSON body, past 1 MiB.
func (r reply) padded() reply {
	var b bytes.Buffer
	b.Grow(len(r.body) + oversizedPadding)
	b.WriteByte(r.body[0])
	b.WriteString(strings.Repeat(" ", oversizedPadding))
	b.Write(r.body[1:])
	r.body = b.Bytes()
	return r
}

// cursorPrefix starts every paging cursor before encoding.
const cursorPrefix = "livesim:"

// encodeCursor returns the opaque Next cursor of a page starting at offset.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(cursorPrefix + strconv.Itoa(offset)))
}

// decodeCursor returns the offset of a Next cursor; "" is the first page.
func decodeCursor(next string) (int, *apiError) {
	if next == "" {
		return 0, nil
	}
	invalid := &apiError{tencent.CodeInvalidParam, "invalid parameter: Next"}
	raw, err := base64.RawURLEncoding.DecodeString(next)
	if err != nil {
		return 0, invalid
	}
	digits, found := strings.CutPrefix(string(raw), cursorPrefix)
	offset, err := strconv.Atoi(digits)
	if !found || err != nil || offset < 0 {
		return 0, invalid
	}
	return offset, nil
}
