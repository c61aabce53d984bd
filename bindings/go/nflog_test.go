package shieldwatch

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// skipUnlessRequired skips, or fails where SW_REQUIRE_PRIVILEGED=1 (CI) says
// privileged tests must run.
func skipUnlessRequired(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("SW_REQUIRE_PRIVILEGED") == "1" {
		t.Fatalf("SW_REQUIRE_PRIVILEGED=1 but: "+format, args...)
	}
	t.Skipf(format, args...)
}

// A real dropped packet, end to end: an nft rule in a fresh network
// namespace logs it to NFLOG group 100 and drops it; the watcher, bound
// inside that namespace with WithNetns, reports it.
func TestNflogDroppedPacket(t *testing.T) {
	if os.Geteuid() != 0 {
		skipUnlessRequired(t, "NFLOG test needs root (network namespaces, nft)")
	}
	for _, tool := range []string{"ip", "nft", "python3"} {
		if _, err := exec.LookPath(tool); err != nil {
			skipUnlessRequired(t, "NFLOG test needs %s: %v", tool, err)
		}
	}
	run := func(args ...string) error {
		out, err := exec.Command(args[0], args[1:]...).CombinedOutput()
		if err != nil {
			return fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, out)
		}
		return nil
	}
	ns := fmt.Sprintf("swgo%d", os.Getpid())
	if err := run("ip", "netns", "add", ns); err != nil {
		skipUnlessRequired(t, "cannot create a network namespace: %v", err)
	}
	t.Cleanup(func() { run("ip", "netns", "del", ns) })
	inNs := func(args ...string) error { return run(append([]string{"ip", "netns", "exec", ns}, args...)...) }
	for _, cmd := range [][]string{
		// A route for the test prefix, so the packet reaches the output
		// hook; loopback only, no dummy/veth module needed.
		{"ip", "link", "set", "lo", "up"},
		{"ip", "addr", "add", "198.51.100.1/32", "dev", "lo"},
		{"ip", "route", "add", "192.0.2.0/24", "dev", "lo", "src", "198.51.100.1"},
	} {
		if err := inNs(cmd...); err != nil {
			skipUnlessRequired(t, "cannot set up the namespace's network: %v", err)
		}
	}
	ruleset := `table inet swgo {
  chain out {
    type filter hook output priority 0; policy accept;
    ip daddr 192.0.2.0/24 log prefix "TEROK_SHIELD_DENIED: " group 100 drop
  }
}`
	rules := t.TempDir() + "/rules.nft"
	if err := os.WriteFile(rules, []byte(ruleset), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := inNs("nft", "-f", rules); err != nil {
		skipUnlessRequired(t, "cannot load an nft log/drop rule (no nf_tables or nfnetlink_log?): %v", err)
	}

	s := newStateDir(t)
	w, err := Open(s.dir, "c1", WithNetns("/run/netns/"+ns), WithNflogRequired(true), WithNflogGroup(100))
	if err != nil {
		t.Fatalf("Open with NFLOG in netns %s: %v", ns, err)
	}
	defer w.Close()
	if err := w.SourceStatus(SourceNFLOG); err != nil {
		t.Fatalf("SourceStatus(NFLOG) = %v", err)
	}

	// The send fails (EPERM: dropped on output); the log entry is the point.
	send := `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
try:
    s.sendto(b"shieldwatch", ("192.0.2.7", 5353))
except OSError:
    pass`
	if err := inNs("python3", "-c", send); err != nil {
		t.Fatal(err)
	}
	for {
		ev := nextWithin(t, w, 5*time.Second)
		t.Logf("event: %s", ev.JSON())
		if ev.Source != "nflog" {
			continue
		}
		if ev.Action != "blocked_connection" || ev.Dest != "192.0.2.7" || ev.Port != 5353 ||
			ev.Proto != 17 || ev.Container != "c1" {
			t.Fatalf("got %s", ev.JSON())
		}
		if b, _ := ev.MarshalJSON(); string(b) != ev.JSON() {
			t.Fatalf("MarshalJSON %s != library %s", b, ev.JSON())
		}
		break
	}
	if n := w.Stat(StatNflogPackets); n != 1 {
		t.Errorf("Stat(StatNflogPackets) = %d", n)
	}
}
