package cooper

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/cooper-kernel/cooper/capdata"
)

// ParseCallArg reads one argument of a call given on a command line: JSON
// when it parses as JSON (objects become records, numbers float64), else the
// string itself. Text that starts like JSON ('{', '[' or '"') but does not
// parse is an error rather than a string, to catch quoting mistakes.
// `cooper call` and `cooperd call` both parse their ARGs with it.
func ParseCallArg(s string) (capdata.Value, error) {
	if json.Valid([]byte(s)) {
		v, err := ParseJSONValue([]byte(s))
		if err != nil {
			return nil, fmt.Errorf("argument %q: %w", s, err)
		}
		return v, nil
	}
	if t := strings.TrimSpace(s); t != "" && strings.ContainsRune("{[\"", rune(t[0])) {
		return nil, fmt.Errorf("argument %q looks like JSON but does not parse", s)
	}
	return s, nil
}

// ParseCallArgs parses each argument with ParseCallArg.
func ParseCallArgs(raw []string) ([]capdata.Value, error) {
	args := make([]capdata.Value, len(raw))
	for i, a := range raw {
		v, err := ParseCallArg(a)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	return args, nil
}

// DescribeRejection renders the reason a call's result was rejected with in
// one line: "Name: message" for an error, else the value's smallcaps form.
func DescribeRejection(v capdata.Value) string {
	if e, ok := v.(*capdata.Error); ok {
		return e.Name + ": " + e.Message
	}
	return capdata.Format(v)
}
