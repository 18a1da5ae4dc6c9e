package bundle

import (
	"bytes"
	"testing"
)

// FuzzParse: Parse never panics, and what parses marshals to a canonical
// form that parses to the same bundle.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"moduleFormat":"cooper-cjs-v1","source":"exports.a = 1;"}`))
	f.Add([]byte(`{"moduleFormat":"cooper-cjs-v1","source":"x","imports":["@endo/far"]}`))
	f.Add([]byte(`{"moduleFormat":"endoZipBase64","endoZipBase64":"UEsDBA=="}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := Parse(data)
		if err != nil {
			return
		}
		canon := b.Marshal()
		b2, err := Parse(canon)
		if err != nil {
			t.Fatalf("canonical form does not parse: %v\n%s", err, canon)
		}
		if !bytes.Equal(b2.Marshal(), canon) || ID(canon) != ID(b2.Marshal()) {
			t.Fatal("canonical form is not stable")
		}
	})
}
