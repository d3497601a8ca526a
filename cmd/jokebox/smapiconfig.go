package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/lwa"
	"github.com/jokebox/jokebox/shared/smapi"
)

// smapiConfig is what an SMAPI-using command needs: the servers (the ASK_*
// endpoint variables) and the Login with Amazon credentials, from the
// environment or the login file.
type smapiConfig struct {
	ask   config.ASK
	creds smapi.Credentials
	// vendorID is ASK_VENDOR_ID, else the login file's.
	vendorID string
	// from says where the credentials came from.
	from string
}

// smapiEnv is what reaching SMAPI reads: the ASK_* variables but the
// vendor ID and the consent page's host, which only login and deploy
// need.
func smapiEnv() []config.Var {
	return slices.DeleteFunc(config.ASKVars(), func(v config.Var) bool {
		return v == config.EnvVendorID || v == config.EnvLWAAuthorizeHost
	})
}

// loginPath is the login file's path: in the directory c.configDir
// returns, else os.UserConfigDir's.
func (c *cli) loginPath() (string, error) {
	if c.configDir != nil {
		dir, err := c.configDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(dir, "jokebox", lwa.FileName), nil
	}
	return lwa.DefaultPath()
}

// loadSMAPIConfig reads the ASK_* variables and the credentials: the
// environment's, else the login file's. A malformed server URL, two
// different client secrets or an unreadable login file are an error; no
// credentials anywhere is an *lwa.NoCredentialsError naming both ways.
func loadSMAPIConfig(c *cli) (smapiConfig, error) {
	ask, err := config.LoadASK(c.getenv)
	if err != nil {
		return smapiConfig{}, err
	}
	path, perr := c.loginPath()
	if perr != nil && !ask.HasCredentials() {
		return smapiConfig{}, perr
	}
	r, err := lwa.Resolve(ask, path)
	if err != nil {
		return smapiConfig{ask: ask}, err
	}
	return smapiConfig{ask: ask, creds: r.Credentials, vendorID: r.VendorID, from: r.From}, nil
}

// newSMAPIClient builds an SMAPI client for s, logging to the command's
// stderr.
func newSMAPIClient(c *cli, s smapiConfig) *smapi.Client {
	log := c.logger()
	return &smapi.Client{
		Tokens:  &loginHint{TokenSource: &smapi.TokenSource{Credentials: s.creds, TokenURL: s.ask.TokenURL, Logger: log}, from: s.from},
		BaseURL: s.ask.SMAPIURL,
		Logger:  log,
	}
}

// loginHint adds what to do to LWA's refusals of the credentials.
type loginHint struct {
	*smapi.TokenSource
	from string
}

func (h *loginHint) Token(ctx context.Context) (string, error) {
	tok, err := h.TokenSource.Token(ctx)
	switch {
	case errors.Is(err, smapi.ErrRefreshRefused):
		return "", fmt.Errorf("%w; run jokebox login again%s", err, h.envHint(config.EnvRefreshToken.Name))
	case errors.Is(err, smapi.ErrClientRefused):
		return "", fmt.Errorf("%w; check the security profile and run jokebox login again%s", err, h.envHint(config.EnvLWAClientID.Name+" and "+config.EnvLWAClientSecret.Name))
	}
	return tok, err
}

// envHint names the variables to renew when the credentials came from the
// environment.
func (h *loginHint) envHint(names string) string {
	if h.from == "the environment" {
		return " (the credentials come from the environment: renew " + names + ", e.g. with jokebox login --print)"
	}
	return " (the credentials come from " + h.from + ")"
}

// withCredentials adds the credentials' problem, credErr from
// loadSMAPIConfig, to err from Config.Require, so that one error names
// everything missing: no credentials anywhere is one "SMAPI credentials
// (…)" entry naming both ways to give them, an incomplete environment its
// missing names. Another kind of credErr is returned as it is.
func withCredentials(err, credErr error) error {
	var nc *lwa.NoCredentialsError
	switch {
	case errors.As(credErr, &nc) && nc.Partial:
		return config.Merge(err, &config.Error{Missing: nc.Missing,
			Malformed: []string{"the environment sets some Login with Amazon credentials, so it must set them all (or none, to use the login file)"}})
	case errors.As(credErr, &nc):
		return config.Merge(err, &config.Error{Missing: []string{"SMAPI credentials (" + nc.Remedy() + ")"}})
	case credErr != nil:
		return credErr
	}
	return err
}
