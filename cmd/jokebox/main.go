// Command jokebox is the one CLI for working on a jokebox skill locally and
// operating it: run everything on one machine (dev), serve the skill over
// HTTPS (serve), index and rotate the manifest, invoke the functions
// in-process, and release the skill.
//
// # Adding a command
//
// A command is one entry in newTree's list: a function, in the command's
// own file, that returns its *command (see cli.go). That node is the whole
// definition, read by dispatch, by `-h` and by the tests:
//
//	func fooCommand() *command {
//		cmd := &command{name: "foo", args: "FILE", minArgs: 1, maxArgs: 1,
//			summary: "do foo to a file", example: "jokebox foo --bar 3 x.mp3",
//			env: []config.Var{config.EnvBucket}}
//		bar := cmd.flags.Int("bar", 1, "how many `TIMES` to foo")
//		cmd.run = func(ctx context.Context, c *cli, cmd *command, args []string) error {
//			return foo(ctx, c, *bar, args[0])
//		}
//		return cmd
//	}
//
// Define every flag on cmd.flags (with a `NAME` in backquotes for the
// value of a flag that takes one), give the number of positional arguments
// (minArgs, maxArgs; unlimited for no bound), and the variables of
// shared/config the command reads. The usage line, `-h`, which flags take
// a value (so flags may come before or after a subcommand) and the argument
// count check all come from that data; run gets the positional arguments
// after its flags are parsed. A subcommand is a node in subs. Shared flag
// groups (release's --dry-run, --function, --skill-id) are functions that
// define them on a FlagSet.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/jokebox/jokebox/shared/config"
)

// cli is what a command gets from its environment, so tests can run
// commands in-process.
type cli struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string

	// The run's configuration and logger, made once by load.
	loaded bool
	cfg    config.Config
	log    *slog.Logger
	// configDir is the user's configuration directory, where the login
	// file is; nil means os.UserConfigDir.
	configDir func() (string, error)
	// browse opens a URL in the owner's browser; nil means openBrowser.
	browse func(ctx context.Context, url string) error
}

// newTree returns the command tree, with fresh flag sets: every run (and
// every test) parses into its own.
func newTree() *command {
	root := &command{name: "jokebox", example: "jokebox dev", subs: []*command{
		devCommand(),
		serveCommand(),
		addCommand(),
		indexCommand(),
		reindexCommand(),
		rotateCommand(),
		manifestCommand(),
		invokeCommand(),
		skillCommand(),
		releaseCommand(),
		deployCommand(),
		destroyCommand(),
		regionCommand(),
		loginCommand(),
	}}
	root.link("")
	return root
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
	root := newTree()
	if len(args) > 0 && args[0] == "help" {
		cmd := root.find(args[1:])
		if cmd == nil {
			return fmt.Errorf("help: unknown command %q", strings.Join(args[1:], " "))
		}
		printUsage(c.stdout, cmd)
		return flag.ErrHelp
	}
	return root.dispatch(ctx, c, args)
}
