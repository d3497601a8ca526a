package smapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/jokebox/jokebox/internal/retry"
)

// Validation statuses (v1.skill.validations.ValidationsApiResponseStatus).
const (
	ValidationInProgress = "IN_PROGRESS"
	ValidationSuccessful = "SUCCESSFUL"
	ValidationFailed     = "FAILED"
)

// validationStatuses are the statuses of ValidationsApiResponseStatus.
var validationStatuses = []string{ValidationInProgress, ValidationSuccessful, ValidationFailed}

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
// it ends, for at most PollTimeout. A FAILED run is returned as a
// *ValidationError listing the failed checks; a status SMAPI's model does
// not list stops the wait with ErrUnknownStatus.
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
	what := "wait for validation " + v.ID
	first := true
	err = c.poll(ctx, what, c.pollTimeout(), func(ctx context.Context) (bool, error) {
		if !first {
			resp, err := c.do(ctx, http.MethodGet, skillPath(skillID, "stages", stage, "validations", v.ID), nil)
			if err != nil {
				return false, err
			}
			if v, err = decodeValidation(resp.body); err != nil {
				return false, fmt.Errorf("smapi validation of %s: %w", skillID, err)
			}
		}
		first = false
		switch v.Status {
		case ValidationInProgress:
			return false, nil
		case ValidationSuccessful, ValidationFailed:
			return true, nil
		default:
			return false, unknownStatus(what, v.Status, validationStatuses...)
		}
	})
	if err != nil {
		return nil, err
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

// Certification statuses (v1.skill.certification.CertificationStatus).
const (
	CertificationInProgress = "IN_PROGRESS"
	CertificationSucceeded  = "SUCCEEDED"
	CertificationFailed     = "FAILED"
	CertificationCancelled  = "CANCELLED"
)

// certificationStatuses are the statuses of CertificationStatus.
var certificationStatuses = []string{CertificationInProgress, CertificationSucceeded, CertificationFailed, CertificationCancelled}

// Certification is a certification review's state, as the certifications
// list and GET …/certifications/{certificationId} answer it.
type Certification struct {
	ID                       string `json:"id"`
	Status                   string `json:"status"`
	SkillSubmissionTimestamp string `json:"skillSubmissionTimestamp,omitempty"`
}

// submittedAt parses SkillSubmissionTimestamp; zero when absent or
// unreadable.
func (c Certification) submittedAt() time.Time {
	t, _ := time.Parse(time.RFC3339Nano, c.SkillSubmissionTimestamp)
	return t
}

// certificationList is the answer of GET /v1/skills/{skillId}/certifications
// (ListCertificationsResponse).
type certificationList struct {
	Items       []Certification `json:"items"`
	IsTruncated bool            `json:"isTruncated"`
	NextToken   string          `json:"nextToken"`
	TotalCount  int             `json:"totalCount"`
}

// LatestCertification returns the skill's most recent certification from
// its documented certifications list, or nil when it has none.
func (c *Client) LatestCertification(ctx context.Context, skillID string) (*Certification, error) {
	// The newest is on the first page whichever order SMAPI sorts by
	// (submission time or ID, both descending, per its model).
	resp, err := c.do(ctx, http.MethodGet, skillPath(skillID, "certifications")+"?maxResults=50", nil)
	if err != nil {
		return nil, err
	}
	latest, err := latestOf(resp.body)
	if err != nil {
		return nil, fmt.Errorf("smapi certifications of %s: %w", skillID, err)
	}
	return latest, nil
}

// latestOf decodes a ListCertificationsResponse and returns its most
// recently submitted item, or nil when it has none.
func latestOf(body []byte) (*Certification, error) {
	var l certificationList
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, errors.New("malformed JSON")
	}
	var latest *Certification
	for i, it := range l.Items {
		if it.ID == "" {
			return nil, errors.New("an item without id")
		}
		if latest == nil || it.submittedAt().After(latest.submittedAt()) {
			latest = &l.Items[i]
		}
	}
	return latest, nil
}

// Submit submits the skill for certification and returns the certification
// it started, found in the skill's certifications list: the list is
// documented, while the shape of the Location header Submit answers with is
// not. method is AutoPublishing, ManualPublishing or empty (SMAPI's default,
// automatic).
//
// A submission is not idempotent. After a transport error or a 5xx answer,
// which may or may not have reached SMAPI, Submit reads the certifications
// list first and retries only if no new certification appeared; a 429 is
// retried as usual. It waits at most PollTimeout for the new certification
// to be listed.
func (c *Client) Submit(ctx context.Context, skillID, method string) (*Certification, error) {
	var body []byte
	if method != "" {
		b, err := json.Marshal(struct {
			PublicationMethod string `json:"publicationMethod"`
		}{method})
		if err != nil {
			return nil, err
		}
		body = b
	}
	before, err := c.LatestCertification(ctx, skillID)
	if err != nil {
		return nil, fmt.Errorf("smapi submit %s: read the certifications before submitting: %w", skillID, err)
	}
	isNew := func(cert *Certification) bool {
		return cert != nil && (before == nil || cert.ID != before.ID)
	}
	maxAttempts := c.MaxAttempts
	if maxAttempts <= 0 {
		maxAttempts = 5
	}
	var accepted *Certification
	policy := retry.Policy{
		Attempts: maxAttempts,
		Backoff:  c.retryBackoff(),
		Retryable: func(err error) bool {
			var maybe *errMaybeApplied
			return errors.As(err, &maybe)
		},
		OnRetry: func(ctx context.Context, attempt int, wait time.Duration, err error) {
			c.logger().DebugContext(ctx, "smapi submit retry: no new certification listed", "skillId", skillID, "attempt", attempt, "wait", wait, "err", err)
		},
		Sleep: c.wait,
	}
	attempts := 0
	err = policy.Do(ctx, func(ctx context.Context, attempt int) error {
		attempts = attempt
		_, err := c.send(ctx, http.MethodPost, skillPath(skillID, "submit"), body, false)
		var maybe *errMaybeApplied
		if !errors.As(err, &maybe) {
			return err
		}
		// It may have been accepted: look before submitting again.
		latest, lerr := c.LatestCertification(ctx, skillID)
		if lerr != nil {
			// Not retryable: without the list, another submission could be
			// a second one.
			return fmt.Errorf("%w; whether the submission was accepted is unknown: %w", maybe.err, lerr)
		}
		if isNew(latest) {
			c.logger().DebugContext(ctx, "smapi submit failed but its certification is listed", "skillId", skillID, "certification", latest.ID, "err", err)
			accepted = latest
			return nil
		}
		return err
	})
	var maybe *errMaybeApplied
	switch {
	case errors.As(err, &maybe):
		return nil, fmt.Errorf("%w (giving up after %d attempts; no new certification is listed)", err, attempts)
	case err != nil:
		return nil, err
	case accepted != nil:
		return accepted, nil
	}
	var cert *Certification
	err = c.poll(ctx, "smapi submit "+skillID+": wait for the new certification to be listed", c.pollTimeout(), func(ctx context.Context) (bool, error) {
		latest, err := c.LatestCertification(ctx, skillID)
		if err != nil {
			return false, err
		}
		if isNew(latest) {
			cert = latest
			return true, nil
		}
		return false, nil
	})
	return cert, err
}

// Certification fetches one certification of a skill by its ID.
func (c *Client) Certification(ctx context.Context, skillID, certificationID string) (*Certification, error) {
	resp, err := c.do(ctx, http.MethodGet, skillPath(skillID, "certifications", certificationID), nil)
	if err != nil {
		return nil, err
	}
	var cert Certification
	if err := json.Unmarshal(resp.body, &cert); err != nil {
		return nil, fmt.Errorf("smapi certification %s of %s: malformed JSON", certificationID, skillID)
	}
	return &cert, nil
}

// WaitCertification polls a certification until the review leaves
// IN_PROGRESS, for at most timeout (reviews take days), calling progress
// (if not nil) with the status of each poll. A status SMAPI's model does
// not list, or none, stops the wait with ErrUnknownStatus.
func (c *Client) WaitCertification(ctx context.Context, skillID, certificationID string, timeout time.Duration, progress func(status string)) (*Certification, error) {
	var cert *Certification
	what := "wait for certification " + certificationID
	err := c.poll(ctx, what, timeout, func(ctx context.Context) (bool, error) {
		var err error
		if cert, err = c.Certification(ctx, skillID, certificationID); err != nil {
			return false, err
		}
		if progress != nil {
			progress(cert.Status)
		}
		switch cert.Status {
		case CertificationInProgress:
			return false, nil
		case CertificationSucceeded, CertificationFailed, CertificationCancelled:
			return true, nil
		default:
			return false, unknownStatus(what, cert.Status, certificationStatuses...)
		}
	})
	if err != nil {
		return nil, err
	}
	return cert, nil
}
