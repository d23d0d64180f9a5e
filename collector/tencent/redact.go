package tencent

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// redacted stands in for a secret removed from an error text.
const redacted = "<redacted>"

// redact returns err, met while requesting target (a URL whose query holds
// sig, the UserSig), fit to be shown. net/http's *url.Error prints the whole
// URL: it is replaced by its operation (the method) and the URL without its query, keeping
// the cause for errors.Is. Should the text still hold the query or the
// UserSig, it is replaced by a plain error with them cut out.
func redact(err error, target, sig string) error {
	endpoint, query, _ := strings.Cut(target, "?")
	var ue *url.Error
	if errors.As(err, &ue) {
		err = fmt.Errorf("%s %s: %w", ue.Op, endpoint, ue.Err)
	}
	var secrets []string
	for _, s := range []string{query, sig, url.QueryEscape(sig)} {
		if s != "" {
			secrets = append(secrets, s, redacted)
		}
	}
	msg := err.Error()
	scrubbed := strings.NewReplacer(secrets...).Replace(msg)
	if scrubbed == msg {
		return err
	}
	return errors.New(scrubbed)
}
