package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/jokebox/jokebox/shared/server"
	"github.com/jokebox/jokebox/shared/verify"
)

// runServe serves the skill at POST /alexa, verifying that every request
// comes from Alexa, until the context ends (SIGINT or SIGTERM).
func runServe(ctx context.Context, c *cli, args []string) error {
	fs := newFlags(c, "serve")
	addr := fs.String("addr", ":8443", "address to listen on, host:port")
	cert := fs.String("tls-cert", "", "PEM certificate chain for HTTPS (with --tls-key); without both, plain HTTP for a TLS-terminating proxy")
	key := fs.String("tls-key", "", "PEM private key of --tls-cert")
	insecure := fs.Bool("insecure-skip-verify", false, "do NOT check that requests come from Alexa: local testing only, never on the internet")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve: unexpected argument %q", fs.Arg(0))
	}
	if (*cert == "") != (*key == "") {
		return errors.New("serve: give both --tls-cert and --tls-key, or neither")
	}
	inv, err := newSkillInvoker(ctx, c)
	if err != nil {
		return err
	}
	o := server.Options{
		Addr:               *addr,
		TLSCert:            *cert,
		TLSKey:             *key,
		InsecureSkipVerify: *insecure,
		Logger:             c.logger(),
	}
	if !*insecure {
		o.Verifier = verify.New(verify.Options{})
	}
	return server.Run(ctx, inv, o)
}
