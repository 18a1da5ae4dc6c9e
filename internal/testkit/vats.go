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
		"test-baggage": baggageVat,
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
