// Command jokebox is the one CLI for working on a jokebox skill locally and
// operating it: run everything on one machine (dev), serve the skill over
// HTTPS (serve), index and rotate the manifest, invoke the functions
// in-process, and release the skill.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// cli is what a command gets from its environment, so tests can run
// commands in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

type command struct {
	name, args, summary string
	run                 func(ctx context.Context, c *cli, args []string) error
}

var commands = []command{
	{"dev", "[--media DIR] [--addr HOST:PORT] [--bucket B]", "run the whole skill on this machine with a browser simulator", runDev},
	{"serve", "[--addr :8443] [--tls-cert F --tls-key F] [--insecure-skip-verify] [--any-skill]", "serve the skill at /alexa over HTTPS with request verification", runServe},
	{"index", "--queue-url URL [--once]", "run the indexer as a long-poll SQS worker", runIndex},
	{"reindex", "", "reconcile the manifest with a full bucket listing, keeping the order", runReindex},
	{"rotate", "", "reconcile, reshuffle every playlist and publish a new version", runRotate},
	{"manifest", "[--json]", "print the current manifest", runManifest},
	{"invoke", "skill|indexer|rotator FILE|-", "run a function's handler in-process on an event and print the result", runInvoke},
	{"skill", "validate | deploy-model [--stage S] [--locale L]", "check the skill package, or update its interaction models", runSkill},
	{"release", "[promote|rollback|hotfix] [--dry-run] [--submit]", "publish and move the skill's live/next aliases", runRelease},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if err := run(ctx, c, os.Args[1:]); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "jokebox:", err)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, c *cli, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(c.stdout)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	for _, cmd := range commands {
		if cmd.name == args[0] {
			return cmd.run(ctx, c, args[1:])
		}
	}
	usage(c.stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Usage: jokebox COMMAND [flags]\n\nCommands:")
	for _, cmd := range commands {
		fmt.Fprintf(w, "  %-9s %s\n", cmd.name, cmd.summary)
	}
	fmt.Fprintln(w, "\nRun 'jokebox COMMAND -h' for a command's flags.")
}

// newFlags returns a flag set for a command that prints its usage to the
// command's stderr and returns errors instead of exiting.
func newFlags(c *cli, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("jokebox "+name, flag.ContinueOnError)
	fs.SetOutput(c.stderr)
	return fs
}
