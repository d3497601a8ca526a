// Package smapi is a small client for the Alexa Skill Management API
// (SMAPI) and for Login with Amazon, which issues its access tokens.
//
// It covers what jokebox's deployment needs: the skill manifest, interaction
// models and their builds, validations and certification submission. Every
// request carries "Authorization: Bearer <access token>" as the SMAPI v1
// reference shows and Amazon's SDKs send. A 401 refreshes the token once and
// retries; 429 and 5xx answers are retried with jittered exponential
// backoff, honouring Retry-After, up to MaxAttempts, except the
// certification submission, which is not idempotent (see Submit).
//
// Neither the SMAPI nor the Login with Amazon client follows redirects: a
// 3xx answer is an error, so a token or the client secret is never re-sent
// to another host. Error messages and log lines never hold the access
// token, the refresh token or the client secret, even when a server echoes
// them back. Every poll has a deadline (PollTimeout) and stops on a status
// that SMAPI's published model does not list.
package smapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jokebox/jokebox/internal/retry"
)

// DefaultBaseURL is SMAPI's endpoint.
const DefaultBaseURL = "https://api.amazonalexa.com"

// Stages of a skill.
const (
	StageDevelopment = "development"
	StageLive        = "live"
)

// Tokens supplies access tokens; *TokenSource implements it.
type Tokens interface {
	Token(ctx context.Context) (string, error)
	Invalidate(stale string)
}

// Client calls SMAPI. Set the fields before the first call; the zero values
// of the optional ones are sensible defaults.
type Client struct {
	// Tokens supplies access tokens. Required.
	Tokens Tokens
	// BaseURL is SMAPI's root; empty means DefaultBaseURL.
	BaseURL string
	// HTTPClient makes the requests; nil means http.DefaultClient. Its
	// redirect policy is not used: redirects are never followed.
	HTTPClient *http.Client
	// MaxAttempts bounds the tries of one request on 429 and 5xx; 0 means 5.
	MaxAttempts int
	// BackoffBase is the first retry's maximum wait, doubled for each further
	// retry up to BackoffMax; 0 means 500ms.
	BackoffBase time.Duration
	// BackoffMax caps a retry's wait when no Retry-After says otherwise; 0
	// means 20s.
	BackoffMax time.Duration
	// PollInterval is the wait between status polls; 0 means 2s.
	PollInterval time.Duration
	// PollTimeout bounds each wait for a manifest update, a model build, a
	// validation or a new certification to appear; 0 means 15 minutes.
	// WaitCertification takes its own bound, since reviews take days.
	PollTimeout time.Duration
	// Logger receives retries and polls at debug level; nil discards them.
	Logger *slog.Logger

	// sleep waits for d or until ctx ends; tests replace it.
	sleep func(ctx context.Context, d time.Duration) error
}

// Error is an SMAPI answer with a 3xx (not followed), 4xx or 5xx status.
// Its text never holds a token or the client secret.
type Error struct {
	// Method and Path are the request's.
	Method string
	Path   string
	// StatusCode is the answer's HTTP status.
	StatusCode int
	// Code is SMAPI's top-level error code, when the body had one.
	Code string
	// Message is SMAPI's message, when the body had one.
	Message string
	// Violations are SMAPI's itemised problems, when the body had them.
	Violations []StandardizedError
}

// HTTPStatusCode is the answer's status, as AWS SDK errors give theirs, so
// apierr recognizes a missing skill or a conflict.
func (e *Error) HTTPStatusCode() int { return e.StatusCode }

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "smapi %s %s: HTTP %d", e.Method, e.Path, e.StatusCode)
	if e.Code != "" {
		b.WriteString(": " + e.Code)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	for _, v := range e.Violations {
		b.WriteString("; " + v.String())
	}
	return b.String()
}

// StandardizedError is SMAPI's error object.
type StandardizedError struct {
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func (e StandardizedError) String() string {
	if e.Code == "" {
		return e.Message
	}
	return e.Code + ": " + e.Message
}

// errorBody is the shape of SMAPI error answers: a code and a message
// (StandardizedError) or a message with violations (BadRequestError), or an
// error object.
type errorBody struct {
	Code       string              `json:"code"`
	Message    string              `json:"message"`
	Violations []StandardizedError `json:"violations"`
	Error      *StandardizedError  `json:"error"`
}

// response is a successful answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (c *Client) baseURL() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimSuffix(c.BaseURL, "/")
}

// discard is the logger of a nil Logger field.
var discard = slog.New(slog.DiscardHandler)

func (c *Client) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return discard
}

func (c *Client) pollInterval() time.Duration {
	if c.PollInterval > 0 {
		return c.PollInterval
	}
	return 2 * time.Second
}

func (c *Client) pollTimeout() time.Duration {
	if c.PollTimeout > 0 {
		return c.PollTimeout
	}
	return 15 * time.Minute
}

// ErrUnknownStatus reports a poll answered with a status that SMAPI's model
// does not list, or with none: waiting on would never end.
var ErrUnknownStatus = errors.New("unknown status")

// poll calls check every PollInterval until it reports done or fails, for
// at most timeout. what names the wait in errors.
func (c *Client) poll(ctx context.Context, what string, timeout time.Duration, check func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	for {
		done, err := check(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
				return fmt.Errorf("%s: not done after %s: %w", what, timeout, err)
			}
			return err
		}
		if done {
			return nil
		}
		c.logger().DebugContext(ctx, "smapi poll", "what", what)
		if err := c.wait(ctx, c.pollInterval()); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("%s: not done after %s: %w", what, timeout, err)
			}
			return fmt.Errorf("%s: %w", what, err)
		}
	}
}

// unknownStatus is the error for a status outside known.
func unknownStatus(what, status string, known ...string) error {
	if status == "" {
		return fmt.Errorf("%s: %w: the answer has no status (known: %s)", what, ErrUnknownStatus, strings.Join(known, ", "))
	}
	return fmt.Errorf("%s: %w %q (known: %s)", what, ErrUnknownStatus, status, strings.Join(known, ", "))
}

// noRedirects returns a copy of hc (nil: the default client) that returns
// a 3xx answer instead of following it: following would re-send the
// request, token or client secret included, to wherever the answer points.
func noRedirects(hc *http.Client) *http.Client {
	c := http.Client{}
	if hc != nil {
		c = *hc
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// Redactor is implemented by token sources that can remove their secrets
// (tokens issued, refresh token, client secret) from a text; *TokenSource
// does.
type Redactor interface {
	Redact(s string) string
}

// redact removes the access token tok and whatever the token source knows
// to be secret from s.
func (c *Client) redact(s, tok string) string {
	if tok != "" {
		s = strings.ReplaceAll(s, tok, redacted)
	}
	if r, ok := c.Tokens.(Redactor); ok {
		s = r.Redact(s)
	}
	return s
}

// errMaybeApplied marks a failure after which a non-idempotent request may
// or may not have taken effect: a transport error or a 5xx answer.
type errMaybeApplied struct{ err error }

func (e *errMaybeApplied) Error() string { return e.err.Error() }
func (e *errMaybeApplied) Unwrap() error { return e.err }

func (c *Client) wait(ctx context.Context, d time.Duration) error {
	if c.sleep != nil {
		return c.sleep(ctx, d)
	}
	return retry.Sleep(ctx, d)
}

// do sends one API call, refreshing the token once on 401 and retrying 429
// and 5xx answers and transport errors. path may carry a query.
func (c *Client) do(ctx context.Context, method, path string, body []byte) (*response, error) {
	return c.send(ctx, method, path, body, true)
}

// send is do; a call that is not idempotent is retried only on 429 (the
// request was refused, not run) and 401, and fails with an
// *errMaybeApplied on a transport error or a 5xx answer.
func (c *Client) send(ctx context.Context, method, path string, body []byte, idempotent bool) (*response, error) {
	if c.Tokens == nil {
		return nil, errors.New("smapi: client has no token source")
	}
	maxAttempts := c.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	hc := noRedirects(c.HTTPClient)
	refreshed := false
	for attempt := 1; ; attempt++ {
		tok, err := c.Tokens.Token(ctx)
		if err != nil {
			return nil, fmt.Errorf("smapi %s %s: %w", method, path, err)
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, c.baseURL()+path, rd)
		if err != nil {
			return nil, fmt.Errorf("smapi %s %s: %w", method, path, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := hc.Do(req)
		var retryAfter time.Duration
		redact := func(s string) string { return c.redact(s, tok) }
		if err != nil {
			err = errors.New(redact(err.Error()))
		} else {
			b, rerr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
			resp.Body.Close()
			switch {
			case rerr != nil:
				err = fmt.Errorf("read answer: %s", redact(rerr.Error()))
			case resp.StatusCode == http.StatusUnauthorized && !refreshed:
				refreshed = true
				c.Tokens.Invalidate(tok)
				c.logger().DebugContext(ctx, "smapi token rejected, refreshing", "method", method, "path", path)
				attempt-- // a refresh is not a retry
				continue
			case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
				err = apiError(method, path, resp.StatusCode, b, redact)
				retryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
			case resp.StatusCode >= 300 && resp.StatusCode < 400:
				e := apiError(method, path, resp.StatusCode, b, redact)
				e.Message = redact(fmt.Sprintf("redirect to %q not followed", resp.Header.Get("Location")))
				return nil, e
			case resp.StatusCode >= 400:
				return nil, apiError(method, path, resp.StatusCode, b, redact)
			default:
				return &response{status: resp.StatusCode, header: resp.Header, body: b}, nil
			}
		}
		if !idempotent && !isStatus(err, http.StatusTooManyRequests) && ctx.Err() == nil {
			return nil, &errMaybeApplied{fmt.Errorf("smapi %s %s: %w", method, path, err)}
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("smapi %s %s: %w", method, path, ctx.Err())
		}
		if attempt >= maxAttempts {
			return nil, fmt.Errorf("smapi %s %s: giving up after %d attempts: %w", method, path, attempt, err)
		}
		d := c.backoff(attempt, retryAfter)
		c.logger().DebugContext(ctx, "smapi retry", "method", method, "path", path, "attempt", attempt, "wait", d, "err", err)
		if err := c.wait(ctx, d); err != nil {
			return nil, fmt.Errorf("smapi %s %s: %w", method, path, err)
		}
	}
}

// backoff is the wait before retry number attempt: Retry-After when the
// server sent one, else retry.Backoff's jittered wait with ceiling
// BackoffBase·2^(attempt-1), capped at BackoffMax.
func (c *Client) backoff(attempt int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return retryAfter
	}
	return c.retryBackoff().Delay(attempt)
}

// retryBackoff is the Backoff of BackoffBase and BackoffMax, with their
// defaults.
func (c *Client) retryBackoff() retry.Backoff {
	b := retry.Backoff{Base: c.BackoffBase, Max: c.BackoffMax}
	if b.Base <= 0 {
		b.Base = 500 * time.Millisecond
	}
	if b.Max <= 0 {
		b.Max = 20 * time.Second
	}
	return b
}

// parseRetryAfter reads a Retry-After header: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, 3600)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		d := t.Sub(now)
		if d < 0 {
			d = 0
		}
		return min(d, time.Hour), true
	}
	return 0, false
}

// apiError decodes an error answer, passing every text through redact.
func apiError(method, path string, status int, body []byte, redact func(string) string) *Error {
	e := &Error{Method: method, Path: path, StatusCode: status}
	var eb errorBody
	if json.Unmarshal(body, &eb) == nil {
		e.Code = eb.Code
		e.Message = eb.Message
		e.Violations = eb.Violations
		if eb.Error != nil {
			if e.Message == "" && e.Code == "" {
				e.Code, e.Message = eb.Error.Code, eb.Error.Message
			} else {
				e.Violations = append(e.Violations, *eb.Error)
			}
		}
	}
	e.Code, e.Message = redact(e.Code), redact(e.Message)
	for i, v := range e.Violations {
		e.Violations[i] = StandardizedError{Code: redact(v.Code), Message: redact(v.Message)}
	}
	return e
}

// isStatus reports whether err is an *Error with HTTP status code.
func isStatus(err error, code int) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == code
}

func skillPath(skillID string, parts ...string) string {
	p := "/v1/skills/" + url.PathEscape(skillID)
	for _, s := range parts {
		p += "/" + url.PathEscape(s)
	}
	return p
}

// GetManifest returns a stage's skill manifest as SMAPI sends it: a JSON
// object {"manifest": {...}}, the shape of skill.json. It is returned raw so
// that fields this package does not model survive a round trip.
func (c *Client) GetManifest(ctx context.Context, skillID, stage string) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, skillPath(skillID, "stages", stage, "manifest"), nil)
	if err != nil {
		return nil, err
	}
	if !json.Valid(resp.body) {
		return nil, fmt.Errorf("smapi get manifest of %s: malformed JSON", skillID)
	}
	return resp.body, nil
}

// PutManifest replaces a stage's skill manifest with manifest (the shape of
// skill.json) and waits until SMAPI has applied it.
func (c *Client) PutManifest(ctx context.Context, skillID, stage string, manifest []byte) error {
	if !json.Valid(manifest) {
		return fmt.Errorf("smapi put manifest of %s: malformed JSON", skillID)
	}
	if _, err := c.do(ctx, http.MethodPut, skillPath(skillID, "stages", stage, "manifest"), manifest); err != nil {
		return err
	}
	return c.WaitManifest(ctx, skillID, nil)
}

// PutInteractionModel uploads a locale's interaction model. model is the
// file's content, {"interactionModel": {...}}, sent as is. The build runs
// asynchronously; follow it with WaitModelBuild.
func (c *Client) PutInteractionModel(ctx context.Context, skillID, stage, locale string, model []byte) error {
	if !json.Valid(model) {
		return fmt.Errorf("smapi put interaction model %s: malformed JSON", locale)
	}
	_, err := c.do(ctx, http.MethodPut, skillPath(skillID, "stages", stage, "interactionModel", "locales", locale), model)
	return err
}

// Build and update statuses of a resource in the skill status
// (v1.skill.Status in SMAPI's model).
const (
	StatusInProgress = "IN_PROGRESS"
	StatusSucceeded  = "SUCCEEDED"
	StatusFailed     = "FAILED"
)

// resourceStatuses are the statuses of v1.skill.Status.
var resourceStatuses = []string{StatusFailed, StatusInProgress, StatusSucceeded}

// SkillStatus is the answer of GET /v1/skills/{skillId}/status.
type SkillStatus struct {
	Manifest         *ResourceStatus           `json:"manifest,omitempty"`
	InteractionModel map[string]ResourceStatus `json:"interactionModel,omitempty"`
}

// ResourceStatus is the status of the manifest or of one locale's model.
type ResourceStatus struct {
	LastUpdateRequest LastUpdateRequest `json:"lastUpdateRequest"`
	ETag              string            `json:"eTag,omitempty"`
	Version           string            `json:"version,omitempty"`
}

// LastUpdateRequest is the state of the latest change to a resource.
type LastUpdateRequest struct {
	Status       string              `json:"status"`
	Errors       []StandardizedError `json:"errors,omitempty"`
	Warnings     []StandardizedError `json:"warnings,omitempty"`
	BuildDetails *BuildDetails       `json:"buildDetails,omitempty"`
}

// BuildDetails lists an interaction model build's steps.
type BuildDetails struct {
	Steps []BuildStep `json:"steps"`
}

// BuildStep is one step of a model build, such as LANGUAGE_MODEL_QUICK_BUILD.
type BuildStep struct {
	Name   string              `json:"name"`
	Status string              `json:"status"`
	Errors []StandardizedError `json:"errors,omitempty"`
}

// Status fetches the skill status of one resource ("manifest" or
// "interactionModel").
func (c *Client) Status(ctx context.Context, skillID, resource string) (*SkillStatus, error) {
	resp, err := c.do(ctx, http.MethodGet, skillPath(skillID, "status")+"?resource="+url.QueryEscape(resource), nil)
	if err != nil {
		return nil, err
	}
	var st SkillStatus
	if err := json.Unmarshal(resp.body, &st); err != nil {
		return nil, fmt.Errorf("smapi status of %s: malformed JSON", skillID)
	}
	return &st, nil
}

// BuildError reports interaction model builds that failed, with SMAPI's
// messages for each locale.
type BuildError struct {
	// Failed maps each failed locale to its error messages.
	Failed map[string][]string
}

func (e *BuildError) Error() string {
	var ls []string
	for l := range e.Failed {
		ls = append(ls, l)
	}
	slices.Sort(ls)
	var b strings.Builder
	b.WriteString("interaction model build failed")
	for _, l := range ls {
		fmt.Fprintf(&b, "; %s: %s", l, strings.Join(e.Failed[l], "; "))
	}
	return b.String()
}

// Progress is told each time a locale's status changes while waiting.
type Progress func(locale, status string)

// WaitModelBuild polls the interaction model status until every locale in
// locales has SUCCEEDED or FAILED, calling progress (if not nil) on each
// change. Failed builds are returned as a *BuildError carrying SMAPI's error
// messages. It stops when ctx ends, after PollTimeout, or on a locale
// whose status SMAPI's model does not list (a locale not in the answer yet
// is still building).
func (c *Client) WaitModelBuild(ctx context.Context, skillID string, locales []string, progress Progress) error {
	last := map[string]string{}
	const what = "wait for interaction model build"
	return c.poll(ctx, what, c.pollTimeout(), func(ctx context.Context) (bool, error) {
		st, err := c.Status(ctx, skillID, "interactionModel")
		if err != nil {
			return false, err
		}
		for _, l := range locales {
			s := StatusInProgress
			if rs, ok := st.InteractionModel[l]; ok {
				s = rs.LastUpdateRequest.Status
			}
			if !slices.Contains(resourceStatuses, s) {
				return false, unknownStatus(what+" of "+l, s, resourceStatuses...)
			}
			if s != last[l] && progress != nil {
				progress(l, s)
			}
			last[l] = s
		}
		done, failed := buildOutcome(st, locales)
		if done && len(failed) > 0 {
			return false, &BuildError{Failed: failed}
		}
		return done, nil
	})
}

// buildOutcome says whether every locale's build has finished and which
// failed, with their messages (the request's errors and its steps' errors).
func buildOutcome(st *SkillStatus, locales []string) (done bool, failed map[string][]string) {
	done = true
	for _, l := range locales {
		rs, ok := st.InteractionModel[l]
		if !ok {
			done = false
			continue
		}
		lur := rs.LastUpdateRequest
		switch lur.Status {
		case StatusSucceeded:
		case StatusFailed:
			var msgs []string
			for _, e := range lur.Errors {
				msgs = append(msgs, e.String())
			}
			if lur.BuildDetails != nil {
				for _, s := range lur.BuildDetails.Steps {
					for _, e := range s.Errors {
						msgs = append(msgs, s.Name+": "+e.String())
					}
				}
			}
			if len(msgs) == 0 {
				msgs = []string{"no error message"}
			}
			if failed == nil {
				failed = map[string][]string{}
			}
			failed[l] = msgs
		default:
			done = false
		}
	}
	return done, failed
}

func joinErrors(es []StandardizedError) string {
	if len(es) == 0 {
		return "no error message"
	}
	var s []string
	for _, e := range es {
		s = append(s, e.String())
	}
	return strings.Join(s, "; ")
}
