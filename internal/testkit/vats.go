package testkit

import (
	"errors"
	"fmt"

	"github.com/cooper-kernel/cooper/capdata"
	"github.com/cooper-kernel/cooper/worker/gonative"
)

// GoVats returns the Go vats scripts may name in their configs.
func GoVats() gonative.Registry {
	return gonative.Registry{
		"test-baggage":   baggageVat,
		"test-keeper-v1": keeperVat("v1"),
		"test-keeper-v2": keeperVat("v2"),
	}
}

// baggageVat keeps data in its baggage: put, get, delete, keys.
func baggageVat(p *gonative.Powers, _ any, b *gonative.Baggage) any {
	str := func(args []any, i int) (string, error) {
		if i >= len(args) {
			return "", fmt.Errorf("missing argument %d", i)
		}
		s, ok := args[i].(string)
		if !ok {
			return "", fmt.Errorf("argument %d must be a string", i)
		}
		return s, nil
	}
	return gonative.NewFar("baggage", gonative.Methods{
		"put": func(args []any) (any, error) {
			k, err := str(args, 0)
			if err != nil || len(args) < 2 {
				return nil, errors.New("put(key, value)")
			}
			return capdata.Undefined{}, b.Set(k, args[1])
		},
		"get": func(args []any) (any, error) {
			k, err := str(args, 0)
			if err != nil {
				return nil, err
			}
			v, ok, err := b.Get(k)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, fmt.Errorf("no key %q", k)
			}
			return v, nil
		},
		"delete": func(args []any) (any, error) {
			k, err := str(args, 0)
			if err != nil {
				return nil, err
			}
			b.Delete(k)
			return capdata.Undefined{}, nil
		},
		"keys": func([]any) (any, error) {
			keys := b.Keys()
			out := make([]capdata.Value, len(keys))
			for i, k := range keys {
				out[i] = k
			}
			return out, nil
		},
	})
}

// keeperVat is an upgradable Go vat: it keeps a count and an imported
// object in its baggage; its incarnations differ in their version.
func keeperVat(version string) gonative.Constructor {
	return func(p *gonative.Powers, _ any, b *gonative.Baggage) any {
		p.TestLog("keeper %s start", version)
		return gonative.NewFar("keeper", gonative.Methods{
			"version": func([]any) (any, error) { return version, nil },
			"keep": func(args []any) (any, error) {
				if len(args) != 1 {
					return nil, errors.New("keep(object)")
				}
				return capdata.Undefined{}, b.Set("peer", args[0])
			},
			"incr": func([]any) (any, error) {
				n := 0.0
				if v, ok, err := b.Get("count"); err != nil {
					return nil, err
				} else if ok {
					n, _ = v.(float64)
				}
				n++
				return n, b.Set("count", n)
			},
			// askPeer sends hang() to the kept object and reports that it did.
			"askPeer": func([]any) (any, error) {
				v, ok, err := b.Get("peer")
				if err != nil || !ok {
					return nil, fmt.Errorf("no peer: %v", err)
				}
				p.E(v).SendOnly("release", "from "+version)
				return "asked", nil
			},
		})
	}
}
