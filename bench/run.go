package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/jokebox/jokebox/internal/faultproxy"
	"github.com/jokebox/jokebox/internal/motoserver"
)

// Options configure Run.
type Options struct {
	// Sizes are the bucket sizes, in objects, measured in increasing order.
	Sizes []int
	// Clients, Duration, Warmup and Timeout shape every load phase.
	Clients  int
	Duration time.Duration
	Warmup   time.Duration
	Timeout  time.Duration
	// UploadConcurrency is how many objects are put at once.
	UploadConcurrency int
	// ManifestTTL is the skill process's JOKEBOX_MANIFEST_TTL.
	ManifestTTL time.Duration
	// ModuleDir is jokebox's module; Audio the file uploaded under every key.
	ModuleDir string
	Audio     string
	// Progress receives a line per step.
	Progress io.Writer
}

// Names used in the bucket and the requests.
const (
	benchBucket  = "jokebox-bench"
	benchSkillID = "amzn1.ask.skill.00000000-0000-4000-8000-00000000bench"
)

// Run performs the whole comparison: it starts moto_server and the
// counting proxy, builds the jokebox CLI, and for each size fills the
// bucket, indexes it with `jokebox reindex`, then loads (a) `jokebox serve`
// and (b) the list-per-request skill in turn. Every process it starts is
// stopped before it returns, also when ctx ends. Logs of the processes are
// kept in a temporary directory that Run names in its error, and removes on
// success.
func Run(ctx context.Context, o Options) (rep Report, err error) {
	begin := time.Now()
	sizes := slices.Clone(o.Sizes)
	slices.Sort(sizes)
	if len(sizes) == 0 || sizes[0] <= 0 {
		return rep, errors.New("bench: no sizes")
	}
	if o.Clients <= 0 || o.Duration <= 0 || o.Timeout <= 0 || o.ManifestTTL <= 0 {
		return rep, errors.New("bench: clients, duration, timeout and manifest TTL must be positive")
	}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	say := func(format string, args ...any) { fmt.Fprintf(progress, format+"\n", args...) }
	audio, err := os.ReadFile(o.Audio)
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	tmp, err := os.MkdirTemp("", "jokebox-bench-")
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w (logs kept in %s)", err, tmp)
			return
		}
		os.RemoveAll(tmp)
	}()
	logFile := func(name string) (*os.File, error) { return os.Create(filepath.Join(tmp, name)) }

	rep.Machine = ReadMachine(ctx)
	rep.Params = Params{
		Clients: o.Clients, Duration: o.Duration, Warmup: o.Warmup, Timeout: o.Timeout,
		UploadConcurrency: o.UploadConcurrency, ManifestTTL: o.ManifestTTL,
		Audio: relTo(o.ModuleDir, o.Audio), AudioSize: len(audio),
	}
	step := func(name string, start time.Time) {
		d := time.Since(start)
		rep.Steps = append(rep.Steps, Step{Name: name, Duration: d})
		say("  %s: %.1f s", name, d.Seconds())
	}

	say("building jokebox")
	t := time.Now()
	bin, err := BuildJokebox(ctx, o.ModuleDir, tmp)
	if err != nil {
		return rep, err
	}
	step("go build ./cmd/jokebox", t)

	say("starting moto_server")
	t = time.Now()
	motoLog, err := logFile("moto.log")
	if err != nil {
		return rep, err
	}
	defer motoLog.Close()
	moto, err := motoserver.Launch(ctx, motoLog)
	if err != nil {
		return rep, err
	}
	defer moto.Close()
	proxy, err := faultproxy.Start(moto.URL)
	if err != nil {
		return rep, err
	}
	defer proxy.Close()
	step("start moto_server", t)
	say("  moto at %s, counting proxy at %s", moto.URL, proxy.URL)

	s3c := newS3(proxy.URL, 128)
	direct := newS3(moto.URL, 4) // for the benchmark's own look-ups, not counted
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(benchBucket)}); err != nil {
		return rep, fmt.Errorf("create bucket: %w", err)
	}
	reindexLog, err := logFile("reindex.log")
	if err != nil {
		return rep, err
	}
	defer reindexLog.Close()
	jb := Jokebox{
		Bin: bin,
		Env: JokeboxEnv(tmp, benchBucket, proxy.URL, benchSkillID, "JOKEBOX_MANIFEST_TTL="+o.ManifestTTL.String()),
	}

	uploaded := 0
	for _, n := range sizes {
		s := Size{Objects: n, Uploaded: n - uploaded}
		say("bucket of %s objects", thousands(n))
		t = time.Now()
		err := Upload(ctx, s3c, benchBucket, audio, uploaded, n, o.UploadConcurrency, func(done, total int) {
			say("  uploaded %s/%s (%.0f/s)", thousands(done), thousands(total), float64(done)/time.Since(t).Seconds())
		})
		if err != nil {
			return rep, fmt.Errorf("upload: %w", err)
		}
		s.Upload = time.Since(t)
		step(fmt.Sprintf("upload %s objects (to %s)", thousands(n-uploaded), thousands(n)), t)
		uploaded = n

		t = time.Now()
		before := proxy.Calls()
		jb.Log = io.MultiWriter(reindexLog, &lineFilter{w: progress, prefix: "  reindex: ", keep: keepReindexLine})
		if s.ReindexLine, err = jb.Reindex(ctx); err != nil {
			return rep, err
		}
		s.ReindexCalls = proxy.Calls().Sub(before)
		s.Reindex = time.Since(t)
		say("  %s", s.ReindexLine)
		step(fmt.Sprintf("jokebox reindex at %s objects", thousands(n)), t)

		if s.Keys, err = countKeys(ctx, direct, benchBucket); err != nil {
			return rep, err
		}

		t = time.Now()
		if s.A, s.Memory, s.ManifestAge, err = runJokebox(ctx, jb, proxy, o, n, logFile, say); err != nil {
			return rep, err
		}
		step(fmt.Sprintf("(a) at %s objects: start, 1 client, warm-up, measured phase", thousands(n)), t)
		t = time.Now()
		if s.B, err = runListPerRequest(ctx, proxy, o, n, logFile, say); err != nil {
			return rep, err
		}
		step(fmt.Sprintf("(b) at %s objects: 1 client, warm-up, measured phase", thousands(n)), t)
		rep.Sizes = append(rep.Sizes, s)
	}
	rep.Total = time.Since(begin)
	return rep, nil
}

// countKeys counts every key in the bucket, jokebox's own included.
func countKeys(ctx context.Context, c objectLister, bucket string) (int, error) {
	n := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return 0, fmt.Errorf("count keys: %w", err)
		}
		n += len(page.Contents)
	}
	return n, nil
}

// runJokebox measures approach (a) on a fresh `jokebox serve`.
func runJokebox(ctx context.Context, jb Jokebox, proxy *faultproxy.Proxy, o Options, n int, logFile func(string) (*os.File, error), say func(string, ...any)) (Row, Memory, time.Duration, error) {
	lf, err := logFile(fmt.Sprintf("serve-%d.log", n))
	if err != nil {
		return Row{}, Memory{}, 0, err
	}
	defer lf.Close()
	jb.Log = lf
	srv, err := jb.Serve(ctx)
	if err != nil {
		return Row{}, Memory{}, 0, err
	}
	defer srv.Close()
	row := Row{Approach: "(a) jokebox serve", Objects: n}
	loaded := time.Now() // the first request of measure loads the manifest
	if err := measure(ctx, &row, proxy, srv.URL, o, say); err != nil {
		return row, Memory{}, 0, err
	}
	age := time.Since(loaded)
	mem, err := ReadMemory(srv.PID)
	if err != nil {
		return row, mem, age, err
	}
	say("  jokebox serve RSS %s (peak %s)", formatKiB(mem.RSS), formatKiB(mem.Peak))
	if err := srv.Close(); err != nil {
		return row, mem, age, fmt.Errorf("jokebox serve: %w", err)
	}
	return row, mem, age, nil
}

// runListPerRequest measures approach (b), served in this process.
func runListPerRequest(ctx context.Context, proxy *faultproxy.Proxy, o Options, n int, logFile func(string) (*os.File, error), say func(string, ...any)) (Row, error) {
	lf, err := logFile(fmt.Sprintf("listper-%d.log", n))
	if err != nil {
		return Row{}, err
	}
	defer lf.Close()
	log := slog.New(slog.NewTextHandler(lf, nil))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Row{}, err
	}
	srv := &http.Server{
		Handler:           NewListPerRequest(newS3(proxy.URL, 4*o.Clients), benchBucket, log),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	row := Row{Approach: "(b) list per request", Objects: n}
	if err := measure(ctx, &row, proxy, "http://"+ln.Addr().String()+"/alexa", o, say); err != nil {
		return row, err
	}
	return row, nil
}

// measure fills row from three phases against url: one client alone (a
// cold request, then the median of three more), an unmeasured warm-up
// with every client, and the measured phase. AWS calls are counted around
// the measured phase; those of the first two are the row's WarmCalls.
func measure(ctx context.Context, row *Row, proxy *faultproxy.Proxy, url string, o Options, say func(string, ...any)) error {
	before := proxy.Calls()
	one := LoadOptions{URL: url, Clients: 1, PerClient: 1, Duration: o.Timeout, Timeout: o.Timeout, SkillID: benchSkillID}
	if _, err := Load(ctx, one); err != nil { // cold: (a) loads its manifest
		return err
	}
	one.PerClient = 3
	idle, err := Load(ctx, one)
	if err != nil {
		return err
	}
	row.Idle = idle.Percentile(50)
	say("  %s: one request alone %s; warm-up %s", row.Approach, formatDuration(row.Idle), human(o.Warmup))
	lo := LoadOptions{URL: url, Clients: o.Clients, Duration: o.Warmup, Timeout: o.Timeout, SkillID: benchSkillID}
	if o.Warmup > 0 {
		if _, err := Load(ctx, lo); err != nil {
			return err
		}
	}
	mid := proxy.Calls()
	row.WarmCalls = mid.Sub(before)
	say("  %s: %d clients for %s", row.Approach, o.Clients, human(o.Duration))
	lo.Duration = o.Duration
	res, err := Load(ctx, lo)
	if err != nil {
		return err
	}
	row.Calls = proxy.Calls().Sub(mid)
	row.Requests = res.Requests
	row.Errors = res.Errors
	row.Timeout = res.Timeout
	row.P50, row.P99 = res.Percentile(50), res.Percentile(99)
	row.Throughput = res.Throughput()
	row.SlowerThanAlexa = res.Slower(AlexaTimeout)
	say("    %s requests, %d errors, p50 %s, p99 %s, %s req/s, AWS calls %s", thousands(row.Requests), row.ErrorCount(),
		latencyCell(row.P50, row.Timeout), latencyCell(row.P99, row.Timeout), formatRate(row.Throughput), row.Calls)
	return nil
}

// keepReindexLine keeps reindex progress lines every 1,000 probes, the
// last one and anything that is not progress.
func keepReindexLine(line string) bool {
	var done, total int
	if _, err := fmt.Sscanf(line, "probed %d/%d", &done, &total); err == nil {
		return done%1000 == 0 || done == total
	}
	var n int
	if _, err := fmt.Sscanf(line, "listed %d objects", &n); err == nil {
		return false
	}
	return true
}

// lineFilter writes the lines keep accepts to w, with a prefix.
type lineFilter struct {
	w      io.Writer
	prefix string
	keep   func(string) bool
	buf    []byte
}

func (f *lineFilter) Write(p []byte) (int, error) {
	f.buf = append(f.buf, p...)
	for {
		i := bytes.IndexByte(f.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(f.buf[:i])
		f.buf = f.buf[i+1:]
		if f.keep(line) {
			fmt.Fprintf(f.w, "%s%s\n", f.prefix, line)
		}
	}
}

// ReadMachine describes this machine.
func ReadMachine(ctx context.Context) Machine {
	m := Machine{CPU: "unknown", Cores: runtime.NumCPU(), GoVersion: runtime.Version(), Moto: motoserver.Version(ctx), Load: "unknown", Date: time.Now()}
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
		f.Close()
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(b)); len(f) >= 3 {
			m.Load = strings.Join(f[:3], " ")
		}
	}
	return m
}

func relTo(base, path string) string {
	if r, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(r, "..") {
		return r
	}
	return path
}
