package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// Commands whose arguments are values (call's ARG...) parse their own
// flags, so that a negative number such as -5 is an argument and not the
// shorthand flags -5: cobra's parser would take any word starting with '-'
// for flags.

// freeArgs makes cmd parse its flags with splitFlags; n is how many
// arguments it needs at least. The arguments left reach cmd's RunE.
func freeArgs(cmd *cobra.Command, n int) {
	cmd.DisableFlagParsing = true
	cmd.Args = cobra.ArbitraryArgs
	pre, run := cmd.PreRunE, cmd.RunE
	var positional []string
	help := false
	cmd.PreRunE = func(cmd *cobra.Command, args []string) error {
		cmd.InitDefaultHelpFlag()
		pos, err := splitFlags(cmd.Flags(), args)
		if err != nil {
			return err
		}
		if help, _ = cmd.Flags().GetBool("help"); help {
			return nil
		}
		if len(pos) < n {
			return fmt.Errorf("%s needs at least %d arguments, got %d (usage: cooper %s)", cmd.Name(), n, len(pos), cmd.Use)
		}
		positional = pos
		if pre != nil {
			return pre(cmd, pos)
		}
		return nil
	}
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if help {
			return cmd.Help()
		}
		return run(cmd, positional)
	}
}

// splitFlags parses the flags among args into fs and returns the other
// arguments in order. A word that is a JSON number (-5, -0.5, -1e3) is an
// argument; "--" ends the flags.
func splitFlags(fs *pflag.FlagSet, args []string) ([]string, error) {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			pos = append(pos, args[i+1:]...)
			i = len(args)
		case !strings.HasPrefix(a, "-") || a == "-" || isJSONNumber(a):
			pos = append(pos, a)
		default:
			flags = append(flags, a)
			if name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "="); !hasValue && takesValue(fs, name, !strings.HasPrefix(a, "--")) && i+1 < len(args) {
				i++
				flags = append(flags, args[i])
			}
		}
	}
	if err := fs.Parse(flags); err != nil {
		return nil, err
	}
	return pos, nil
}

// takesValue reports whether the flag called name needs a value word.
func takesValue(fs *pflag.FlagSet, name string, short bool) bool {
	var f *pflag.Flag
	if short {
		f = fs.ShorthandLookup(name[:min(len(name), 1)])
	} else {
		f = fs.Lookup(name)
	}
	return f != nil && f.NoOptDefVal == ""
}

func isJSONNumber(s string) bool {
	var n json.Number
	return json.Unmarshal([]byte(s), &n) == nil && strings.Trim(s, "-0123456789.eE+") == ""
}
