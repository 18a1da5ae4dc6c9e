package testkit

import (
	"fmt"
	"path/filepath"
	"testing"

	"github.com/cooper-kernel/cooper"
	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/kernel"
	"github.com/cooper-kernel/cooper/store"
	"github.com/cooper-kernel/cooper/vat"
)

// Call queues method to vatName's root, runs the kernel dry and returns
// whether the result was rejected, and its value; the result is released.
func Call(t testing.TB, k *kernel.Kernel, vatName, method string, args ...capdata.Value) (bool, capdata.Value) {
	t.Helper()
	kp, err := k.QueueToVatRoot(vatName, method, args)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.Run(kernel.UntilEmpty()); err != nil {
		t.Fatal(err)
	}
	rejected, v, err := k.KPResolution(kp)
	if err != nil {
		t.Fatalf("%s.%s: %v", vatName, method, err)
	}
	if err := k.ReleaseKP(kp); err != nil {
		t.Fatal(err)
	}
	return rejected, v
}

// CallNumber is Call for a method that must answer a number.
func CallNumber(t testing.TB, k *kernel.Kernel, vatName, method string, args ...capdata.Value) float64 {
	t.Helper()
	rejected, v := Call(t, k, vatName, method, args...)
	if rejected {
		t.Fatalf("%s.%s rejected: %s", vatName, method, capdata.Format(v))
	}
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("%s.%s = %s, not a number", vatName, method, capdata.Format(v))
	}
	return n
}

// CallString is Call for a method that must answer a string.
func CallString(t testing.TB, k *kernel.Kernel, vatName, method string, args ...capdata.Value) string {
	t.Helper()
	rejected, v := Call(t, k, vatName, method, args...)
	if rejected {
		t.Fatalf("%s.%s rejected: %s", vatName, method, capdata.Format(v))
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("%s.%s = %s, not a string", vatName, method, capdata.Format(v))
	}
	return s
}

// VerifyAll replays every live vat of the kernel in dir (or those of
// vats) in scratch workers and fails t unless each replays OK.
func VerifyAll(t testing.TB, dir string, opts cooper.Options, vats ...vat.ID) {
	t.Helper()
	ok, err := cooper.Verify(dir, opts, vats, func(r kernel.VerifyResult) {
		if r.Err != nil {
			t.Errorf("replay %s: %v", r.Vat, r.Err)
		}
	})
	if err != nil || !ok {
		t.Fatalf("replay of %s: ok %v, %v", dir, ok, err)
	}
}

// CorruptKV overwrites one kv value of the kernel in dir behind its back
// (valid page checksums: the damage is in the data, not the file).
func CorruptKV(t testing.TB, dir, key, value string) {
	t.Helper()
	rawExec(t, dir, 1, "UPDATE kvStore SET value = ? WHERE key = ?", value, key)
}

// CorruptTranscript replaces old by new in the transcript entry pos of
// vatID of the kernel in dir.
func CorruptTranscript(t testing.TB, dir, vatID string, pos int, old, new string) {
	t.Helper()
	rawExec(t, dir, 1, "UPDATE transcriptItems SET item = CAST(replace(CAST(item AS TEXT), ?, ?) AS BLOB) WHERE vatID = ? AND position = ?", old, new, vatID, pos)
}

// DeleteBundle removes a bundle from the bundle store of the kernel in dir.
func DeleteBundle(t testing.TB, dir, bundleID string) {
	t.Helper()
	rawExec(t, dir, 1, "DELETE FROM bundles WHERE bundleID = ?", bundleID)
}

// ExecSQL runs one statement (string and int arguments) on the kernel
// database in dir behind the kernel's back; it must change want rows.
func ExecSQL(t testing.TB, dir string, want int64, sql string, args ...any) {
	t.Helper()
	rawExec(t, dir, want, sql, args...)
}

// rawExec runs one statement on the kernel database in dir, which must
// change want rows.
func rawExec(t testing.TB, dir string, want int64, sql string, args ...any) {
	t.Helper()
	db, err := store.OpenRaw(filepath.Join(dir, kernel.DBName))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	st, _, err := db.Prepare(sql)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for i, a := range args {
		switch a := a.(type) {
		case string:
			err = st.BindText(i+1, a)
		case int:
			err = st.BindInt64(i+1, int64(a))
		default:
			err = fmt.Errorf("argument %d: %T", i+1, a)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Exec(); err != nil {
		t.Fatal(err)
	}
	if n := db.Changes(); n != want {
		t.Fatalf("%s changed %d rows, want %d", sql, n, want)
	}
}
