package cooper

import (
	"testing"

	"github.com/cooper-kernel/cooper/capdata"
)

func TestParseCallArg(t *testing.T) {
	for _, tc := range []struct {
		in, want string // want: the value's smallcaps form, or "error"
	}{
		{"100", "100"},
		{"apples", `"apples"`},
		{`"quoted"`, `"quoted"`},
		{`{"a":1}`, `{"a":1}`},
		{"[1,true,null]", "[1,true,null]"},
		{"{broken", "error"},
		{` ["x"`, "error"},
		{"", `""`},
	} {
		v, err := ParseCallArg(tc.in)
		got := "error"
		if err == nil {
			got = string(capdata.ToJSON(v))
		}
		if got != tc.want {
			t.Errorf("ParseCallArg(%q) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

func TestDescribeRejection(t *testing.T) {
	if got := DescribeRejection(&capdata.Error{Name: "Error", Message: "no"}); got != "Error: no" {
		t.Errorf("error reason = %q", got)
	}
	if got := DescribeRejection("plain"); got != `"plain"` {
		t.Errorf("string reason = %q", got)
	}
}
