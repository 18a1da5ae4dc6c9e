package node

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"

	cfg "github.com/cometbft/cometbft/config"
	cmtflags "github.com/cometbft/cometbft/libs/cli/flags"
	cmtlog "github.com/cometbft/cometbft/libs/log"
	cmtnode "github.com/cometbft/cometbft/node"
	"github.com/cometbft/cometbft/p2p"
	"github.com/cometbft/cometbft/privval"
	"github.com/cometbft/cometbft/proxy"
	"github.com/spf13/viper"

	"github.com/cooper-kernel/cooper/chain/app"
)

// KernelDir is where a validator keeps its kernel, inside its home.
func KernelDir(home string) string { return filepath.Join(home, "data", "cooper") }

// LoadConfig reads home/config/config.toml as CometBFT does.
func LoadConfig(home string) (*cfg.Config, error) {
	v := viper.New()
	v.SetConfigFile(filepath.Join(home, "config", "config.toml"))
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("%s: %w", home, err)
	}
	c := cfg.DefaultConfig()
	if err := v.Unmarshal(c); err != nil {
		return nil, fmt.Errorf("%s: config.toml: %w", home, err)
	}
	c.SetRoot(home)
	if err := c.ValidateBasic(); err != nil {
		return nil, fmt.Errorf("%s: config.toml: %w", home, err)
	}
	return c, nil
}

// Run runs the validator in home until ctx is done: CometBFT's consensus,
// p2p, mempool and RPC, with the Cooper app in-process. CometBFT logs to
// log (at the config's log_level), the app's own lines too.
func Run(ctx context.Context, home string, log io.Writer) error {
	c, err := LoadConfig(home)
	if err != nil {
		return err
	}
	logger, err := cmtflags.ParseLogLevel(c.LogLevel, cmtlog.NewTMLogger(cmtlog.NewSyncWriter(log)), cfg.DefaultLogLevel)
	if err != nil {
		return err
	}
	a, err := app.New(KernelDir(home), app.Options{Logger: slog.New(slog.NewTextHandler(log, nil)).With("module", "cooper")})
	if err != nil {
		return err
	}
	defer a.Close()
	nk, err := p2p.LoadNodeKey(c.NodeKeyFile())
	if err != nil {
		return err
	}
	n, err := cmtnode.NewNodeWithContext(ctx, c,
		privval.LoadFilePV(c.PrivValidatorKeyFile(), c.PrivValidatorStateFile()),
		nk,
		proxy.NewLocalClientCreator(a),
		cmtnode.DefaultGenesisDocProviderFunc(c),
		cfg.DefaultDBProvider,
		cmtnode.DefaultMetricsProvider(c.Instrumentation),
		logger)
	if err != nil {
		return fmt.Errorf("start node %s: %w", home, err)
	}
	if err := n.Start(); err != nil {
		return fmt.Errorf("start node %s: %w", home, err)
	}
	<-ctx.Done()
	if err := n.Stop(); err != nil {
		return err
	}
	n.Wait()
	return nil
}
