package bundle

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/evanw/esbuild/pkg/api"
)

// Build bundles the ES module file entry and the files it imports by
// relative path; bare imports stay external.
func Build(entry string) (*Bundle, error) {
	abs, err := filepath.Abs(entry)
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", entry, err)
	}
	dir := filepath.Dir(abs)
	return build(entry, dir, func(o *api.BuildOptions) {
		o.EntryPoints = []string{abs}
	})
}

// BuildSource bundles an in-memory ES module named name. Its relative
// imports cannot be resolved; bare imports stay external.
func BuildSource(name, source string) (*Bundle, error) {
	wd, err := filepath.Abs(".")
	if err != nil {
		return nil, fmt.Errorf("bundle %s: %w", name, err)
	}
	return build(name, wd, func(o *api.BuildOptions) {
		o.Stdin = &api.StdinOptions{
			Contents: source,
			// No ResolveDir: relative imports fail instead of reading files
			// next to wherever the process happens to run.
			Sourcefile: name,
			Loader:     api.LoaderJS,
		}
	})
}

// build runs esbuild with the options every bundle uses; set adds the input.
func build(name, wd string, set func(*api.BuildOptions)) (*Bundle, error) {
	var mu sync.Mutex
	var imports []string
	external := api.Plugin{
		Name: "cooper-external",
		Setup: func(b api.PluginBuild) {
			b.OnResolve(api.OnResolveOptions{Filter: `^[^./]`}, func(args api.OnResolveArgs) (api.OnResolveResult, error) {
				mu.Lock()
				imports = append(imports, args.Path)
				mu.Unlock()
				return api.OnResolveResult{Path: args.Path, External: true}, nil
			})
		},
	}
	// Every module file is read here, under MaxSourceSize, not by esbuild.
	load := api.Plugin{
		Name: "cooper-load",
		Setup: func(b api.PluginBuild) {
			b.OnLoad(api.OnLoadOptions{Filter: `.*`, Namespace: "file"}, func(args api.OnLoadArgs) (api.OnLoadResult, error) {
				data, err := ReadFileLimit(args.Path, MaxSourceSize, "source")
				if err != nil {
					return api.OnLoadResult{}, err
				}
				contents := string(data)
				return api.OnLoadResult{Contents: &contents, Loader: api.LoaderDefault}, nil
			})
		},
	}
	opts := api.BuildOptions{
		Bundle:        true,
		Format:        api.FormatCommonJS,
		Target:        api.ES2017,
		Supported:     map[string]bool{"bigint": true}, // goja has BigInt; esbuild cannot lower it
		Platform:      api.PlatformNeutral,
		Write:         false,
		AbsWorkingDir: wd,
		LegalComments: api.LegalCommentsNone,
		Charset:       api.CharsetUTF8,
		Sourcemap:     api.SourceMapNone,
		LogLevel:      api.LogLevelSilent,
		Outfile:       "bundle.js",
		Plugins:       []api.Plugin{external, load},
	}
	set(&opts)
	res := api.Build(opts)
	if len(res.Errors) > 0 {
		return nil, fmt.Errorf("bundle %s: %s", name, formatMessages(res.Errors))
	}
	if len(res.OutputFiles) != 1 {
		return nil, fmt.Errorf("bundle %s: esbuild wrote %d files, want 1", name, len(res.OutputFiles))
	}
	b := &Bundle{
		ModuleFormat: ModuleFormat,
		Source:       string(res.OutputFiles[0].Contents),
		Imports:      sortedUnique(imports),
	}
	if len(b.Imports) == 0 {
		b.Imports = nil
	}
	return b, nil
}

// formatMessages renders esbuild messages as "file:line:col: text" joined by "; ".
func formatMessages(msgs []api.Message) string {
	parts := make([]string, 0, len(msgs))
	for _, m := range msgs {
		if l := m.Location; l != nil {
			parts = append(parts, fmt.Sprintf("%s:%d:%d: %s", l.File, l.Line, l.Column+1, m.Text))
		} else {
			parts = append(parts, m.Text)
		}
	}
	return strings.Join(parts, "; ")
}
