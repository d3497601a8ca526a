package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/jokebox/jokebox/shared/config"
)

// command is one node of the command tree: a command or subcommand, with
// everything the CLI knows of it. A node has a run function, subcommands,
// or both (release runs itself when no subcommand is named).
type command struct {
	name    string
	summary string // one line, lowercase, no period
	example string // a whole command line
	// args names the positional arguments in the usage line ("PATH...");
	// minArgs and maxArgs bound their number (maxArgs unlimited: no bound).
	args             string
	minArgs, maxArgs int
	// fileArgs: the positional arguments are file names, so an argument
	// taken as a flag that also names a file here is refused (a shell's *
	// expanding to --playlist=x must not set a flag); see flagLikeFiles.
	fileArgs bool
	// flags is the command's flag set, defined once where the node is
	// made: names, defaults, usage. Its values are read after parsing.
	flags flag.FlagSet
	// env are the variables the command reads, listed by -h.
	env []config.Var
	// defaults, when set, changes config.Defaults before the environment
	// is read for this command (dev plays continuously).
	defaults func(*config.Config)
	subs     []*command
	// run runs the command with its positional arguments, after its
	// flags are parsed and their number is checked.
	run func(ctx context.Context, c *cli, cmd *command, args []string) error

	path string // "skill build"; "" for the root; set by link
}

// unlimited as maxArgs takes any number of positional arguments.
const unlimited = -1

// link sets the path and the flag set's name of cmd and every node
// under it.
func (cmd *command) link(path string) {
	cmd.path = path
	cmd.flags.Init(strings.TrimSpace("jokebox "+path), flag.ContinueOnError)
	cmd.flags.SetOutput(io.Discard) // parse reports errors and prints help
	for _, s := range cmd.subs {
		s.link(strings.TrimSpace(path + " " + s.name))
	}
}

// sub returns cmd's subcommand called name, or nil.
func (cmd *command) sub(name string) *command {
	if i := slices.IndexFunc(cmd.subs, func(s *command) bool { return s.name == name }); i >= 0 {
		return cmd.subs[i]
	}
	return nil
}

// find follows names down the tree from cmd; it returns nil for an
// unknown name.
func (cmd *command) find(names []string) *command {
	for _, n := range names {
		if cmd = cmd.sub(n); cmd == nil {
			return nil
		}
	}
	return cmd
}

// dispatch runs the subcommand that is the first argument not a flag nor
// a flag's value, so flags may come before or after it (`release --dry-run
// promote`), with the other arguments; or cmd itself when no subcommand is
// named. Whether a flag takes a value is read from the flag sets of cmd and
// of the commands under it, so that in `release --function promote`
// promote is the function's name.
func (cmd *command) dispatch(ctx context.Context, c *cli, args []string) error {
	if len(cmd.subs) == 0 {
		return cmd.exec(ctx, c, args)
	}
	takesValue := cmd.valueFlags()
	help, first := false, -1
	for i := 0; i < len(args) && first < 0; i++ {
		a := args[i]
		switch {
		case a == "--":
			i = len(args)
		case a == "-h" || a == "-help" || a == "--help":
			help = true
		case len(a) > 1 && a[0] == '-' && !strings.Contains(a, "="):
			if takesValue[strings.TrimLeft(a, "-")] {
				i++ // its value
			}
		case !strings.HasPrefix(a, "-") || a == "-":
			first = i
		}
	}
	if first >= 0 {
		if s := cmd.sub(args[first]); s != nil {
			return s.dispatch(ctx, c, append(slices.Clone(args[:first]), args[first+1:]...))
		}
	}
	if cmd.run != nil {
		return cmd.exec(ctx, c, args)
	}
	what, prefix := "subcommand", "jokebox "+cmd.path+": "
	if cmd.path == "" {
		what, prefix = "command", ""
	}
	switch {
	case help:
		printUsage(c.stdout, cmd)
		return flag.ErrHelp
	case first >= 0:
		printUsage(c.stderr, cmd)
		return fmt.Errorf("%sunknown %s %q (want %s)", prefix, what, args[first], subNames(cmd, " or "))
	}
	printUsage(c.stderr, cmd)
	return fmt.Errorf("%swant a %s: %s", prefix, what, subNames(cmd, ", "))
}

// valueFlags returns the names of the flags that take a value (all but
// the boolean ones) of cmd and the commands under it. Flags before a
// subcommand's name are that subcommand's, not yet known, so a name is
// taken to need a value when any of them defines it so.
func (cmd *command) valueFlags() map[string]bool {
	names := map[string]bool{}
	var walk func(*command)
	walk = func(cmd *command) {
		cmd.flags.VisitAll(func(f *flag.Flag) {
			if !isBoolFlag(f) {
				names[f.Name] = true
			}
		})
		for _, s := range cmd.subs {
			walk(s)
		}
	}
	walk(cmd)
	return names
}

func isBoolFlag(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// subNames returns the names of cmd's subcommands joined by sep.
func subNames(cmd *command, sep string) string {
	return strings.Join(cmd.subNames(), sep)
}

func (cmd *command) subNames() []string {
	var names []string
	for _, s := range cmd.subs {
		names = append(names, s.name)
	}
	return names
}

// exec parses args and runs cmd with its positional arguments.
func (cmd *command) exec(ctx context.Context, c *cli, args []string) error {
	if err := cmd.parse(c, args); err != nil {
		return err
	}
	c.load(cmd.defaults)
	return cmd.run(ctx, c, cmd, cmd.flags.Args())
}

// parse parses args with cmd's flags, accepting flags before, between and
// after the positional arguments (which cmd.flags.Args then returns); "--"
// ends the flags. It checks the number of positional arguments. After -h
// or --help it prints the command's usage to c.stdout and returns
// flag.ErrHelp, which main treats as success.
func (cmd *command) parse(c *cli, args []string) error {
	fs := &cmd.flags
	if cmd.fileArgs {
		if err := flagLikeFiles(args); err != nil {
			return fmt.Errorf("%s: %w", cmd.path, err)
		}
	}
	var pos []string
	for {
		err := fs.Parse(args)
		if err == flag.ErrHelp {
			printUsage(c.stdout, cmd)
			return err
		}
		if err != nil {
			return fmt.Errorf("%s: %w (see 'jokebox %s -h')", cmd.path, err, cmd.path)
		}
		rest := fs.Args()
		if len(rest) == 0 {
			break
		}
		if n := len(args) - len(rest); n > 0 && args[n-1] == "--" {
			pos = append(pos, rest...)
			break
		}
		pos, args = append(pos, rest[0]), rest[1:]
	}
	// Leave the positional arguments in fs.Args.
	if err := fs.Parse(append([]string{"--"}, pos...)); err != nil {
		return err
	}
	switch n := len(pos); {
	case n > cmd.maxArgs && cmd.maxArgs != unlimited && len(cmd.subs) > 0:
		return fmt.Errorf("%s: unknown action %q (want %s, or none to %s)", cmd.path, pos[cmd.maxArgs], orList(cmd.subNames()), cmd.name)
	case n > cmd.maxArgs && cmd.maxArgs != unlimited:
		return fmt.Errorf("%s: unexpected argument %q", cmd.path, pos[cmd.maxArgs])
	case n < cmd.minArgs:
		return fmt.Errorf("%s: want %s (see 'jokebox %s -h')", cmd.path, cmd.args, cmd.path)
	}
	return nil
}

// orList joins items as "a, b or c".
func orList(items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// flagLikeFiles refuses an argument taken as a flag that is also the name
// of a file here: `jokebox add *` in a folder holding a file named
// --playlist=x must not change the flags. File names go after --.
func flagLikeFiles(args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if strings.HasPrefix(a, "-") {
			if _, err := os.Lstat(a); err == nil {
				return fmt.Errorf("%s is a flag and the name of a file here: put -- before file names (jokebox add -- *)", strconv.Quote(a))
			}
		}
	}
	return nil
}
