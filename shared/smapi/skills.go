package smapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"

	"github.com/jokebox/jokebox/shared/apierr"
)

// Vendor is one vendor (developer account) the caller may act for
// (v1.vendorManagement.Vendor).
type Vendor struct {
	ID    string   `json:"id"`
	Name  string   `json:"name"`
	Roles []string `json:"roles,omitempty"`
}

// Vendors lists the vendors of the account the token was issued for
// (GET /v1/vendors).
func (c *Client) Vendors(ctx context.Context) ([]Vendor, error) {
	resp, err := c.do(ctx, http.MethodGet, "/v1/vendors", nil)
	if err != nil {
		return nil, err
	}
	return decodeVendors(resp.body)
}

// decodeVendors decodes v1.vendorManagement.Vendors; every vendor must
// have an ID.
func decodeVendors(body []byte) ([]Vendor, error) {
	var v struct {
		Vendors []Vendor `json:"vendors"`
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return nil, errors.New("smapi vendors: malformed JSON")
	}
	for _, x := range v.Vendors {
		if x.ID == "" {
			return nil, errors.New("smapi vendors: a vendor without an id")
		}
	}
	return v.Vendors, nil
}

// ErrMaybeCreated reports a skill creation that failed in a way after
// which the skill may exist all the same (a transport error or a 5xx
// answer): creating it again could make a second skill. List the vendor's
// skills before trying again.
var ErrMaybeCreated = errors.New("the skill may have been created")

// CreateSkill creates a skill for vendorID from doc, a skill manifest
// document in the shape of skill.json ({"manifest": {...}}), which needs no
// endpoint yet (POST /v1/skills). It returns the new skill's ID at once;
// SMAPI builds the skill asynchronously: follow with WaitSkill.
//
// A creation is not idempotent, so it is retried only when SMAPI refused it
// unrun (429, or 401 with a fresh token). After a transport error or a 5xx
// answer it fails with ErrMaybeCreated.
func (c *Client) CreateSkill(ctx context.Context, vendorID string, doc []byte) (string, error) {
	if vendorID == "" {
		return "", errors.New("smapi create skill: no vendor ID")
	}
	var env struct {
		Manifest json.RawMessage `json:"manifest"`
	}
	if err := json.Unmarshal(doc, &env); err != nil {
		return "", errors.New("smapi create skill: the manifest document is malformed JSON")
	}
	var probe map[string]json.RawMessage
	if json.Unmarshal(env.Manifest, &probe) != nil || probe == nil {
		return "", errors.New(`smapi create skill: the manifest document has no "manifest" object`)
	}
	body, err := json.Marshal(struct {
		VendorID string          `json:"vendorId"`
		Manifest json.RawMessage `json:"manifest"`
	}{vendorID, env.Manifest})
	if err != nil {
		return "", fmt.Errorf("smapi create skill: %w", err)
	}
	resp, err := c.send(ctx, http.MethodPost, "/v1/skills", body, false)
	if err != nil {
		var maybe *errMaybeApplied
		if errors.As(err, &maybe) {
			return "", fmt.Errorf("%w (list the vendor's skills before creating it again): %w", ErrMaybeCreated, maybe.err)
		}
		return "", err
	}
	return decodeCreated(resp.body)
}

// decodeCreated decodes v1.skill.CreateSkillResponse, which must name the
// skill.
func decodeCreated(body []byte) (string, error) {
	var out struct {
		SkillID string `json:"skillId"`
	}
	if err := json.Unmarshal(body, &out); err != nil || out.SkillID == "" {
		return "", fmt.Errorf("%w, but SMAPI's answer names no skillId", ErrMaybeCreated)
	}
	return out.SkillID, nil
}

// WaitSkill waits until a new skill's creation has finished: the skill
// status's manifest.lastUpdateRequest.status is SUCCEEDED. progress, if not
// nil, is told each status seen. A FAILED creation is an error with SMAPI's
// messages.
func (c *Client) WaitSkill(ctx context.Context, skillID string, progress func(status string)) error {
	return c.waitManifest(ctx, skillID, "smapi creation of skill "+skillID, progress)
}

// WaitManifest waits until the last manifest update of a skill has been
// applied, as WaitSkill does. PutManifest calls it itself.
func (c *Client) WaitManifest(ctx context.Context, skillID string, progress func(status string)) error {
	return c.waitManifest(ctx, skillID, "smapi manifest update of "+skillID, progress)
}

func (c *Client) waitManifest(ctx context.Context, skillID, what string, progress func(string)) error {
	last := ""
	return c.poll(ctx, what, c.pollTimeout(), func(ctx context.Context) (bool, error) {
		st, err := c.Status(ctx, skillID, "manifest")
		if err != nil {
			return false, err
		}
		if st.Manifest == nil {
			return false, fmt.Errorf("smapi manifest status of %s: no manifest in the answer", skillID)
		}
		lur := st.Manifest.LastUpdateRequest
		if !slices.Contains(resourceStatuses, lur.Status) {
			return false, unknownStatus(what, lur.Status, resourceStatuses...)
		}
		if lur.Status != last && progress != nil {
			progress(lur.Status)
		}
		last = lur.Status
		switch lur.Status {
		case StatusSucceeded:
			return true, nil
		case StatusFailed:
			return false, fmt.Errorf("%s failed: %s", what, joinErrors(lur.Errors))
		default:
			return false, nil
		}
	})
}

// enablementPath is the path of a skill's enablement for the caller's
// account in a stage.
func enablementPath(skillID, stage string) string {
	return skillPath(skillID, "stages", stage, "enablement")
}

// SetTestingEnabled enables the skill in stage (development, to test it)
// for the account the token was issued for: the devices on that account
// can then use it (PUT …/stages/{stage}/enablement, 204). Enabling an
// enabled skill changes nothing.
func (c *Client) SetTestingEnabled(ctx context.Context, skillID, stage string) error {
	_, err := c.do(ctx, http.MethodPut, enablementPath(skillID, stage), nil)
	return err
}

// TestingEnabled reports whether the skill is enabled in stage for the
// account the token was issued for (GET …/enablement: 204 yes, 404 no).
func (c *Client) TestingEnabled(ctx context.Context, skillID, stage string) (bool, error) {
	_, err := c.do(ctx, http.MethodGet, enablementPath(skillID, stage), nil)
	switch {
	case err == nil:
		return true, nil
	case apierr.IsNotFound(err):
		return false, nil
	default:
		return false, err
	}
}

// DeleteSkill deletes a skill and its models (DELETE /v1/skills/{id},
// 204). A skill that does not exist is an *Error with StatusCode 404.
func (c *Client) DeleteSkill(ctx context.Context, skillID string) error {
	_, err := c.do(ctx, http.MethodDelete, skillPath(skillID), nil)
	return err
}

// GetInteractionModel returns a locale's interaction model as SMAPI sends
// it, {"interactionModel": {...}}, raw (GET …/interactionModel/locales/
// {locale}). A locale without a model is an *Error with StatusCode 404.
func (c *Client) GetInteractionModel(ctx context.Context, skillID, stage, locale string) ([]byte, error) {
	resp, err := c.do(ctx, http.MethodGet, skillPath(skillID, "stages", stage, "interactionModel", "locales", locale), nil)
	if err != nil {
		return nil, err
	}
	if !json.Valid(resp.body) {
		return nil, fmt.Errorf("smapi get interaction model %s: malformed JSON", locale)
	}
	return resp.body, nil
}

// SkillSummary is one skill of a vendor's list (v1.skill.SkillSummary,
// the fields jokebox reads).
type SkillSummary struct {
	SkillID string `json:"skillId"`
	// NameByLocale maps each locale to the skill's name there.
	NameByLocale map[string]string `json:"nameByLocale,omitempty"`
	// Stage is development or live.
	Stage string `json:"stage,omitempty"`
}

// ListSkills lists a vendor's skills, every page (GET /v1/skills).
func (c *Client) ListSkills(ctx context.Context, vendorID string) ([]SkillSummary, error) {
	var all []SkillSummary
	next := ""
	for page := 0; ; page++ {
		q := url.Values{"vendorId": {vendorID}, "maxResults": {"50"}}
		if next != "" {
			q.Set("nextToken", next)
		}
		resp, err := c.do(ctx, http.MethodGet, "/v1/skills?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		skills, token, err := decodeSkillPage(resp.body)
		if err != nil {
			return nil, err
		}
		all = append(all, skills...)
		if token == "" {
			return all, nil
		}
		if page >= 1000 {
			return nil, errors.New("smapi list skills: more than 1000 pages")
		}
		next = token
	}
}

// decodeSkillPage decodes a page of v1.skill.ListSkillResponse: its skills,
// each with an ID, and the next page's token, "" on the last page.
func decodeSkillPage(body []byte) ([]SkillSummary, string, error) {
	var l struct {
		Skills      []SkillSummary `json:"skills"`
		IsTruncated bool           `json:"isTruncated"`
		NextToken   string         `json:"nextToken"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		return nil, "", errors.New("smapi list skills: malformed JSON")
	}
	for _, s := range l.Skills {
		if s.SkillID == "" {
			return nil, "", errors.New("smapi list skills: a skill without a skillId")
		}
	}
	if !l.IsTruncated {
		return l.Skills, "", nil
	}
	if l.NextToken == "" {
		return nil, "", errors.New("smapi list skills: a truncated page without a nextToken")
	}
	return l.Skills, l.NextToken, nil
}

// StatusCode returns the HTTP status of an SMAPI error answer in err's
// chain, 0 if there is none.
func StatusCode(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}
