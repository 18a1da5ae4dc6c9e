package capdata

import (
	"errors"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
)

var counter = Slot{Ref: "ko1", Kind: Remotable, Iface: "Alleged: counter"}

// roundTrips are values with their exact Endo smallcaps bodies (checked
// against @endo/marshal 1.10 with errorTagging off).
var roundTrips = []struct {
	name  string
	v     Value
	body  string
	slots []string
}{
	{"number", 1.0, `#1`, nil},
	{"fraction", -1.5, `#-1.5`, nil},
	{"big number", 1e21, `#1e+21`, nil},
	{"null", nil, `#null`, nil},
	{"true", true, `#true`, nil},
	{"false", false, `#false`, nil},
	{"string", "hello", `#"hello"`, nil},
	{"empty string", "", `#""`, nil},
	{"special string", "#x", `#"!#x"`, nil},
	{"bang", "!", `#"!!"`, nil},
	{"dash string", "-x", `#"!-x"`, nil},
	{"dot string", ".x", `#".x"`, nil},
	{"at string", "@x", `#"@x"`, nil},
	{"escapes", "a\"b\\c\n\t\x01\u2028é😀", `#"a\"b\\c\n\t\u0001` + "\u2028é😀" + `"`, nil},
	{"lone surrogate", "\xed\xa0\x80", `#"\ud800"`, nil},
	{"undefined", Undefined{}, `#"#undefined"`, nil},
	{"NaN", math.NaN(), `#"#NaN"`, nil},
	{"Infinity", math.Inf(1), `#"#Infinity"`, nil},
	{"-Infinity", math.Inf(-1), `#"#-Infinity"`, nil},
	{"bigint", big.NewInt(10), `#"+10"`, nil},
	{"zero bigint", big.NewInt(0), `#"+0"`, nil},
	{"negative bigint", big.NewInt(-5), `#"-5"`, nil},
	{"symbol", Symbol{"@@asyncIterator"}, `#"%@@asyncIterator"`, nil},
	{"registered symbol", Symbol{"foo"}, `#"%foo"`, nil},
	{"record", NewRecord("b", 1.0, "a", 2.0), `#{"a":2,"b":1}`, nil},
	{"special keys", NewRecord("#q", 3.0, "a", 2.0, "!", 1.0), `#{"!!":1,"!#q":3,"a":2}`, nil},
	{"empty record", &Record{}, `#{}`, nil},
	{"index keys first", NewRecord("b", 1.0, "10", 2.0, "2", 3.0, "", 4.0, "4294967295", 5.0, "4294967294", 6.0, "01", 7.0, "-1", 8.0),
		`#{"2":3,"10":2,"4294967294":6,"":4,"!-1":8,"01":7,"4294967295":5,"b":1}`, nil},
	{"array", []Value{1.0, "x", []Value{}}, `#[1,"x",[]]`, nil},
	{"slot twice", []Value{counter, counter}, `#["$0.Alleged: counter","$0"]`, []string{"ko1"}},
	{"slot no iface", Slot{Ref: "o-4"}, `#"$0"`, []string{"o-4"}},
	{"promise", Slot{Ref: "kp3", Kind: Promise}, `#"&0"`, []string{"kp3"}},
	{"two slots", []Value{Slot{Ref: "kp3", Kind: Promise}, counter, Slot{Ref: "kp3", Kind: Promise}}, `#["&0","$1.Alleged: counter","&0"]`, []string{"kp3", "ko1"}},
	{"tagged", &Tagged{Tag: "copySet", Payload: []Value{1.0}}, `#{"#tag":"copySet","payload":[1]}`, nil},
	{"special tag", &Tagged{Tag: "#t", Payload: Undefined{}}, `#{"#tag":"!#t","payload":"#undefined"}`, nil},
	{"error", &Error{Name: "TypeError", Message: "boom"}, `#{"#error":"boom","name":"TypeError"}`, nil},
	{"error id", &Error{Name: "Error", Message: "#x", ErrorID: "error:anon-marshal#10001"}, `#{"#error":"!#x","errorId":"error:anon-marshal#10001","name":"Error"}`, nil},
	{"methargs", []Value{"increment", []Value{5.0}}, `#["increment",[5]]`, nil},
	{"nested", NewRecord("x", []Value{NewRecord("y", nil)}), `#{"x":[{"y":null}]}`, nil},
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range roundTrips {
		t.Run(tc.name, func(t *testing.T) {
			cd, err := Encode(tc.v)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			slots := tc.slots
			if slots == nil {
				slots = []string{}
			}
			if cd.Body != tc.body || !slices.Equal(cd.Slots, slots) {
				t.Fatalf("Encode = %s %q, want %s %q", cd.Body, cd.Slots, tc.body, slots)
			}
			v, err := Decode(cd)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if !Equal(v, tc.v) {
				t.Fatalf("Decode = %s, want %s", Format(v), Format(tc.v))
			}
		})
	}
}

func TestEncodeConveniences(t *testing.T) {
	tests := []struct {
		v    Value
		body string
	}{
		{-0.0 * 1, `#0`},
		{math.Copysign(0, -1), `#0`},
		{int(3), `#3`},
		{int8(-3), `#-3`},
		{uint64(1 << 53), `#9007199254740992`},
		{int64(-(1 << 53)), `#-9007199254740992`},
		{float32(1.5), `#1.5`},
		{map[string]any{"b": 1, "a": "x"}, `#{"a":"x","b":1}`},
		{[]any{uint8(1)}, `#[1]`},
	}
	for _, tc := range tests {
		cd, err := Encode(tc.v)
		if err != nil || cd.Body != tc.body {
			t.Errorf("Encode(%#v) = %s, %v; want %s", tc.v, cd.Body, err, tc.body)
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	deep := Value(1.0)
	for range 1001 {
		deep = []Value{deep}
	}
	tests := []struct {
		name string
		v    Value
		want string
	}{
		{"unsafe int", int64(1<<53 + 1), "cannot be represented"},
		{"unsafe uint", uint64(1 << 60), "cannot be represented"},
		{"chan", make(chan int), "cannot pass a reference without a slot table"},
		{"nested chan", NewRecord("a b", []Value{1.0, make(chan int)}), `at ["a b"][1]: cannot pass a reference without a slot table`},
		{"duplicate key", &Record{Keys: []string{"a", "a"}, Values: []Value{1.0, 2.0}}, "duplicate record key"},
		{"mismatched record", &Record{Keys: []string{"a"}}, "1 keys but 0 values"},
		{"invalid UTF-8", "\xff", "not valid UTF-8"},
		{"surrogate pair", "\xed\xa0\xbd\xed\xb8\x80", "surrogate pair"},
		{"bad symbol", Symbol{"@@nope"}, "reserved for a well-known symbol"},
		{"slot kinds", []Value{Slot{Ref: "x"}, Slot{Ref: "x", Kind: Promise}}, "both remotable and promise"},
		{"too deep", deep, "nesting deeper than 1000"},
		{"nil record", (*Record)(nil), "nil *Record"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Encode(tc.v)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Encode error = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestToSlot(t *testing.T) {
	type obj struct{ name string }
	a, b := &obj{"a"}, &obj{"b"}
	m := Marshaller{ToSlot: func(v any) (Slot, error) {
		o, ok := v.(*obj)
		if !ok {
			return Slot{}, errors.New("not an obj")
		}
		return Slot{Ref: "o+" + o.name, Iface: "Alleged: " + o.name}, nil
	}}
	cd, err := m.Encode([]Value{a, b, a})
	if err != nil {
		t.Fatal(err)
	}
	if want := `#["$0.Alleged: a","$1.Alleged: b","$0"]`; cd.Body != want || !slices.Equal(cd.Slots, []string{"o+a", "o+b"}) {
		t.Fatalf("Encode = %s %q, want %s", cd.Body, cd.Slots, want)
	}
	_, err = m.Encode([]Value{1.0, make(chan int)})
	if err == nil || !strings.Contains(err.Error(), "not an obj") {
		t.Fatalf("ToSlot error not reported: %v", err)
	}
	back := Marshaller{FromSlot: func(s Slot) (any, error) {
		if s.Ref == "o+a" {
			return a, nil
		}
		return b, nil
	}}
	v, err := back.Decode(cd)
	if err != nil {
		t.Fatal(err)
	}
	arr := v.([]Value)
	if arr[0] != a || arr[1] != b || arr[2] != a {
		t.Fatalf("Decode = %v", arr)
	}
}

func TestDecodeSlots(t *testing.T) {
	calls := 0
	m := Marshaller{FromSlot: func(s Slot) (any, error) {
		calls++
		if s.Ref == "bad" {
			return nil, errors.New("refused")
		}
		return s, nil
	}}
	v, err := m.Decode(CapData{Body: `#["$0.Alleged: x","$0","&1"]`, Slots: []string{"ko1", "kp2"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []Value{Slot{"ko1", Remotable, "Alleged: x"}, Slot{"ko1", Remotable, "Alleged: x"}, Slot{"kp2", Promise, ""}}
	if !Equal(v, want) || calls != 2 {
		t.Fatalf("Decode = %s (%d calls), want %s", Format(v), calls, Format(want))
	}
	_, err = m.Decode(CapData{Body: `#[1,"$0"]`, Slots: []string{"bad"}})
	if !errors.Is(err, ErrMalformed) || err.Error() != "malformed capdata: at [1]: slot 0 (bad): refused" {
		t.Fatalf("FromSlot error = %v", err)
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		body  string
		slots int
		want  string
	}{
		{"", 0, "empty body"},
		{"1", 0, "not smallcaps"},
		{`{"a":1}`, 0, "not smallcaps"},
		{"#", 0, "unexpected end of input"},
		{"#{", 0, "expected object key"},
		{"#[1,]", 0, "unexpected ']'"},
		{"#[1 2]", 0, "expected ',' or ']'"},
		{"#01", 0, "leading zero"},
		{"#1.", 0, "after '.'"},
		{"#1e400", 0, "out of range"},
		{"#-", 0, "expected digit"},
		{"#NaN", 0, "unexpected 'N'"},
		{"#1 1", 0, "after JSON value"},
		{"#\"a\nb\"", 0, "control character"},
		{"#\"\xff\"", 0, "invalid UTF-8"},
		{`#"\x"`, 0, `invalid escape \x`},
		{`#"\u12"`, 0, `invalid \u escape`},
		{`#"#foo"`, 0, `unknown constant "#foo"`},
		{`#"$5"`, 1, "slot index 5 out of range (1 slots)"},
		{`#"$"`, 1, `invalid slot reference "$"`},
		{`#"$01"`, 2, `invalid slot reference "$01"`},
		{`#"$x.y"`, 2, `invalid slot reference`},
		{`#"&0"`, 0, "slot index 0 out of range (0 slots)"},
		{`#"$99999999999999999999"`, 1, "slot index 99999999999999999999 out of range (1 slots)"},
		{`#["$0","&0"]`, 1, "at [1]: slot 0 used as both remotable and promise"},
		{`#{"a":1,"a":2}`, 0, `duplicate object key "a"`},
		{`#{"a":1,"!a":2}`, 0, `duplicate record key "a"`},
		{`#"+01"`, 0, `invalid bigint "+01"`},
		{`#"-0"`, 0, `invalid bigint "-0"`},
		{`#"+"`, 0, `invalid bigint "+"`},
		{`#"-1x"`, 0, `invalid bigint`},
		{`#"+ 1"`, 0, `invalid bigint`},
		{`#"(x"`, 0, `reserved`},
		{`#"%@@nope"`, 0, `well-known`},
		{`#{"#foo":1}`, 0, `must decode to a string`},
		{`#{"$0":1}`, 1, `must decode to a string`},
		{`#{"#tag":"t","payload":1,"x":2}`, 0, `unexpected property "x"`},
		{`#{"#tag":1,"payload":1}`, 0, `must be a string`},
		{`#{"#tag":"t"}`, 0, `tagged record has no payload`},
		{`#{"#tag":"+1","payload":1}`, 0, `must decode to a string`},
		{`#{"#tag":"t","payload":"#bad"}`, 0, `at .payload: unknown constant`},
		{`#{"#error":"m"}`, 0, `error has no name`},
		{`#{"#error":1,"name":"Error"}`, 0, `error #error must be a string`},
		{`#{"#error":"m","name":"+1"}`, 0, `error name must be a string`},
		{`#{"#error":"m","name":"E","message":"x"}`, 0, `unexpected property "message"`},
		{`#{"#error":"m","name":"E","errors":1}`, 0, `errors must be an array`},
		{`#{"#error":"m","name":"E","extra":"#x"}`, 0, `at .extra: unknown constant`},
		{`#{"a":{"b c":["#x"]}}`, 0, `at .a["b c"][0]: unknown constant`},
		{"#" + strings.Repeat("[", 100000), 0, "nesting deeper than 1000"},
		{"#" + strings.Repeat(`{"a":`, 1001) + "1" + strings.Repeat("}", 1001), 0, "nesting deeper than 1000"},
	}
	for _, tc := range tests {
		t.Run(tc.body[:min(len(tc.body), 40)], func(t *testing.T) {
			slots := make([]string, tc.slots)
			for i := range slots {
				slots[i] = "s" + string(rune('0'+i))
			}
			v, err := Decode(CapData{Body: tc.body, Slots: slots})
			if err == nil {
				t.Fatalf("Decode = %s, want error", Format(v))
			}
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %q does not contain %q", err, tc.want)
			}
		})
	}
}

func TestDecodeLenient(t *testing.T) {
	// Inputs Endo accepts that are not in canonical form.
	tests := []struct {
		body string
		want Value
	}{
		{"# [ 1 , 2 ]\n", []Value{1.0, 2.0}},
		{`#"!a"`, "a"},
		{`#{"b":1,"a":2}`, NewRecord("a", 2.0, "b", 1.0)},
		{`#{"payload":1,"#tag":"t"}`, &Tagged{Tag: "t", Payload: 1.0}},
		{`#{"name":"E","#error":"m","errorId":"id","extra":1}`, &Error{Name: "E", Message: "m", ErrorID: "id"}},
		{`#{"#error":"m","name":"E","cause":"#undefined","errors":null}`, &Error{Name: "E", Message: "m"}},
		{`#{"#error":"m","name":"E","cause":{"#error":"c","name":"RangeError"},"errors":[1]}`,
			&Error{Name: "E", Message: "m", Cause: &Error{Name: "RangeError", Message: "c"}, Errors: []Value{1.0}}},
		{`#"\ud83d\ude00\/"`, "😀/"},
		{`#"\uD83D"`, "\xed\xa0\xbd"},
		{`#"\ude00\ud83d"`, "\xed\xb8\x80\xed\xa0\xbd"},
		{`#-0`, 0.0},
		{`#1E2`, 100.0},
		{`#1e-400`, 0.0},
		{`#"%@@@@x"`, Symbol{"@@@@x"}},
		{`#"+12345678901234567890"`, func() *big.Int { z, _ := new(big.Int).SetString("12345678901234567890", 10); return z }()},
	}
	for _, tc := range tests {
		v, err := Decode(CapData{Body: tc.body})
		if err != nil || !Equal(v, tc.want) {
			t.Errorf("Decode(%s) = %s, %v; want %s", tc.body, Format(v), err, Format(tc.want))
		}
	}
}

func TestMethargs(t *testing.T) {
	cd, err := Marshaller{}.EncodeMethargs("increment", []Value{5.0})
	if err != nil || cd.Body != `#["increment",[5]]` {
		t.Fatalf("EncodeMethargs = %s, %v", cd.Body, err)
	}
	if cd, _ := (Marshaller{}).EncodeMethargs("ping", nil); cd.Body != `#["ping",[]]` {
		t.Fatalf("EncodeMethargs(nil args) = %s", cd.Body)
	}
	method, args, err := Marshaller{}.DecodeMethargs(cd)
	if err != nil || method != "increment" || !Equal(args, []Value{5.0}) {
		t.Fatalf("DecodeMethargs = %q %s %v", method, Format(args), err)
	}
	method, args, err = Marshaller{}.DecodeMethargs(CapData{Body: `#["%@@asyncIterator",[]]`})
	if err != nil || method != "@@asyncIterator" || len(args) != 0 {
		t.Fatalf("DecodeMethargs(symbol) = %q %s %v", method, Format(args), err)
	}
	for _, body := range []string{`#["m"]`, `#[1,[]]`, `#["m",1]`, `#{"m":[]}`, `#["m",[],1]`, `#["#x",[]]`} {
		if _, _, err := (Marshaller{}).DecodeMethargs(CapData{Body: body}); !errors.Is(err, ErrMalformed) {
			t.Errorf("DecodeMethargs(%s) error = %v, want ErrMalformed", body, err)
		}
	}
}

func TestJSNumber(t *testing.T) {
	tests := []struct {
		f    float64
		want string
	}{
		{0.1, "0.1"},
		{1e21, "1e+21"},
		{1e20, "100000000000000000000"},
		{123456789012345680000, "123456789012345680000"},
		{1e-7, "1e-7"},
		{1e-6, "0.000001"},
		{1.5e-7, "1.5e-7"},
		{123e-20, "1.23e-18"},
		{5e-324, "5e-324"},
		{1.7976931348623157e308, "1.7976931348623157e+308"},
		{100, "100"},
		{1234567.125, "1234567.125"},
		{-1.5, "-1.5"},
		{0.000123, "0.000123"},
		{2.5e25, "2.5e+25"},
		{1 / 3.0, "0.3333333333333333"},
		{9007199254740993, "9007199254740992"},
		{math.Copysign(0, -1), "0"},
		{math.NaN(), "NaN"},
		{math.Inf(-1), "-Infinity"},
	}
	for _, tc := range tests {
		if got := string(appendJSNumber(nil, tc.f)); got != tc.want {
			t.Errorf("appendJSNumber(%v) = %s, want %s", tc.f, got, tc.want)
		}
	}
}

func TestUTF16Order(t *testing.T) {
	// In UTF-16 the emoji (a surrogate pair, 0xD83D...) sorts before U+FFFF;
	// in UTF-8 byte order it would sort after.
	cd := MustEncode(NewRecord("\uFFFF", 1.0, "\U0001F600", 2.0, "z", 3.0, "\u00e9", 4.0))
	if want := "#{\"z\":3,\"\u00e9\":4,\"\U0001F600\":2,\"\uFFFF\":1}"; cd.Body != want {
		t.Fatalf("Encode = %s, want %s", cd.Body, want)
	}
	pairs := []struct{ a, b string }{
		{"", "a"}, {"a", "b"}, {"a", "ab"}, {"\U0001F600", "\uE000"}, {"\U0001F600", "\uFFFF"},
		{"\xed\xa0\xbd", "\xed\xb8\x80"}, {"\U0001F600", "\xed\xb8\x80"}, {"\xed\xa0\xbd", "\U0001F600"},
		{"\ud7ff", "\U00010000"}, {"x\U0001F600", "x\uFFFD"},
	}
	for _, p := range pairs {
		if compareUTF16(p.a, p.b) >= 0 || compareUTF16(p.b, p.a) <= 0 {
			t.Errorf("compareUTF16(%q, %q) is not < 0", p.a, p.b)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		v    Value
		want string
	}{
		{nil, "null"},
		{Undefined{}, "undefined"},
		{true, "true"},
		{1.0, "1"},
		{-1.5, "-1.5"},
		{math.NaN(), "NaN"},
		{math.Inf(1), "Infinity"},
		{42, "42"},
		{big.NewInt(10), "10n"},
		{"str\n", `"str\n"`},
		{[]Value{1.0, 2.0}, "[1,2]"},
		{NewRecord("a", 1.0, "b c", 2.0), `{a:1,"b c":2}`},
		{Symbol{"@@x"}, "Symbol(@@x)"},
		{&Tagged{Tag: "t", Payload: []Value{}}, `makeTagged("t", [])`},
		{&Error{Name: "TypeError", Message: "msg"}, `TypeError("msg")`},
		{counter, "[Alleged: counter]"},
		{Slot{Ref: "o+1"}, "[Remotable o+1]"},
		{Slot{Ref: "p-3", Kind: Promise}, "[Promise p-3]"},
		{make(chan int), "[object]"},
	}
	for _, tc := range tests {
		if got := Format(tc.v); got != tc.want {
			t.Errorf("Format(%#v) = %s, want %s", tc.v, got, tc.want)
		}
	}
}

func TestToJSON(t *testing.T) {
	v := []Value{nil, Undefined{}, 1.5, math.NaN(), math.Inf(-1), big.NewInt(-10), "s", Symbol{"@@iterator"},
		NewRecord("b", true, "a", false), &Tagged{Tag: "t", Payload: 1.0}, &Error{Name: "Error", Message: "m"},
		counter, Slot{Ref: "kp1", Kind: Promise}}
	want := `[null,null,1.5,"NaN","-Infinity","-10n","s","@@iterator",{"b":true,"a":false},{"tag":"t","payload":1},` +
		`{"error":{"name":"Error","message":"m"}},{"slot":"ko1","iface":"Alleged: counter"},{"slot":"kp1","promise":true}]`
	if got := string(ToJSON(v)); got != want {
		t.Fatalf("ToJSON = %s\nwant     %s", got, want)
	}
}

func TestEqual(t *testing.T) {
	same := [][2]Value{
		{math.NaN(), math.NaN()},
		{0.0, math.Copysign(0, -1)},
		{1, 1.0},
		{NewRecord("a", 1.0, "b", 2.0), NewRecord("b", 2.0, "a", 1.0)},
		{map[string]any{"a": 1}, NewRecord("a", 1.0)},
		{big.NewInt(3), big.NewInt(3)},
		{&Error{Name: "E", Errors: []Value{}}, &Error{Name: "E"}},
	}
	for _, p := range same {
		if !Equal(p[0], p[1]) {
			t.Errorf("Equal(%s, %s) = false", Format(p[0]), Format(p[1]))
		}
	}
	differ := [][2]Value{
		{nil, Undefined{}},
		{1.0, "1"},
		{big.NewInt(1), 1.0},
		{NewRecord("a", 1.0), NewRecord("a", 1.0, "b", 2.0)},
		{[]Value{1.0}, []Value{2.0}},
		{Slot{Ref: "a"}, Slot{Ref: "a", Kind: Promise}},
		{[]Value{}, &Record{}},
		{[]int{1}, []int{1}},
	}
	for _, p := range differ {
		if Equal(p[0], p[1]) {
			t.Errorf("Equal(%s, %s) = true", Format(p[0]), Format(p[1]))
		}
	}
}

func TestRecord(t *testing.T) {
	r := NewRecord("a", 1.0)
	r.Set("b", 2.0)
	r.Set("a", 3.0)
	if v, ok := r.Get("a"); !ok || v != 3.0 || r.Len() != 2 {
		t.Fatalf("record = %s", Format(r))
	}
	if _, ok := r.Get("c"); ok {
		t.Fatal("Get(c) found")
	}
	for _, args := range [][]any{{"a"}, {1, 2}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewRecord(%v) did not panic", args)
				}
			}()
			NewRecord(args...)
		}()
	}
	if (&Error{Name: "TypeError", Message: "x"}).Error() != "TypeError: x" {
		t.Fatal("Error.Error")
	}
}
