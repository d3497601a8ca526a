package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
)

func TestServeRefusesBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--tls-cert", "c.pem"}, "both --tls-cert and --tls-key"},
		{[]string{"--tls-key", "k.pem"}, "both --tls-cert and --tls-key"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--no-such-flag"}, "not defined"},
	}
	for _, tt := range tests {
		var stderr bytes.Buffer
		c := &cli{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(string) string { return "" }}
		err := run(context.Background(), c, append([]string{"serve"}, tt.args...))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("serve %q = %v; want an error containing %q", tt.args, err, tt.want)
		}
	}
}

// TestServeWithoutSkillIDExits runs the real main (this test binary, run
// again as a child) with no JOKEBOX_SKILL_ID: it must exit non-zero and name
// the variable and --any-skill.
func TestServeWithoutSkillIDExits(t *testing.T) {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	_, stderr, code := runMainEnv(t, env, "serve")
	if code == 0 {
		t.Fatalf("jokebox serve without JOKEBOX_SKILL_ID: exit status 0, want non-zero; stderr:\n%s", stderr)
	}
	for _, want := range []string{"JOKEBOX_SKILL_ID", "--any-skill"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr = %q; want it to name %s", stderr, want)
		}
	}
}

func TestServeOptions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		skillID  string
		args     []string
		addr     string
		verify   bool
		warnings string // a substring of stderr, or "" for no warning
		err      string
	}{
		{name: "no skill ID", args: nil, err: "JOKEBOX_SKILL_ID is not set"},
		{name: "no skill ID, insecure", args: []string{"--insecure-skip-verify"}, err: "--any-skill"},
		{name: "skill ID", skillID: "amzn1.ask.skill.x", addr: ":8443", verify: true},
		{name: "any skill", args: []string{"--any-skill"}, addr: ":8443", verify: true, warnings: "ANSWERING ANY ALEXA SKILL"},
		{name: "any skill and skill ID", skillID: "amzn1.ask.skill.x", args: []string{"--any-skill"}, err: "contradict"},
		{name: "insecure listens on loopback", skillID: "amzn1.ask.skill.x", args: []string{"--insecure-skip-verify"}, addr: "127.0.0.1:8443"},
		{name: "insecure with an explicit address", skillID: "amzn1.ask.skill.x", args: []string{"--insecure-skip-verify", "--addr", ":9000"}, addr: ":9000"},
		{name: "explicit address", skillID: "amzn1.ask.skill.x", args: []string{"--addr", "127.0.0.1:1"}, addr: "127.0.0.1:1", verify: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stderr bytes.Buffer
			env := map[string]string{"JOKEBOX_SKILL_ID": tt.skillID}
			c := &cli{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, getenv: func(k string) string { return env[k] }}
			cmd, f := serveCommandFlags()
			cmd.link("serve")
			if err := cmd.parse(c, tt.args); err != nil {
				t.Fatal(err)
			}
			o, err := serveOptions(c, cmd, f)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("serveOptions(%q) = %v; want an error containing %q", tt.args, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("serveOptions(%q): %v", tt.args, err)
			}
			if o.Addr != tt.addr || (o.Verifier != nil) != tt.verify || o.InsecureSkipVerify == tt.verify {
				t.Errorf("serveOptions(%q): addr %q, verifier %v, insecure %v; want addr %q, verify %v", tt.args, o.Addr, o.Verifier != nil, o.InsecureSkipVerify, tt.addr, tt.verify)
			}
			if got := stderr.String(); (tt.warnings == "") != (got == "") || !strings.Contains(got, tt.warnings) {
				t.Errorf("serveOptions(%q) logged %q; want %q", tt.args, got, tt.warnings)
			}
		})
	}
}
