package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// usageLine is the first line of cmd's help, from its data: path,
// subcommands, each flag and the positional arguments.
func usageLine(cmd *command) string {
	parts := []string{strings.TrimSpace("jokebox " + cmd.path)}
	switch {
	case cmd.path == "":
		parts = append(parts, "COMMAND [flags]")
	case len(cmd.subs) > 0 && cmd.run != nil:
		parts = append(parts, "["+subNames(cmd, "|")+"]")
	case len(cmd.subs) > 0:
		parts = append(parts, subNames(cmd, "|"), "[flags]")
	}
	cmd.flags.VisitAll(func(f *flag.Flag) { parts = append(parts, flagSyntax(f)) })
	if cmd.args != "" {
		parts = append(parts, cmd.args)
	}
	return strings.Join(parts, " ")
}

// flagSyntax is how the usage line shows f: [--name VALUE], [--name] for a
// boolean flag, [--name=false] for one that is on by default.
func flagSyntax(f *flag.Flag) string {
	switch kind, _ := flag.UnquoteUsage(f); {
	case isBoolFlag(f) && f.DefValue == "true":
		return "[--" + f.Name + "=false]"
	case isBoolFlag(f):
		return "[--" + f.Name + "]"
	default:
		return "[--" + f.Name + " " + kind + "]"
	}
}

// printUsage prints the help of cmd: its usage line, summary,
// subcommands, flags with each default once, the environment variables it
// reads, and an example.
func printUsage(w io.Writer, cmd *command) {
	fmt.Fprintf(w, "Usage: %s\n", usageLine(cmd))
	if cmd.summary != "" {
		fmt.Fprintf(w, "\n%s%s.\n", strings.ToUpper(cmd.summary[:1]), cmd.summary[1:])
	}
	if len(cmd.subs) > 0 {
		if cmd.path == "" {
			fmt.Fprintln(w, "\nCommands:")
		} else {
			fmt.Fprintln(w, "\nSubcommands:")
		}
		for _, s := range cmd.subs {
			fmt.Fprintf(w, "  %-13s %s\n", s.name, s.summary)
		}
	}
	first := true
	cmd.flags.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprintln(w, "\nFlags:")
			first = false
		}
		fmt.Fprintln(w, flagHelp(f))
	})
	if len(cmd.env) > 0 {
		fmt.Fprintln(w, "\nEnvironment:")
		for _, v := range cmd.env {
			fmt.Fprintf(w, "  %-23s %s\n", v.Name, v.Meaning)
		}
	}
	if len(cmd.subs) > 0 {
		if cmd.path == "" {
			fmt.Fprintln(w, "\nRun 'jokebox COMMAND -h' for a command's flags.")
		} else {
			fmt.Fprintf(w, "\nRun 'jokebox %s SUBCOMMAND -h' for a subcommand's flags.\n", cmd.path)
		}
	}
	if cmd.example != "" {
		fmt.Fprintf(w, "\nExample:\n  %s\n", cmd.example)
	}
}

// flagHelp is f's entry under Flags: its name and value, then its usage
// and default (once: not when the usage names it).
func flagHelp(f *flag.Flag) string {
	kind, usage := flag.UnquoteUsage(f)
	s := "  --" + f.Name
	if kind != "" {
		s += " " + kind
	}
	s += "\n      " + usage
	if !strings.Contains(usage, "(default") && !isZero(f.DefValue) {
		if kind == "string" {
			s += fmt.Sprintf(" (default %q)", f.DefValue)
		} else {
			s += fmt.Sprintf(" (default %s)", f.DefValue)
		}
	}
	return s
}

func isZero(v string) bool {
	return v == "" || v == "false" || v == "0" || v == "0s"
}
