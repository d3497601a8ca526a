package main

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/jokebox/jokebox/shared/config"
	"github.com/jokebox/jokebox/shared/smapi/smapitest"
)

// TestSMAPIEndpointVariables: the ASK_* endpoint variables send the
// commands' SMAPI and LWA requests to the fake, and a plain-http server
// that is not loopback is refused before anything is sent.
func TestSMAPIEndpointVariables(t *testing.T) {
	f := smapitest.New(t)
	env := f.Env()
	c := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: func(k string) string { return env[k] },
		configDir: func() (string, error) { return t.TempDir(), nil }}
	s, err := loadSMAPIConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	vs, err := newSMAPIClient(c, s).Vendors(context.Background())
	if err != nil || len(vs) != 1 || vs[0].ID != smapitest.VendorID {
		t.Fatalf("Vendors through the ASK_* variables = %+v, %v; want the fake's vendor", vs, err)
	}
	if got := f.Calls()["getVendorListV1"]; got != 1 {
		t.Errorf("the fake saw %d vendor calls; want 1", got)
	}

	env[config.EnvSMAPIURL.Name] = "http://smapi.example.test"
	if _, err := loadSMAPIConfig(c); err == nil || !strings.Contains(err.Error(), config.EnvSMAPIURL.Name) || !strings.Contains(err.Error(), "loopback") {
		t.Errorf("loadSMAPIConfig with plain http to another host = %v; want an error naming %s", err, config.EnvSMAPIURL.Name)
	}

	delete(env, config.EnvRefreshToken.Name)
	env[config.EnvSMAPIURL.Name] = f.SMAPIURL
	_, err = loadSMAPIConfig(c)
	if err := withCredentials(&config.Error{Missing: []string{"JOKEBOX_SKILL_ID"}}, err); err == nil || !strings.Contains(err.Error(), "missing JOKEBOX_SKILL_ID, "+config.EnvRefreshToken.Name+"; the environment sets some") {
		t.Errorf("withCredentials = %v; want both missing names in one error", err)
	}
}
