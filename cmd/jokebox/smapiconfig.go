package main

import (
	"slices"
	"strings"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/smapi"
)

// smapiConfig is what an SMAPI-using command needs: the servers (the ASK_*
// endpoint variables) and the Login with Amazon credentials.
type smapiConfig struct {
	ask   config.ASK
	creds smapi.Credentials
}

// smapiEnv is what reaching SMAPI reads: the ASK_* variables but the
// vendor ID and the consent page's host, which only login and deploy
// need.
func smapiEnv() []config.Var {
	return slices.DeleteFunc(config.ASKVars(), func(v config.Var) bool {
		return v == config.EnvVendorID || v == config.EnvLWAAuthorizeHost
	})
}

// missingCredentialsError names the credential variables that are unset.
type missingCredentialsError struct {
	Names []string
}

func (e *missingCredentialsError) Error() string {
	return "missing " + strings.Join(e.Names, ", ")
}

// loadSMAPIConfig reads the ASK_* variables: a malformed server URL or
// two different client secrets are an error, and missing credentials a
// *missingCredentialsError naming them.
func loadSMAPIConfig(getenv func(string) string) (smapiConfig, error) {
	ask, err := config.LoadASK(getenv)
	if err != nil {
		return smapiConfig{}, err
	}
	s := smapiConfig{ask: ask, creds: smapi.Credentials{ClientID: ask.ClientID, ClientSecret: ask.ClientSecret, RefreshToken: ask.RefreshToken}}
	if m := ask.MissingCredentials(); len(m) > 0 {
		return s, &missingCredentialsError{Names: m}
	}
	return s, nil
}

// newSMAPIClient builds an SMAPI client for s, logging to the command's
// stderr.
func newSMAPIClient(c *cli, s smapiConfig) *smapi.Client {
	log := c.logger()
	return &smapi.Client{
		Tokens:  &smapi.TokenSource{Credentials: s.creds, TokenURL: s.ask.TokenURL, Logger: log},
		BaseURL: s.ask.SMAPIURL,
		Logger:  log,
	}
}
