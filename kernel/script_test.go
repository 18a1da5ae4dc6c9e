package kernel_test

import (
	"testing"

	"github.com/cooper-kernel/cooper/internal/testkit"
)

// TestScripts runs the kernel's datadriven scenarios (testdata/*.txt), each
// straight through and again restarting after every block.
func TestScripts(t *testing.T) {
	testkit.RunScripts(t, "testdata/*.txt", testkit.GoVats())
}

// TestSwingSetParity runs scenario vats on Cooper and compares what they
// log and answer with what SwingSet 0.33 did with the same vats and calls.
func TestSwingSetParity(t *testing.T) {
	for _, dir := range []string{"patterns", "promises", "terminate", "vatadmin"} {
		t.Run(dir, func(t *testing.T) {
			testkit.CheckSwingSetParity(t, "testdata/swingset/"+dir)
		})
	}
}
