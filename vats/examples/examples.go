// Package examples holds small Go vats: a counter, a ping-pong pair and
// bootstraps that wire them up. They serve the demo, the tests and the
// benchmarks, and show how a Go vat is written.
package examples

import (
	"errors"
	"fmt"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// Counter is a vat whose root counts: increment(), add(n), get(), label().
// vatParameters may carry {label}.
func Counter(p *gonative.Powers, params any, _ *gonative.Baggage) any {
	count := 0.0
	label := "counter"
	if r, ok := params.(*capdata.Record); ok {
		if l, ok := r.Get("label"); ok {
			if s, ok := l.(string); ok {
				label = s
			}
		}
	}
	return gonative.NewFar("counter", gonative.Methods{
		"increment": func([]any) (any, error) {
			count++
			return count, nil
		},
		"add": func(args []any) (any, error) {
			n, err := number(args, 0)
			if err != nil {
				return nil, err
			}
			count += n
			return count, nil
		},
		"get":   func([]any) (any, error) { return count, nil },
		"label": func([]any) (any, error) { return label, nil },
	})
}

func number(args []any, i int) (float64, error) {
	if i >= len(args) {
		return 0, fmt.Errorf("missing argument %d", i)
	}
	n, ok := args[i].(float64)
	if !ok {
		return 0, fmt.Errorf("argument %d: %s is not a number", i, capdata.Format(args[i]))
	}
	return n, nil
}

// Bob answers pings with the number of pings so far.
func Bob(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
	count := 0.0
	return gonative.NewFar("bob", gonative.Methods{
		"ping": func([]any) (any, error) {
			count++
			return count, nil
		},
		"getCount": func([]any) (any, error) { return count, nil },
	})
}

// Alice pings her peer n times, one at a time (sequential) or all at once
// (concurrent), and answers the last reply.
func Alice(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
	var peer any
	return gonative.NewFar("alice", gonative.Methods{
		"setPeer": func(args []any) (any, error) {
			if len(args) != 1 {
				return nil, errors.New("setPeer(peer)")
			}
			peer = args[0]
			return capdata.Undefined{}, nil
		},
		"sequential": func(args []any) (any, error) {
			n, err := number(args, 0)
			if err != nil {
				return nil, err
			}
			var loop func(i float64, last any) *gonative.Promise
			loop = func(i float64, last any) *gonative.Promise {
				if i >= n {
					return p.Resolved(last)
				}
				return p.E(peer).Send("ping", i).Then(func(v any) (any, error) {
					return loop(i+1, v), nil
				}, nil)
			}
			return loop(0, capdata.Undefined{}), nil
		},
		"concurrent": func(args []any) (any, error) {
			n, err := number(args, 0)
			if err != nil {
				return nil, err
			}
			ps := make([]*gonative.Promise, int(n))
			for i := range ps {
				ps[i] = p.E(peer).Send("ping", float64(i))
			}
			return p.All(ps).Then(func(v any) (any, error) {
				rs := v.([]any)
				if len(rs) == 0 {
					return capdata.Undefined{}, nil
				}
				return rs[len(rs)-1], nil
			}, nil), nil
		},
	})
}

// BootstrapPingPong introduces alice to bob.
func BootstrapPingPong(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
	return gonative.NewFar("root", gonative.Methods{
		"bootstrap": func(args []any) (any, error) {
			vats, err := record(args, 0)
			if err != nil {
				return nil, err
			}
			alice, _ := vats.Get("alice")
			bob, _ := vats.Get("bob")
			return p.E(alice).Send("setPeer", bob).Then(func(any) (any, error) { return "ready", nil }, nil), nil
		},
	})
}

func record(args []any, i int) (*capdata.Record, error) {
	if i >= len(args) {
		return nil, fmt.Errorf("missing argument %d", i)
	}
	r, ok := args[i].(*capdata.Record)
	if !ok {
		return nil, fmt.Errorf("argument %d: %s is not a record", i, capdata.Format(args[i]))
	}
	return r, nil
}

// BootstrapDynamic gets the vat-admin service at bootstrap and creates
// dynamic counter vats on request: makeCounter(name) creates one from the
// Go vat "go-counter" and remembers it; bump(name) and add(name, n) drive it.
func BootstrapDynamic(p *gonative.Powers, _ any, _ *gonative.Baggage) any {
	var svc any
	counters := map[string]any{} // lookups only
	admins := map[string]any{}
	return gonative.NewFar("root", gonative.Methods{
		"bootstrap": func(args []any) (any, error) {
			vats, err := record(args, 0)
			if err != nil {
				return nil, err
			}
			devices, err := record(args, 1)
			if err != nil {
				return nil, err
			}
			va, _ := vats.Get("vatAdmin")
			dev, _ := devices.Get("vatAdmin")
			return p.E(va).Send("createVatAdminService", dev).Then(func(s any) (any, error) {
				svc = s
				return "ready", nil
			}, nil), nil
		},
		"makeCounter": func(args []any) (any, error) {
			if len(args) != 1 {
				return nil, errors.New("makeCounter(name)")
			}
			name, _ := args[0].(string)
			opts := capdata.NewRecord("name", name, "vatParameters", capdata.NewRecord("label", name))
			return p.E(svc).Send("createVatByName", "go-counter", opts).Then(func(v any) (any, error) {
				r := v.(*capdata.Record)
				root, _ := r.Get("root")
				admin, _ := r.Get("adminNode")
				counters[name], admins[name] = root, admin
				return p.E(root).Send("increment"), nil
			}, nil), nil
		},
		"bump": func(args []any) (any, error) {
			name, _ := args[0].(string)
			c, ok := counters[name]
			if !ok {
				return nil, fmt.Errorf("no counter %q", name)
			}
			return p.E(c).Send("increment"), nil
		},
		"add": func(args []any) (any, error) {
			name, _ := args[0].(string)
			c, ok := counters[name]
			if !ok {
				return nil, fmt.Errorf("no counter %q", name)
			}
			return p.E(c).Send("add", args[1]), nil
		},
		"kill": func(args []any) (any, error) {
			name, _ := args[0].(string)
			a, ok := admins[name]
			if !ok {
				return nil, fmt.Errorf("no counter %q", name)
			}
			p.E(a).SendOnly("terminateWithFailure", &capdata.Error{Name: "Error", Message: "killed by bootstrap"})
			return p.E(a).Send("done"), nil
		},
	})
}
