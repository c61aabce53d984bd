package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Builds the example, runs it on a state directory, appends a blocked query
// and reads the JSON line it prints.
func TestWatchPrintsJSONLines(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string]string{
		"dns.tier": "dnsmasq\n", "dnsmasq.log": "", "audit.jsonl": "", "profile.domains": "good.example.com\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(t.TempDir(), "watch")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	if out, err := exec.Command(goTool, "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, "-sources", "dns,audit", dir, "c1")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	// The watcher reports lines appended after it opened: append until the
	// first line shows up (the process may still be starting).
	deadline := time.After(10 * time.Second)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	f, err := os.OpenFile(filepath.Join(dir, "dnsmasq.log"), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for {
		select {
		case line := <-lines:
			var ev map[string]any
			if err := json.Unmarshal([]byte(line), &ev); err != nil {
				t.Fatalf("not JSON: %q", line)
			}
			if ev["source"] != "dns" || ev["action"] != "blocked_query" || ev["domain"] != "evil.example.com" {
				t.Fatalf("got %s", line)
			}
			cmd.Process.Signal(syscall.SIGTERM)
			if err := cmd.Wait(); err != nil {
				t.Fatalf("watch exited with %v after SIGTERM", err)
			}
			return
		case <-tick.C:
			f.WriteString("Nov 22 13:30:01 dnsmasq[9605]: query[A] evil.example.com from 127.0.0.1\n")
		case <-deadline:
			t.Fatal("no output from the example")
		}
	}
}
