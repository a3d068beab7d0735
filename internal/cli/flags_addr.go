package cli

import (
	"errors"
	"fmt"
	"net"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// One flag names the HTTP listen address on every command that serves
// one: --http-addr (run, demo, sql, worker, ingest mysql, ingest applog).
// Older names (demo's --http, ingest applog's --listen) still work,
// hidden, with a note to use --http-addr.

// httpAddrFlag defines --http-addr on f, and aliases for it.
func httpAddrFlag(f *pflag.FlagSet, p *string, def, usage string, aliases ...string) {
	f.StringVar(p, "http-addr", def, usage)
	for _, a := range aliases {
		f.StringVar(p, a, def, "deprecated: use --http-addr")
		f.MarkHidden(a)
	}
}

// httpAddrAsked reports whether --http-addr (or an alias, with a
// deprecation note on stderr) was given.
func (g *globals) httpAddrAsked(cmd *cobra.Command, aliases ...string) bool {
	asked := cmd.Flags().Changed("http-addr")
	for _, a := range aliases {
		if cmd.Flags().Changed(a) {
			fmt.Fprintf(g.stderr, "rtdw: --%s is deprecated: use --http-addr\n", a)
			asked = true
		}
	}
	return asked
}

// serveOrFree runs serve on addr; when addr is a default (not asked for)
// and its port is taken (another rtdw, another program), it serves on a
// free port of the same host instead: the address is printed anyway.
func (g *globals) serveOrFree(addr string, asked bool, serve func(addr string) (string, func(), error)) (string, func(), error) {
	bound, stop, err := serve(addr)
	if err == nil || asked || !errors.Is(err, syscall.EADDRINUSE) {
		return bound, stop, err
	}
	host, _, _ := net.SplitHostPort(addr)
	free := net.JoinHostPort(host, "0")
	bound, stop, ferr := serve(free)
	if ferr != nil {
		return "", nil, err
	}
	fmt.Fprintf(g.stderr, "rtdw: %s is in use: serving on %s instead (--http-addr picks the address)\n", addr, bound)
	return bound, stop, nil
}
