// Command rtdw is a real-time data warehouse engine: see README.md.
package main

import (
	"os"

	_ "time/tzdata" // business time zones work on machines without tzdata

	"github.com/rtdw/rtdw/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
