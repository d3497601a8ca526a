package smapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Validation statuses.
const (
	ValidationInProgress = "IN_PROGRESS"
	ValidationSuccessful = "SUCCESSFUL"
	ValidationFailed     = "FAILED"
)

// Validation is a skill validation run, as SMAPI reports it.
type Validation struct {
	ID     string            `json:"id"`
	Status string            `json:"status"`
	Result *ValidationResult `json:"result,omitempty"`
}

// ValidationResult lists the checks a validation made.
type ValidationResult struct {
	Validations []ValidationCheck  `json:"validations,omitempty"`
	Error       *StandardizedError `json:"error,omitempty"`
}

// ValidationCheck is one check of a validation run.
type ValidationCheck struct {
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	Category    string `json:"category,omitempty"`
	Locale      string `json:"locale,omitempty"`
	Importance  string `json:"importance,omitempty"`
	Status      string `json:"status,omitempty"`
}

// ValidationError reports a validation run that FAILED.
type ValidationError struct {
	Validation Validation
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "skill validation %s failed", e.Validation.ID)
	if r := e.Validation.Result; r != nil {
		if r.Error != nil {
			b.WriteString(": " + r.Error.String())
		}
		for _, v := range r.Validations {
			if v.Status != ValidationFailed {
				continue
			}
			fmt.Fprintf(&b, "; [%s %s] %s: %s", v.Locale, v.Importance, v.Title, v.Description)
		}
	}
	return b.String()
}

// Validate starts a validation of a stage for locales and polls it until
// it ends. A FAILED run is returned as a *ValidationError listing the
// failed checks.
func (c *Client) Validate(ctx context.Context, skillID, stage string, locales []string) (*Validation, error) {
	body, err := json.Marshal(struct {
		Locales []string `json:"locales"`
	}{locales})
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodPost, skillPath(skillID, "stages", stage, "validations"), body)
	if err != nil {
		return nil, err
	}
	v, err := decodeValidation(resp.body)
	if err != nil {
		return nil, fmt.Errorf("smapi start validation of %s: %w", skillID, err)
	}
	for v.Status == ValidationInProgress || v.Status == "" {
		if err := c.wait(ctx, c.pollInterval()); err != nil {
			return nil, fmt.Errorf("wait for validation %s: %w", v.ID, err)
		}
		resp, err := c.do(ctx, http.MethodGet, skillPath(skillID, "stages", stage, "validations", v.ID), nil)
		if err != nil {
			return nil, err
		}
		if v, err = decodeValidation(resp.body); err != nil {
			return nil, fmt.Errorf("smapi validation of %s: %w", skillID, err)
		}
	}
	if v.Status == ValidationFailed {
		return v, &ValidationError{Validation: *v}
	}
	return v, nil
}

func decodeValidation(b []byte) (*Validation, error) {
	var v Validation
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("malformed JSON")
	}
	if v.ID == "" {
		return nil, fmt.Errorf("no validation id")
	}
	return &v, nil
}

// Publication methods for Submit.
const (
	AutoPublishing   = "AUTO_PUBLISHING"
	ManualPublishing = "MANUAL_PUBLISHING"
)

// Submit submits the skill for certification. method is AutoPublishing,
// ManualPublishing or empty (SMAPI's default, automatic). It returns the
// Location SMAPI answers with, the path of the submission's status; pass it
// to Certification.
func (c *Client) Submit(ctx context.Context, skillID, method string) (string, error) {
	var body []byte
	if method != "" {
		b, err := json.Marshal(struct {
			PublicationMethod string `json:"publicationMethod"`
		}{method})
		if err != nil {
			return "", err
		}
		body = b
	}
	resp, err := c.do(ctx, http.MethodPost, skillPath(skillID, "submit"), body)
	if err != nil {
		return "", err
	}
	loc := resp.header.Get("Location")
	if loc == "" {
		return "", fmt.Errorf("smapi submit %s: HTTP %d without a Location", skillID, resp.status)
	}
	return loc, nil
}

// Certification statuses.
const (
	CertificationInProgress = "IN_PROGRESS"
	CertificationSucceeded  = "SUCCEEDED"
	CertificationFailed     = "FAILED"
	CertificationCancelled  = "CANCELLED"
)

// Certification is a certification review's state.
type Certification struct {
	ID                       string `json:"id"`
	Status                   string `json:"status"`
	SkillSubmissionTimestamp string `json:"skillSubmissionTimestamp,omitempty"`
}

// Certification fetches the status behind a Location that Submit
// returned. location may be a path ("/v1/skills/…") or an absolute URL on
// BaseURL's host.
func (c *Client) Certification(ctx context.Context, location string) (*Certification, error) {
	path, err := c.relative(location)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, http.MethodGet, path, nil)
	if err != nil {
		return nil, err
	}
	var cert Certification
	if err := json.Unmarshal(resp.body, &cert); err != nil {
		return nil, fmt.Errorf("smapi certification status: malformed JSON")
	}
	return &cert, nil
}

// WaitCertification polls location until the review leaves IN_PROGRESS,
// calling progress (if not nil) with the status of each poll. Reviews take
// days; callers bound the wait with ctx.
func (c *Client) WaitCertification(ctx context.Context, location string, progress func(status string)) (*Certification, error) {
	for {
		cert, err := c.Certification(ctx, location)
		if err != nil {
			return nil, err
		}
		if progress != nil {
			progress(cert.Status)
		}
		if cert.Status != CertificationInProgress && cert.Status != "" {
			return cert, nil
		}
		if err := c.wait(ctx, c.pollInterval()); err != nil {
			return nil, fmt.Errorf("wait for certification: %w", err)
		}
	}
}

// relative turns a Location into a path on BaseURL, refusing other hosts so
// that a token is never sent elsewhere.
func (c *Client) relative(location string) (string, error) {
	u, err := url.Parse(location)
	if err != nil {
		return "", fmt.Errorf("smapi: bad Location %q", location)
	}
	if u.IsAbs() || u.Host != "" {
		base, err := url.Parse(c.baseURL())
		if err != nil || !strings.EqualFold(u.Host, base.Host) || u.Scheme != base.Scheme {
			return "", fmt.Errorf("smapi: Location %q is not on %s", location, c.baseURL())
		}
	}
	if !strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("smapi: Location %q is not an absolute path", location)
	}
	p := u.EscapedPath()
	if u.RawQuery != "" {
		p += "?" + u.RawQuery
	}
	return p, nil
}
