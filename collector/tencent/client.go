package tencent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultTimeout is the per-request timeout when Options.Timeout is 0. It is
// above the 3 s after which Tencent's own backend gives up.
const DefaultTimeout = 5 * time.Second

// maxIdleConnsPerHost lets a busy app keep a connection per request in
// flight instead of dialling anew (net/http's default keeps 2).
const maxIdleConnsPerHost = 256

// drainLimit bounds how much of an error response is read so that its
// connection can be reused.
const drainLimit = 64 << 10

// MaxRoomListCount is the largest page get_room_list serves.
const MaxRoomListCount = 20

// Options configures a Client.
type Options struct {
	// SDKAppID is the app's SDKAppID.
	SDKAppID uint64
	// Identifier is an App Administrator account of the app.
	Identifier string
	// BaseURL is scheme and host, optionally with a path prefix, e.g.
	// https://adminapisgp.im.qcloud.com (see RegionURL) or a test server's
	// URL. A trailing slash is ignored.
	BaseURL string
	// Timeout bounds each request, body included; 0 means DefaultTimeout.
	Timeout time.Duration
	// HTTPClient sends the requests. nil means a client of the package's own:
	// proxy from the environment (HTTPS_PROXY, NO_PROXY), the system's CA
	// certificates, keep-alive with up to 256 idle connections, and no
	// redirects followed.
	HTTPClient *http.Client
	// UserSig returns the UserSig to sign a request with. It is called once
	// per request and must be safe for concurrent use; an error from it
	// fails the request with Code "usersig" and ClassAppFailure.
	UserSig func() (string, error)
}

// Client calls the Live REST API of one app. It is safe for concurrent use.
type Client struct {
	http    *http.Client
	base    string // BaseURL without trailing slash
	query   string // sdkappid and identifier, encoded
	timeout time.Duration
	userSig func() (string, error)
}

// New returns a Client for opts, or an error naming the first invalid option.
func New(opts Options) (*Client, error) {
	if opts.SDKAppID == 0 {
		return nil, errors.New("tencent: SDKAppID is required")
	}
	if opts.Identifier == "" {
		return nil, errors.New("tencent: Identifier is required")
	}
	if opts.UserSig == nil {
		return nil, errors.New("tencent: UserSig is required")
	}
	if opts.Timeout < 0 {
		return nil, fmt.Errorf("tencent: Timeout must not be negative, got %s", opts.Timeout)
	}
	base := strings.TrimRight(opts.BaseURL, "/")
	u, err := url.Parse(base)
	if err != nil {
		return nil, fmt.Errorf("tencent: BaseURL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("tencent: BaseURL must be http(s)://host[:port][/path], got %q", opts.BaseURL)
	}
	c := &Client{
		http:    opts.HTTPClient,
		base:    base,
		query:   "sdkappid=" + strconv.FormatUint(opts.SDKAppID, 10) + "&identifier=" + url.QueryEscape(opts.Identifier),
		timeout: opts.Timeout,
		userSig: opts.UserSig,
	}
	if c.http == nil {
		c.http = NewHTTPClient()
	}
	if c.timeout == 0 {
		c.timeout = DefaultTimeout
	}
	return c, nil
}

// NewHTTPClient returns the HTTP client used when Options.HTTPClient is nil;
// callers that replace Clients (on reloads) share one to keep connections.
// Its transport has the settings of http.DefaultTransport and more idle
// connections per host. Redirects are not followed: the API never redirects,
// and following one would send the request elsewhere.
func NewHTTPClient() *http.Client {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Client{
		Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           dialer.DialContext,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          4 * maxIdleConnsPerHost,
			MaxIdleConnsPerHost:   maxIdleConnsPerHost,
			IdleConnTimeout:       90 * time.Second,
			TLSHandshakeTimeout:   10 * time.Second,
			ExpectContinueTimeout: time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// GetRoomInfo calls get_room_info for roomID. A room that does not exist
// gives an *Error of ClassRoomMissing.
func (c *Client) GetRoomInfo(ctx context.Context, roomID string) (RoomInfo, error) {
	return call(ctx, c, CommandGetRoomInfo, RoomRequest{RoomID: roomID}, decodeRoomInfo)
}

// GetMemberList calls get_member_list for one page of roomID's members;
// next is "" for the first page, then the Next of the previous one.
func (c *Client) GetMemberList(ctx context.Context, roomID, next string) (MemberList, error) {
	return call(ctx, c, CommandGetMemberList, MemberListRequest{RoomID: roomID, Next: next}, decodeMemberList)
}

// GetRoomStats calls get_room_stats for roomID.
func (c *Client) GetRoomStats(ctx context.Context, roomID string) (RoomStats, error) {
	return call(ctx, c, CommandGetRoomStats, RoomRequest{RoomID: roomID}, decodeRoomStats)
}

// GetRoomList calls get_room_list for one page of at most count rooms
// (count outside 1..20 means 20, the API's maximum); next is "" for the
// first page, then the Next of the previous one.
func (c *Client) GetRoomList(ctx context.Context, next string, count int) (RoomList, error) {
	if count < 1 || count > MaxRoomListCount {
		count = MaxRoomListCount
	}
	return call(ctx, c, CommandGetRoomList, RoomListRequest{Next: next, Count: count}, decodeRoomList)
}

// call sends one request and decodes its answer, naming the command in
// the *Error of any failure.
func call[T any](ctx context.Context, c *Client, command string, reqBody any, decode func([]byte) (T, *Error)) (T, error) {
	var v T
	body, e := c.send(ctx, command, reqBody)
	if e == nil {
		v, e = decode(body)
	}
	if e != nil {
		e.Command = command
		return v, e
	}
	return v, nil // not e: a nil *Error in an error interface is not nil
}

// send signs and posts one request and returns the body of a 200 answer.
func (c *Client) send(ctx context.Context, command string, reqBody any) ([]byte, *Error) {
	sig, err := c.userSig()
	if err != nil {
		return nil, &Error{Class: ClassAppFailure, Code: CodeLabelUserSig, Err: fmt.Errorf("getting a UserSig: %w", err)}
	}
	payload, err := json.Marshal(reqBody)
	if err != nil {
		return nil, &Error{Class: ClassRoomFailure, Code: CodeLabelRequest, Err: fmt.Errorf("encoding the request: %w", err)}
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	target := c.base + ServicePath + command + "?" + c.query +
		"&usersig=" + url.QueryEscape(sig) +
		"&random=" + strconv.FormatUint(uint64(rand.Uint32()), 10) +
		"&contenttype=json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(payload))
	if err != nil {
		return nil, &Error{Class: ClassRoomFailure, Code: CodeLabelRequest, Err: redact(err, target, sig)}
	}
	req.Header.Set("Content-Type", "application/json")

	resp, err := c.http.Do(req)
	if err != nil {
		return nil, transportError(ctx, err, target, sig)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
		return nil, statusError(resp.StatusCode)
	}
	if resp.ContentLength > MaxResponseBytes {
		return nil, decodeError(errTooLarge)
	}
	var buf bytes.Buffer
	if resp.ContentLength > 0 {
		// Room for the body and for the read that sees its end.
		buf.Grow(int(resp.ContentLength) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(resp.Body, MaxResponseBytes+1)); err != nil {
		return nil, transportError(ctx, err, target, sig)
	}
	if buf.Len() > MaxResponseBytes {
		return nil, decodeError(errTooLarge)
	}
	return buf.Bytes(), nil
}

// errTooLarge is the cause of a decode error for an oversized body.
var errTooLarge = fmt.Errorf("response body over %d bytes", MaxResponseBytes)

// statusError is the Error of an answer with an HTTP status other than 200:
// retryable, or rate-limited for 429 Too Many Requests.
func statusError(status int) *Error {
	class := ClassRetryable
	if status == http.StatusTooManyRequests {
		class = ClassRateLimited
	}
	return &Error{
		Class: class,
		Code:  "http_" + strconv.Itoa(status),
		Err:   fmt.Errorf("HTTP status %d %s", status, http.StatusText(status)),
	}
}

// transportError is the Error of a request to target, signed with sig, that
// got no complete answer; ctx is the request's context. The class is read
// from err before it is redacted.
func transportError(ctx context.Context, err error, target, sig string) *Error {
	code := CodeLabelNetwork
	var ne net.Error
	switch {
	case errors.Is(ctx.Err(), context.Canceled):
		code = CodeLabelCanceled
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		code = CodeLabelTimeout
	}
	return &Error{Class: ClassRetryable, Code: code, Err: redact(err, target, sig)}
}
