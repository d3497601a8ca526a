package main

import (
	"context"
	"errors"
	"flag"

	"github.com/jokebox/jokebox/shared/server"
	"github.com/jokebox/jokebox/shared/verify"
)

// Default addresses of serve: every interface when requests are verified,
// loopback only when they are not.
const (
	serveAddr         = ":8443"
	serveAddrLoopback = "127.0.0.1:8443"
)

// errNoSkillID is serve's refusal to answer every Alexa skill by default.
var errNoSkillID = errors.New("serve: JOKEBOX_SKILL_ID is not set: without it the endpoint answers any Alexa skill, " +
	"and anyone could point their own skill at it to fetch your audio; set JOKEBOX_SKILL_ID to your skill's ID " +
	"(amzn1.ask.skill.…), or pass --any-skill to allow any skill on purpose")

// serveFlags are serve's flags.
type serveFlags struct {
	addr, cert, key    string
	insecure, anySkill bool
}

// serveCommand is `jokebox serve`.
func serveCommand() *command {
	cmd, _ := serveCommandFlags()
	return cmd
}

// serveCommandFlags is serveCommand and where its flags are parsed to.
func serveCommandFlags() (*command, *serveFlags) {
	cmd := &command{name: "serve",
		summary: "serve the skill at /alexa over HTTPS with request verification",
		example: "jokebox serve --addr :443 --tls-cert fullchain.pem --tls-key privkey.pem",
		env:     skillEnv()}
	f := &serveFlags{}
	cmd.flags.StringVar(&f.addr, "addr", serveAddr, "`HOST:PORT` to listen on; "+serveAddrLoopback+" when --insecure-skip-verify is given without it")
	cmd.flags.StringVar(&f.cert, "tls-cert", "", "PEM certificate chain `FILE` for HTTPS (with --tls-key); without both, plain HTTP for a TLS-terminating proxy")
	cmd.flags.StringVar(&f.key, "tls-key", "", "PEM private key `FILE` of --tls-cert")
	cmd.flags.BoolVar(&f.insecure, "insecure-skip-verify", false, "do NOT check that requests come from Alexa: local testing only, never on the internet")
	cmd.flags.BoolVar(&f.anySkill, "any-skill", false, "answer requests of any Alexa skill, on purpose, when JOKEBOX_SKILL_ID is not set")
	cmd.run = func(ctx context.Context, c *cli, cmd *command, _ []string) error { return runServe(ctx, c, cmd, f) }
	return cmd, f
}

// runServe serves the skill at POST /alexa, verifying that every request
// comes from Alexa, until the context ends (SIGINT or SIGTERM). It refuses
// to start without a skill ID unless --any-skill says so.
func runServe(ctx context.Context, c *cli, cmd *command, f *serveFlags) error {
	o, err := serveOptions(c, cmd, f)
	if err != nil {
		return err
	}
	inv, err := newSkillInvoker(ctx, c)
	if err != nil {
		return err
	}
	return server.Run(ctx, inv, o)
}

// serveOptions turns serve's parsed flags and environment into the
// server's options, refusing what would expose the endpoint by default.
func serveOptions(c *cli, cmd *command, f *serveFlags) (server.Options, error) {
	if (f.cert == "") != (f.key == "") {
		return server.Options{}, errors.New("serve: give both --tls-cert and --tls-key, or neither")
	}
	cfg := c.config()
	if err := cfg.Require(0, nil); err != nil {
		return server.Options{}, err
	}
	switch skillID := cfg.SkillID; {
	case skillID == "" && !f.anySkill:
		return server.Options{}, errNoSkillID
	case skillID != "" && f.anySkill:
		return server.Options{}, errors.New("serve: --any-skill and JOKEBOX_SKILL_ID contradict each other: unset one")
	}
	addrSet := false
	cmd.flags.Visit(func(fl *flag.Flag) { addrSet = addrSet || fl.Name == "addr" })
	if f.insecure && !addrSet {
		f.addr = serveAddrLoopback
	}
	o := server.Options{
		Addr:               f.addr,
		TLSCert:            f.cert,
		TLSKey:             f.key,
		InsecureSkipVerify: f.insecure,
		Logger:             c.logger(),
	}
	if f.anySkill {
		o.Logger.Warn("ANSWERING ANY ALEXA SKILL (--any-skill): anyone can point their own skill at this endpoint and play your audio; set JOKEBOX_SKILL_ID to allow only yours")
	}
	if !f.insecure {
		o.Verifier = verify.New(verify.Options{})
	}
	return o, nil
}
