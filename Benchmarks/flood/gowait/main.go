// A wait through a flood with go-qemu, the library qmpbook's engine ports:
// connect, say "ready", take events until DEVICE_DELETED for the marker.
//
//	gowait SOCKET READY-FILE MARKER
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/digitalocean/go-qemu/qmp"
)

func main() {
	if len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: gowait SOCKET READY-FILE MARKER")
		os.Exit(2)
	}
	monitor, err := qmp.NewSocketMonitor("unix", os.Args[1], 5*time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	if err := monitor.Connect(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	events, _ := monitor.Events(context.Background())
	if file, err := os.Create(os.Args[2]); err == nil {
		file.Close()
	}
	for event := range events {
		if event.Event == "DEVICE_DELETED" && event.Data["device"] == os.Args[3] {
			monitor.Disconnect()
			return
		}
	}
	fmt.Fprintln(os.Stderr, "the stream ended before the marker")
	os.Exit(1)
}
