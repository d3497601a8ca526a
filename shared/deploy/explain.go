package deploy

import (
	"errors"
	"net/http"
	"strings"

	"github.com/jokebox/jokebox/shared/smapi"
)

// HintError is a failure with what the owner should do about it.
type HintError struct {
	Err  error
	Hint string
}

func (e *HintError) Error() string { return e.Err.Error() + ": " + e.Hint }
func (e *HintError) Unwrap() error { return e.Err }

// Explain adds to err what to do about it, for the failures an owner
// meets: refused or expired Login with Amazon credentials, a skill the
// account does not own, and SMAPI's refusals and outages. Other errors,
// and nil, are returned as they are.
func Explain(err error) error {
	var he *HintError
	if err == nil || errors.As(err, &he) {
		return err
	}
	hint := ""
	var se *smapi.Error
	switch {
	case errors.Is(err, smapi.ErrLWA) && strings.Contains(err.Error(), "jokebox login"):
		return err // the token source said what to do
	case errors.Is(err, smapi.ErrLWA):
		hint = "Login with Amazon refused the credentials (a revoked or expired refresh token, or a wrong client ID or secret): run jokebox login again"
	case errors.As(err, &se) && (se.StatusCode == http.StatusUnauthorized || se.StatusCode == http.StatusForbidden):
		hint = "SMAPI says this Amazon developer account may not do that: the skill (JOKEBOX_SKILL_ID or the stack's) belongs to another vendor, or the login lacks the skill scopes; run jokebox login with the account that owns the skill, or unset JOKEBOX_SKILL_ID to create one"
	case errors.As(err, &se) && se.StatusCode == http.StatusNotFound:
		hint = "SMAPI does not know that skill: check JOKEBOX_SKILL_ID, or unset it to create a skill"
	case errors.As(err, &se) && (se.StatusCode == http.StatusTooManyRequests || se.StatusCode >= 500):
		hint = "SMAPI is busy or failing; nothing is half-done: run the same command again later"
	case errors.As(err, &se) && se.StatusCode >= 400:
		hint = "SMAPI refused the request: fix what its message says, then run the same command again"
	default:
		return err
	}
	return &HintError{Err: err, Hint: hint}
}
