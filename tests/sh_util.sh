# Helpers shared by the shell tests (sourced, not run).
pass=0; fail=0
check() {  # check NAME CONDITION...
  local name=$1; shift
  if "$@"; then pass=$((pass + 1)); echo "ok   $name"; else fail=$((fail + 1)); echo "FAIL $name"; fi
}
# A dnsmasq query line for domain $1.
query() { printf 'Nov 22 13:30:01 dnsmasq[1]: query[A] %s from 127.0.0.1\n' "$1"; }
# Waits until FILE has at least N lines (up to 5 s).
wait_lines() { for _ in $(seq 100); do [ "$(wc -l < "$1")" -ge "$2" ] && return 0; sleep 0.05; done; return 1; }
# Waits (up to 10 s) until process PID sleeps in poll/epoll: swcat then has
# opened its watcher and noted where each file ends, so what is appended
# from now on is reported. A fixed sleep is too short under sanitizers.
wait_ready() {
  for _ in $(seq 200); do
    case "$(cat "/proc/$1/wchan" 2>/dev/null)" in *poll*) return 0 ;; esac
    sleep 0.05
  done
  echo "process $1 never waited in poll" >&2; return 1
}
