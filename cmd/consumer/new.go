package main

import (
	"fmt"
	"io"
)

// runNew dispatches `consumer new KIND`: each kind in its own file.
func runNew(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: consumer new handler NAME --topic TOPIC [flags] | consumer new service --module M --dir D [flags]")
		return exitUsage
	}
	switch args[0] {
	case "handler":
		return newHandler(args[1:], stdout, stderr)
	case "service":
		return newService(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "consumer new: unknown kind %q: want handler or service\n", args[0])
		return exitUsage
	}
}
