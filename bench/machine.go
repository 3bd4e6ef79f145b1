package bench

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Machine describes where the figures were measured.
func (e *Env) Machine() [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add("date", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
	add("CPU", fmt.Sprintf("%d × %s (runtime.NumCPU %d, GOMAXPROCS %d)", runtime.NumCPU(), cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0)))
	add("memory", memTotal())
	add("OS", osName())
	add("Go", runtime.Version())
	add("PostgreSQL", e.pgVer+" (embedded: fsync on, synchronous_commit on, shared_buffers 128MB)")
	sync := "fsync per produced batch (embedded default)"
	if e.KafkaNoSync {
		sync = "NO fsync (-kafka-nosync: investigation only, not how Tahsil runs)"
	}
	add("Kafka", fmt.Sprintf("embedded kfake %s, in-process, %s", moduleVersion("github.com/twmb/franz-go/pkg/kfake"), sync))
	add("franz-go", moduleVersion("github.com/twmb/franz-go"))
	add("partitions", strconv.Itoa(int(e.Partitions)))
	add("disk fsync", e.fsyncLatency())
	add("load average at start", LoadAvg())
	add("commit", gitCommit())
	return out
}

func numCPU() int { return runtime.NumCPU() }

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return runtime.GOARCH
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return runtime.GOARCH
}

func memTotal() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return ""
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return fmt.Sprintf("%.1f GiB", kb/(1<<20))
		}
	}
	return ""
}

func osName() string {
	name := runtime.GOOS
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "PRETTY_NAME="); ok {
				name = strings.Trim(v, `"`)
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		name += ", Linux " + strings.TrimSpace(string(b))
	}
	return name
}

// LoadAvg returns the 1, 5 and 15 minute load averages.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, m := range bi.Deps {
		if m.Path == path {
			return m.Version
		}
	}
	return ""
}

func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return ""
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(strings.TrimSpace(string(st))) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}

// fsyncLatency times a 4 KiB write and fsync in the data directory, the
// unit cost under both the broker's and PostgreSQL's durability.
func (e *Env) fsyncLatency() string {
	f, err := os.CreateTemp(e.Dir, "fsync-")
	if err != nil {
		return ""
	}
	defer os.Remove(f.Name())
	defer f.Close()
	buf := make([]byte, 4096)
	const n = 100
	start := time.Now()
	for range n {
		if _, err := f.Write(buf); err != nil {
			return ""
		}
		if err := f.Sync(); err != nil {
			return ""
		}
	}
	return fmt.Sprintf("%s per 4 KiB write+fsync (mean of %d)", ms(time.Since(start)/n), n)
}

// CPU is processor time used so far.
type CPU struct {
	// Self is this process: the Go components, the in-process broker and
	// the load generator.
	Self time.Duration
	// Postgres is the PostgreSQL server and its live backends.
	Postgres time.Duration
}

// Sub returns c − o.
func (c CPU) Sub(o CPU) CPU { return CPU{Self: c.Self - o.Self, Postgres: c.Postgres - o.Postgres} }

// CPU reads the processor time of this process and of the PostgreSQL
// server's processes (its postmaster and the children it has now: a
// backend that exited takes its time with it, but pools keep theirs).
func (e *Env) CPU() CPU {
	var c CPU
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		c.Self = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	b, err := os.ReadFile(filepath.Join(e.Dir, "pg", "postmaster.pid"))
	if err != nil {
		return c
	}
	master, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	if master == 0 {
		return c
	}
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		st, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		// pid (comm) state ppid … utime(14) stime(15): fields after ")".
		s := string(st)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		pid, _ := strconv.Atoi(strings.Fields(s[:i])[0])
		f := strings.Fields(s[i+1:])
		if len(f) < 13 {
			continue
		}
		ppid, _ := strconv.Atoi(f[1])
		if pid != master && ppid != master {
			continue
		}
		ut, _ := strconv.ParseInt(f[11], 10, 64)
		stt, _ := strconv.ParseInt(f[12], 10, 64)
		c.Postgres += time.Duration(ut+stt) * (time.Second / 100) // USER_HZ is 100 on Linux
	}
	return c
}
