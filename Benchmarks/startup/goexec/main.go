// `qmpbook exec unix:SOCKET COMMAND` with go-qemu, the library qmpbook's
// engine ports: connect (greeting and capabilities), run COMMAND, print the
// reply, disconnect.
//
//	goexec SOCKET COMMAND
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/digitalocean/go-qemu/qmp"
)

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: goexec SOCKET COMMAND")
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
	reply, err := monitor.Run([]byte(`{"execute":"` + os.Args[2] + `"}`))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(string(reply))
	monitor.Disconnect()
}
