package vat

import "testing"

func TestParseRefs(t *testing.T) {
	for _, s := range []string{"ko1", "kp0", "kd12", "ko9999999999999999999"} {
		if _, err := ParseKRef(s); err != nil {
			t.Errorf("ParseKRef(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "k", "ko", "ko-1", "ko01", "kx1", "o+1", "ko1 ", "ko18446744073709551615", "Ko1"} {
		if _, err := ParseKRef(s); err == nil {
			t.Errorf("ParseKRef(%q) accepted", s)
		}
	}
	for _, s := range []string{"o+0", "o-1", "p+7", "p-12", "d-3", "o+v10/1", "o+d6/1", "o+d12/3:0", "o+v1/0:10"} {
		if _, err := ParseVRef(s); err != nil {
			t.Errorf("ParseVRef(%q): %v", s, err)
		}
	}
	for _, s := range []string{"", "o", "o+", "o*1", "x+1", "o+01", "o+1.5", "ko1", "p+-1", "o-v1/1", "p+v1/1", "o+v1", "o+v/1", "o+d1/", "o+d1/1:", "o+x1/1", "o+v01/1", "o+d1/1:0:0", "o+v1/1/2"} {
		if _, err := ParseVRef(s); err == nil {
			t.Errorf("ParseVRef(%q) accepted", s)
		}
	}
}

// FuzzRefs: parsing never panics, nor do Kind and Num on any string; a
// parsed ref is canonical (rebuilding it from its kind and number gives it
// back).
func FuzzRefs(f *testing.F) {
	for _, s := range []string{"ko1", "kp22", "kd0", "o+0", "p-5", "d-1", "", "k", "o+", "ko01", "p+18446744073709551615"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k := KRef(s)
		_, _ = k.Kind(), k.Num()
		if r, err := ParseKRef(s); err == nil {
			if back := MakeKRef(r.Kind(), r.Num()); back != r {
				t.Fatalf("ParseKRef(%q) = %q, rebuilt as %q", s, r, back)
			}
		}
		v := VRef(s)
		_, _, _ = v.Kind(), v.Num(), v.Allocated()
		if r, err := ParseVRef(s); err == nil && !r.Virtual() {
			if back := MakeVRef(r.Kind(), r.Allocated(), r.Num()); back != r {
				t.Fatalf("ParseVRef(%q) = %q, rebuilt as %q", s, r, back)
			}
		}
	})
}
