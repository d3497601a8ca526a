package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
)

// command is one command or subcommand of the CLI. A command has a run
// function, subcommands, or both (release runs itself when no subcommand
// is named).
type command struct {
	name    string
	args    string // what follows the name in the usage line
	summary string
	example string
	subs    []*command
	run     func(ctx context.Context, c *cli, args []string) error
}

// find follows names down the tree from root; it returns nil for an
// unknown name.
func find(root *command, names []string) (*command, string) {
	cmd, path := root, []string{}
	for _, n := range names {
		i := slices.IndexFunc(cmd.subs, func(s *command) bool { return s.name == n })
		if i < 0 {
			return nil, ""
		}
		cmd = cmd.subs[i]
		path = append(path, n)
	}
	return cmd, strings.Join(path, " ")
}

// dispatch runs the subcommand that is the first argument not a flag nor
// a flag's value, so flags may come before or after it (`release --dry-run
// promote`), with the other arguments; or cmd itself when no subcommand is
// named. Whether a flag takes a value is read from the flag sets of cmd and
// of the commands under it (see valueFlags), so that in `release --function
// promote` promote is the function's name.
func (cmd *command) dispatch(ctx context.Context, c *cli, args []string, path string) error {
	if len(cmd.subs) == 0 {
		return cmd.run(ctx, c, args)
	}
	var takesValue map[string]bool
	help, first := false, -1
	for i := 0; i < len(args) && first < 0; i++ {
		a := args[i]
		switch {
		case a == "--":
			i = len(args)
		case a == "-h" || a == "-help" || a == "--help":
			help = true
		case len(a) > 1 && a[0] == '-' && !strings.Contains(a, "="):
			if takesValue == nil {
				takesValue = cmd.valueFlags(ctx, c)
			}
			if takesValue[strings.TrimLeft(a, "-")] {
				i++ // its value
			}
		case !strings.HasPrefix(a, "-") || a == "-":
			first = i
		}
	}
	if first >= 0 {
		if j := slices.IndexFunc(cmd.subs, func(s *command) bool { return s.name == args[first] }); j >= 0 {
			rest := append(slices.Clone(args[:first]), args[first+1:]...)
			return cmd.subs[j].dispatch(ctx, c, rest, strings.TrimSpace(path+" "+args[first]))
		}
	}
	if cmd.run != nil {
		return cmd.run(ctx, c, args)
	}
	what, prefix := "subcommand", "jokebox "+path+": "
	if path == "" {
		what, prefix = "command", ""
	}
	switch {
	case help:
		printUsage(c.stdout, path, cmd, nil)
		return flag.ErrHelp
	case first >= 0:
		printUsage(c.stderr, path, cmd, nil)
		return fmt.Errorf("%sunknown %s %q (want %s)", prefix, what, args[first], subNames(cmd, " or "))
	}
	printUsage(c.stderr, path, cmd, nil)
	return fmt.Errorf("%swant a %s: %s", prefix, what, subNames(cmd, ", "))
}

// valueFlags returns the names of the flags that take a value (all but
// the boolean ones) in the flag sets of cmd and the commands under it. Flags
// before a subcommand's name are that subcommand's, not yet known, so a
// name is taken to need a value when any of them defines it so.
//
// The flag sets are defined inside the run functions, which all begin with
// newFlags and parseFlags: each is run with -h on a CLI that prints nothing
// and records the flag set newFlags made, and returns at the -h.
func (cmd *command) valueFlags(ctx context.Context, c *cli) map[string]bool {
	names := map[string]bool{}
	var sets []*flag.FlagSet
	probe := &cli{stdin: strings.NewReader(""), stdout: io.Discard, stderr: io.Discard, getenv: c.getenv,
		newFlagSet: func(fs *flag.FlagSet) { sets = append(sets, fs) }}
	var walk func(*command)
	walk = func(cmd *command) {
		if cmd.run != nil {
			_ = cmd.run(ctx, probe, []string{"-h"})
		}
		for _, s := range cmd.subs {
			walk(s)
		}
	}
	walk(cmd)
	for _, fs := range sets {
		fs.VisitAll(func(f *flag.Flag) {
			if b, ok := f.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
				names[f.Name] = true
			}
		})
	}
	return names
}

func subNames(cmd *command, sep string) string {
	var names []string
	for _, s := range cmd.subs {
		names = append(names, s.name)
	}
	return strings.Join(names, sep)
}

// newFlags returns the flag set of the command at path ("dev",
// "skill validate"). Parse it with parseFlags.
func newFlags(c *cli, path string) *flag.FlagSet {
	fs := flag.NewFlagSet("jokebox "+path, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // parseFlags reports errors and prints help
	cmd, _ := find(&command{subs: commands}, strings.Fields(path))
	if cmd == nil {
		cmd = &command{name: path}
	}
	fs.Usage = func() { printUsage(c.stdout, path, cmd, fs) }
	if c.newFlagSet != nil {
		c.newFlagSet(fs)
	}
	return fs
}

// parseFlags parses args with fs, accepting flags before, between and after
// the positional arguments (which fs.Args then returns); "--" ends the
// flags. After -h or --help it prints the command's usage to stdout and
// returns flag.ErrHelp, which main treats as success.
func parseFlags(fs *flag.FlagSet, args []string) error {
	help := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = help }()
	var pos []string
	for {
		err := fs.Parse(args)
		if err == flag.ErrHelp {
			help()
			return err
		}
		if err != nil {
			return fmt.Errorf("%s: %w (see '%s -h')", strings.TrimPrefix(fs.Name(), "jokebox "), err, fs.Name())
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
	return fs.Parse(append([]string{"--"}, pos...))
}

// printUsage prints the help of the command at path: its usage line,
// summary, subcommands, flags with each default once, and an example.
func printUsage(w io.Writer, path string, cmd *command, fs *flag.FlagSet) {
	line := "jokebox " + path
	switch {
	case path == "":
		line += "COMMAND [flags]"
	case len(cmd.subs) > 0 && cmd.run != nil:
		line += " [" + subNames(cmd, "|") + "]"
	case len(cmd.subs) > 0:
		line += " " + subNames(cmd, "|") + " [flags]"
	}
	if cmd.args != "" {
		line += " " + cmd.args
	}
	fmt.Fprintf(w, "Usage: %s\n", line)
	if cmd.summary != "" {
		fmt.Fprintf(w, "\n%s%s.\n", strings.ToUpper(cmd.summary[:1]), cmd.summary[1:])
	}
	if len(cmd.subs) > 0 {
		if path == "" {
			fmt.Fprintln(w, "\nCommands:")
		} else {
			fmt.Fprintln(w, "\nSubcommands:")
		}
		for _, s := range cmd.subs {
			fmt.Fprintf(w, "  %-13s %s\n", s.name, s.summary)
		}
	}
	if fs != nil {
		first := true
		fs.VisitAll(func(f *flag.Flag) {
			if first {
				fmt.Fprintln(w, "\nFlags:")
				first = false
			}
			kind, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(w, "  --%s", f.Name)
			if kind != "" {
				fmt.Fprintf(w, " %s", kind)
			}
			fmt.Fprintf(w, "\n      %s", usage)
			if !strings.Contains(usage, "(default") && !isZero(f.DefValue) {
				if kind == "string" {
					fmt.Fprintf(w, " (default %q)", f.DefValue)
				} else {
					fmt.Fprintf(w, " (default %s)", f.DefValue)
				}
			}
			fmt.Fprintln(w)
		})
	}
	if len(cmd.subs) > 0 {
		if path == "" {
			fmt.Fprintln(w, "\nRun 'jokebox COMMAND -h' for a command's flags.")
		} else {
			fmt.Fprintf(w, "\nRun 'jokebox %s SUBCOMMAND -h' for a subcommand's flags.\n", path)
		}
	}
	if cmd.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", cmd.example)
	}
}

func isZero(v string) bool {
	return v == "" || v == "false" || v == "0" || v == "0s"
}

// printJSON prints v as indented JSON with &, < and > as themselves, also
// inside a json.RawMessage that another encoder escaped, so a URL copied
// from the terminal works as it is.
func printJSON(w io.Writer, v any) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err
	}
	_, err := w.Write(unescapeHTML(buf.Bytes()))
	return err
}

// unescapeHTML replaces the escapes \u0026, \u003c and \u003e in valid
// JSON by the characters they stand for; other escapes are kept.
func unescapeHTML(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 == len(b) {
			out = append(out, b[i])
			continue
		}
		if i+5 < len(b) && b[i+1] == 'u' {
			switch strings.ToLower(string(b[i+2 : i+6])) {
			case "0026":
				out, i = append(out, '&'), i+5
				continue
			case "003c":
				out, i = append(out, '<'), i+5
				continue
			case "003e":
				out, i = append(out, '>'), i+5
				continue
			}
		}
		out, i = append(out, b[i], b[i+1]), i+1 // any other escape, \\ included
	}
	return out
}
