package cooper_test

import (
	"testing"

	"github.com/cooper-kernel/cooper"
)

// FuzzParseConfig: a config file never makes the parser panic.
func FuzzParseConfig(f *testing.F) {
	f.Add([]byte(`{"bootstrap":"b","vats":{"b":{"bundleName":"go-counter","parameters":{"x":[1,"2",null]}}}}`))
	f.Add([]byte(`{"vats":{"a":{"sourceSpec":"a.js","creationOptions":{"critical":true}}},"bundles":{"c":{"sourceSpec":"c.js"}}}`))
	f.Add([]byte(`{"defaultReapInterval":1000,"vats":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := cooper.ParseConfig(data)
		if err == nil {
			cfg.Warnings()
		}
	})
}
