package instrument

import (
	"fmt"
	"slices"

	"github.com/tetratelabs/wabin/wasm"
)

// recursiveFunctions reports, for each defined function, whether it lies on
// a cycle of the call graph. A call_indirect may reach every function of
// the same signature that sits in an element segment (the module's
// function pointers), so the graph over-approximates the real calls.
func recursiveFunctions(m *wasm.Module, nImports uint32) ([]bool, error) {
	n := len(m.CodeSection)
	sig := func(fn uint32) string { // signature of a function in the whole index space
		var t uint32
		if fn < nImports {
			k := uint32(0)
			for _, imp := range m.ImportSection {
				if imp.Type == wasm.ExternTypeFunc {
					if k == fn {
						t = imp.DescFunc
						break
					}
					k++
				}
			}
		} else {
			t = m.FunctionSection[fn-nImports]
		}
		return sigOf(m.TypeSection[t])
	}
	// Functions reachable through the table, by signature.
	bySig := map[string][]int{}
	seen := map[uint32]bool{}
	for _, seg := range m.ElementSection {
		for _, x := range seg.Init {
			if x == nil || *x < nImports || seen[*x] {
				continue
			}
			seen[*x] = true
			s := sig(*x)
			bySig[s] = append(bySig[s], int(*x-nImports))
		}
	}
	edges := make([][]int, n)
	for i, c := range m.CodeSection {
		ins, err := decodeBody(c.Body)
		if err != nil {
			return nil, fmt.Errorf("instrument: function %d: %w", nImports+uint32(i), err)
		}
		var out []int
		indirect := map[string]bool{}
		for _, in := range ins {
			switch in.op {
			case opCall:
				if in.idx >= nImports {
					out = append(out, int(in.idx-nImports))
				}
			case opCallIndirect:
				if int(in.idx) >= len(m.TypeSection) {
					return nil, fmt.Errorf("instrument: function %d: call_indirect of unknown type %d", nImports+uint32(i), in.idx)
				}
				s := sigOf(m.TypeSection[in.idx])
				if !indirect[s] {
					indirect[s] = true
					out = append(out, bySig[s]...)
				}
			}
		}
		slices.Sort(out)
		edges[i] = slices.Compact(out)
	}
	return onCycle(edges), nil
}

func sigOf(t *wasm.FunctionType) string { return string(t.Params) + "/" + string(t.Results) }

// onCycle marks the nodes that belong to a strongly connected component
// with a cycle (Tarjan's algorithm, iterative).
func onCycle(edges [][]int) []bool {
	n := len(edges)
	index := make([]int, n)
	low := make([]int, n)
	onStack := make([]bool, n)
	for i := range index {
		index[i] = -1
	}
	var stack []int
	result := make([]bool, n)
	next := 0
	type frame struct{ v, e int }
	for root := range n {
		if index[root] >= 0 {
			continue
		}
		call := []frame{{root, 0}}
		index[root], low[root] = next, next
		next++
		stack = append(stack, root)
		onStack[root] = true
		for len(call) > 0 {
			f := &call[len(call)-1]
			if f.e < len(edges[f.v]) {
				w := edges[f.v][f.e]
				f.e++
				if index[w] < 0 {
					index[w], low[w] = next, next
					next++
					stack = append(stack, w)
					onStack[w] = true
					call = append(call, frame{w, 0})
				} else if onStack[w] {
					low[f.v] = min(low[f.v], index[w])
				}
				continue
			}
			v := f.v
			call = call[:len(call)-1]
			if len(call) > 0 {
				u := call[len(call)-1].v
				low[u] = min(low[u], low[v])
			}
			if low[v] != index[v] {
				continue
			}
			var comp []int
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp = append(comp, w)
				if w == v {
					break
				}
			}
			if len(comp) > 1 || slices.Contains(edges[v], v) {
				for _, w := range comp {
					result[w] = true
				}
			}
		}
	}
	return result
}
