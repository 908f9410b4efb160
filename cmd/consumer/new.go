package main

import (
	"fmt"
	"io"
)

// runNew dispatches `consumer new KIND`: each kind is its own command.
func runNew(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "consumer: usage: consumer new service --module M --dir D [flags]")
		return exitUsage
	}
	switch args[0] {
	case "service":
		return newService(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "consumer: unknown kind %q: consumer new service\n", args[0])
		return exitUsage
	}
}
