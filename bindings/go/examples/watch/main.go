// Command watch prints a container's shield events as JSON lines, one per
// event, exactly as libshieldwatch serializes them.
//
//	go run ./examples/watch [flags] STATE_DIR CONTAINER
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	shieldwatch "github.com/terok-ai/libshieldwatch/bindings/go"
)

func main() {
	sources := flag.String("sources", "dns,audit,nflog", "comma-separated sources: dns, audit, nflog")
	netns := flag.String("netns", "", "network namespace for NFLOG (e.g. /run/netns/NAME)")
	group := flag.Uint("nflog-group", 100, "NFLOG group")
	dedup := flag.Duration("dedup", 0, "suppress repeats of an event within this window")
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "usage: %s [flags] STATE_DIR CONTAINER\n", os.Args[0])
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 2 || *group > 0xffff {
		flag.Usage()
		os.Exit(2)
	}

	var mask shieldwatch.Source
	for _, s := range strings.Split(*sources, ",") {
		switch strings.TrimSpace(s) {
		case "dns":
			mask |= shieldwatch.SourceDNS
		case "audit":
			mask |= shieldwatch.SourceAudit
		case "nflog":
			mask |= shieldwatch.SourceNFLOG
		default:
			fmt.Fprintf(os.Stderr, "watch: unknown source %q\n", s)
			os.Exit(2)
		}
	}
	opts := []shieldwatch.Option{
		shieldwatch.WithSources(mask),
		shieldwatch.WithNflogGroup(uint16(*group)),
		shieldwatch.WithDedupWindow(*dedup),
	}
	if *netns != "" {
		opts = append(opts, shieldwatch.WithNetns(*netns))
	}

	w, err := shieldwatch.Open(flag.Arg(0), flag.Arg(1), opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "watch:", err)
		if errors.Is(err, shieldwatch.ErrTier) {
			os.Exit(3)
		}
		os.Exit(1)
	}
	defer w.Close()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	out := bufio.NewWriter(os.Stdout)
	for ev, err := range w.All(ctx) {
		if err != nil {
			if ctx.Err() == nil {
				fmt.Fprintln(os.Stderr, "watch:", err)
				out.Flush()
				os.Exit(1)
			}
			break
		}
		out.WriteString(ev.JSON())
		out.WriteByte('\n')
		out.Flush()
	}
}
