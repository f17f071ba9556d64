// Command lookalike trains image-embedding models with metric learning and
// searches image collections with them. Run "lookalike --help" for the
// commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lookalike/lookalike/train"
)

// exitInterrupted is the exit status after Ctrl-C (SIGINT), as shells
// report it: 128 + the signal's number; SIGTERM gives exitTerminated.
const (
	exitInterrupted = 128 + int(syscall.SIGINT)
	exitTerminated  = 128 + int(syscall.SIGTERM)
)

// defaultStopGrace is how long a command may take to stop after SIGINT or
// SIGTERM before the process exits regardless. Commands stop on their own
// well within it (between batches or steps, after saving what they
// reported); it is the backstop for one stuck in a system call.
const defaultStopGrace = 10 * time.Second

func main() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	a := &app{}
	a.stopGrace.Store(int64(defaultStopGrace))
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go watchSignals(sigs, cancel, a)
	err := newRootCmdFor(a).ExecuteContext(ctx)
	switch {
	case err == nil:
	case errors.Is(err, train.ErrInterrupted) || errors.Is(err, context.Canceled):
		fmt.Fprintln(os.Stderr, "lookalike:", err)
		os.Exit(a.exitStatus())
	default:
		fmt.Fprintln(os.Stderr, "lookalike:", err)
		os.Exit(1)
	}
}

// watchSignals cancels the commands' context at the first SIGINT or
// SIGTERM, then exits the process with exitInterrupted at a second signal,
// or when the command has not returned within a.stopGrace.
func watchSignals(sigs <-chan os.Signal, cancel func(), a *app) {
	sig := <-sigs
	if s, ok := sig.(syscall.Signal); ok {
		a.signal.Store(int32(s))
	}
	cancel()
	grace := time.Duration(a.stopGrace.Load())
	select {
	case <-sigs:
		fmt.Fprintln(os.Stderr, "lookalike: second signal: exiting now")
	case <-time.After(grace):
		fmt.Fprintf(os.Stderr, "lookalike: still busy %v after %v: exiting now (what was reported as saved is on disk)\n", grace, sig)
	}
	os.Exit(a.exitStatus())
}

// exitStatus is the exit status after the signal that stopped the command:
// 128 + its number, as shells report it.
func (a *app) exitStatus() int {
	if s := a.signal.Load(); s > 0 {
		return 128 + int(s)
	}
	return exitInterrupted
}

// app holds what every command shares: the logger and global flags.
type app struct {
	logLevel string
	log      *slog.Logger
	// stopGrace is how long the command may take to stop after a
	// signal, in nanoseconds (a command that drains work, like serve,
	// raises it).
	stopGrace atomic.Int64
	// signal is the number of the signal that asked the command to stop.
	signal atomic.Int32
}

func newRootCmd() *cobra.Command {
	a := &app{}
	a.stopGrace.Store(int64(defaultStopGrace))
	return newRootCmdFor(a)
}

// newRootCmdFor returns the root command, with every subcommand, for a.
func newRootCmdFor(a *app) *cobra.Command {
	root := &cobra.Command{
		Use:   "lookalike",
		Short: "Image similarity search with metric learning",
		Long: `lookalike trains a small convolutional network so that similar images get
nearby embeddings (the Keras "metric learning for image similarity search"
example, in pure Go), evaluates it with retrieval metrics and pictures, and
searches image collections with it.

Data is an image folder with one sub-folder per class (PNG, JPEG, GIF, BMP,
WebP), a dataset root holding train/ and test/ such folders, or the official
CIFAR-10 binary archive (cifar-10-binary.tar.gz or its extracted folder).`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			a.log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	root.PersistentFlags().StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	root.AddCommand(
		newShowCmd(a), newPairsCmd(a), newTrainCmd(a), newEvalCmd(a), newCalibrateCmd(a), newEmbedCmd(a), newDemoCmd(a),
		newIndexCmd(a), newSearchCmd(a), newDupesCmd(a), newServeCmd(a), newImportCmd(a),
	)
	return root
}

// exactArgs is cobra.NoArgs with a clearer message.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("%s takes no arguments, got %q (flags start with --)", cmd.CommandPath(), strings.Join(args, " "))
	}
	return nil
}
