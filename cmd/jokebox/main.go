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
	"strings"
	"syscall"
)

// cli is what a command gets from its environment, so tests can run
// commands in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	// newFlagSet, when set, is told of each flag set newFlags makes: it is
	// how dispatch learns which flags take a value (see valueFlags).
	newFlagSet func(*flag.FlagSet)
}

// commands is the command tree: every command, its subcommands, the line
// `-h` prints and an example. A new command is one entry here and one run
// function that starts with newFlags(c, "NAME") and parseFlags (see cli.go).
var commands []*command

func init() {
	commands = []*command{
		{name: "dev", args: "[--media DIR] [--addr HOST:PORT] [--bucket B] [--convert=false] [--normalize]", run: runDev,
			summary: "run the whole skill on this machine with a browser simulator",
			example: "jokebox dev --media ~/my-jokes --addr 127.0.0.1:9090"},
		{name: "serve", args: "[--addr :8443] [--tls-cert F --tls-key F] [--insecure-skip-verify] [--any-skill]", run: runServe,
			summary: "serve the skill at /alexa over HTTPS with request verification",
			example: "jokebox serve --addr :443 --tls-cert fullchain.pem --tls-key privkey.pem"},
		{name: "add", args: "[--playlist NAME] [--normalize] [--loudness -14] [--dry-run] [--bitrate 128k] [--wait 1m] PATH...", run: runAdd,
			summary: "check, convert, normalize and upload audio files or folders to the bucket",
			example: "jokebox add --playlist chistes --normalize ~/Downloads/*.opus"},
		{name: "index", args: "--queue-url URL [--once] [--batch N]", run: runIndex,
			summary: "run the indexer as a long-poll SQS worker",
			example: "jokebox index --once --queue-url \"$JOKEBOX_QUEUE_URL\""},
		{name: "reindex", run: runReindex,
			summary: "reconcile the manifest with a full bucket listing, keeping the order",
			example: "JOKEBOX_BUCKET=my-audio jokebox reindex"},
		{name: "rotate", run: runRotate,
			summary: "reconcile, reshuffle every playlist and publish a new version",
			example: "JOKEBOX_BUCKET=my-audio jokebox rotate"},
		{name: "manifest", args: "[--json]", run: runManifest,
			summary: "print the current manifest",
			example: "jokebox manifest --json"},
		{name: "invoke", args: "skill|indexer|rotator FILE|-", run: runInvoke,
			summary: "run a function's handler in-process on an event and print the result",
			example: "jokebox invoke skill events/skill/launch.es-ES.json"},
		{name: "skill", summary: "check the skill package, or update its interaction models",
			example: "jokebox skill validate --dir skill-package",
			subs: []*command{
				{name: "validate", args: "[--dir DIR]", run: runSkillValidate,
					summary: "check the skill package offline",
					example: "jokebox skill validate --dir skill-package"},
				{name: "build", args: "[--dir DIR] [--out DIR]", run: runSkillBuild,
					summary: "fill every locale's playlist values from the bucket's folders",
					example: "jokebox skill build --out /tmp/skill-package"},
				{name: "deploy-model", args: "[--dir DIR] [--stage S] [--locale L]", run: runSkillDeployModel,
					summary: "build the interaction models from the bucket's folders, upload them and wait for their builds",
					example: "jokebox skill deploy-model --locale es-ES"},
			}},
		{name: "release", args: "[--dry-run] [--function NAME] [--skill-id ID] [--submit [--manual-publishing] [--dir DIR]]", run: releaseAction("release"),
			summary: "publish the skill function and move its live/next aliases",
			example: "jokebox release --dry-run promote",
			subs: []*command{
				{name: "promote", args: "[--dry-run] [--function NAME] [--skill-id ID]", run: releaseAction("promote"),
					summary: "move live to the version next points at",
					example: "jokebox release promote --dry-run"},
				{name: "rollback", args: "[--dry-run] [--function NAME] [--skill-id ID]", run: releaseAction("rollback"),
					summary: "move live back to the version it had before",
					example: "jokebox release rollback"},
				{name: "hotfix", args: "[--dry-run] [--function NAME] [--skill-id ID]", run: releaseAction("hotfix"),
					summary: "code-only fix: publish, move live and next, no certification",
					example: "jokebox release hotfix --dry-run"},
			}},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	c := &cli{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	code := exitCode(c.stderr, run(ctx, c, os.Args[1:]))
	stop()
	os.Exit(code)
}

// exitCode prints err and returns the process's exit status: 0 for
// success and for help that was asked for, 1 otherwise.
func exitCode(stderr io.Writer, err error) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "jokebox:", err)
	return 1
}

// run runs the command args name. It returns flag.ErrHelp after printing
// the help that -h, --help or `jokebox help CMD` asked for: that is success.
func run(ctx context.Context, c *cli, args []string) error {
	root := &command{name: "jokebox", subs: commands, example: "jokebox dev"}
	if len(args) > 0 && args[0] == "help" {
		cmd, path := find(root, args[1:])
		if cmd == nil {
			return fmt.Errorf("help: unknown command %q", strings.Join(args[1:], " "))
		}
		printUsage(c.stdout, path, cmd, nil)
		return flag.ErrHelp
	}
	return root.dispatch(ctx, c, args, "")
}
