// Package benchcli holds what both Go benchmark commands share: the
// `<name> <records> <out.c1z>` command line, the peak RSS figure and the
// one JSON result line bench/*.ts parses.
package benchcli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"syscall"
)

// Main runs run(records, out) from the command line, exiting 1 with the
// command's name in front of any error.
func Main(name string, run func(ctx context.Context, recordsPath, outPath string) error) {
	if len(os.Args) != 3 {
		fail(name, fmt.Errorf("usage: %s <records> <out.c1z>", name))
	}
	if err := run(context.Background(), os.Args[1], os.Args[2]); err != nil {
		fail(name, err)
	}
}

func fail(name string, err error) {
	fmt.Fprintln(os.Stderr, name+":", err)
	os.Exit(1)
}

// PeakRssBytes is the process's high-water resident set (Linux reports
// ru_maxrss in KiB); 0 where getrusage fails.
func PeakRssBytes() int64 {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0
	}
	return usage.Maxrss * 1024
}

// FileBytes is the size of the c1z the command wrote.
func FileBytes(path string) (int64, error) {
	info, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return info.Size(), nil
}

// PrintResult writes result as one JSON line on stdout.
func PrintResult(result any) error {
	line, err := json.Marshal(result)
	if err != nil {
		return err
	}
	fmt.Println(string(line))
	return nil
}
