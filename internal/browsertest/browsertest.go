// Package browsertest drives a real Chromium (Debian's chromium) through
// chromedp for tests of yuanxu's server-rendered pages.
//
// Contracts:
//   - New starts one headless browser per call, with a fresh profile in a
//     temp dir, and stops it at test cleanup. The browser is found in
//     YUANXU_CHROMIUM, else as chromium, chromium-browser or google-chrome on
//     PATH; without one, New skips the test — or fails it when CI is set.
//   - Every console error, uncaught exception, failed assertion and browser
//     security message (CSP violations) the page produces fails the test at
//     cleanup, unless the test allowed it (Allow) or took it (TakeProblems).
//   - When the test failed, cleanup saves a full-page PNG screenshot and logs
//     its path. Screenshots go to YUANXU_SCREENSHOTS, else to t.TempDir().
//   - Methods fail the test (t.Fatalf) on a browser error or a timeout; they
//     must be called from the test's goroutine.
//   - Requests carry Accept-Language "zh-CN,zh;q=0.9" unless the test chose
//     another (WithAcceptLanguage, SetLanguage), so tests do not depend on
//     the machine's locale.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// DefaultAcceptLanguage is what the browser sends unless a test sets
// another language.
const DefaultAcceptLanguage = "zh-CN,zh;q=0.9"

// Browser is one headless Chromium with one tab.
type Browser struct {
	t       testing.TB
	ctx     context.Context // the tab; never has a deadline
	timeout time.Duration
	dir     string // screenshots
	shots   atomic.Int32

	console *consoleLog
}

// Option configures New.
type Option func(*options)

type options struct {
	acceptLanguage string
	width, height  int
	timeout        time.Duration
}

// WithAcceptLanguage sets the Accept-Language header of every request.
func WithAcceptLanguage(v string) Option { return func(o *options) { o.acceptLanguage = v } }

// WithWindowSize sets the viewport (default 1280×900).
func WithWindowSize(width, height int) Option {
	return func(o *options) { o.width, o.height = width, height }
}

// WithTimeout bounds each action (default 20s).
func WithTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// starts limits how many tests run browsers at once, so that a parallel
// test run does not start one Chromium per test at the same moment. A test
// holds one slot however many browsers it opens (a customer's and a staff
// member's): two tests each holding a slot and waiting for a second one
// would otherwise wait for each other for ever on a 2-core machine.
var starts = make(chan struct{}, max(2, runtime.GOMAXPROCS(0)/2))

var (
	slotsMu sync.Mutex
	slots   = map[testing.TB]int{} // browsers open per test holding a slot
)

// acquireSlot takes t's slot (waiting for one unless t holds it already)
// and returns its release for one browser; the slot is freed when t's
// last browser is released.
func acquireSlot(t testing.TB) func() {
	slotsMu.Lock()
	held := slots[t] > 0
	if held {
		slots[t]++
	}
	slotsMu.Unlock()
	if !held {
		starts <- struct{}{}
		slotsMu.Lock()
		slots[t]++
		slotsMu.Unlock()
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			slotsMu.Lock()
			slots[t]--
			last := slots[t] == 0
			if last {
				delete(slots, t)
			}
			slotsMu.Unlock()
			if last {
				<-starts
			}
		})
	}
}

// ExecPath returns the Chromium to use: YUANXU_CHROMIUM, else the first of
// chromium, chromium-browser, google-chrome on PATH; "" when there is none.
func ExecPath() string {
	if p := os.Getenv("YUANXU_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a browser for the test and returns it with a blank tab. It
// holds one of a limited number of browser slots until the test ends, so a
// test should call New once.
func New(t testing.TB, opts ...Option) *Browser {
	t.Helper()
	path := ExecPath()
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("browsertest: no Chromium found (set YUANXU_CHROMIUM or put chromium on PATH); CI must run browser tests")
		}
		t.Skip("browsertest: no Chromium found (set YUANXU_CHROMIUM or install chromium)")
	}
	o := options{acceptLanguage: DefaultAcceptLanguage, width: 1280, height: 900, timeout: 20 * time.Second}
	for _, f := range opts {
		f(&o)
	}

	release := acquireSlot(t)

	// Not t.TempDir: Chromium's helper processes may still be writing into
	// the profile for a moment after the browser exits, and t.TempDir
	// fails the test when its removal finds the directory refilled.
	profile, err := os.MkdirTemp("", "yuanxu-chromium-")
	if err != nil {
		release()
		t.Fatal(err)
	}
	alloc := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(o.width, o.height),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("font-render-hinting", "none"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("use-mock-keychain", true),
	}
	// The browser lives until cleanup, not until t.Context() ends: cleanup
	// still needs it for the failure screenshot.
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), alloc...)
	logs := &guardedLog{t: t}
	ctx, cancelTab := chromedp.NewContext(actx, chromedp.WithLogf(logs.logf), chromedp.WithErrorf(logs.logf))
	b := &Browser{t: t, ctx: ctx, timeout: o.timeout, console: newConsoleLog()}
	b.dir = screenshotDir(t)

	stop := func() {
		logs.close()
		cancelTab()
		cancelAlloc()
		release()
		for i := 0; i < 20; i++ {
			if os.RemoveAll(profile) == nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// Subscribing starts the browser and opens the tab.
	if err := b.console.listen(ctx); err != nil {
		stop()
		t.Fatalf("browsertest: starting %s: %v", path, err)
	}
	t.Cleanup(func() {
		defer stop()
		b.reportConsole()
		if t.Failed() {
			if p, err := b.save("failure"); err != nil {
				t.Logf("browsertest: failure screenshot: %v", err)
			} else {
				t.Logf("browsertest: failure screenshot saved to %s", p)
			}
		}
	})
	b.SetLanguage(o.acceptLanguage)
	return b
}

// guardedLog forwards chromedp's log lines to the test until the test's
// cleanup stops the browser; the browser's goroutines may outlive the test,
// and logging after a test ends panics.
type guardedLog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (g *guardedLog) logf(format string, args ...any) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.done {
		g.t.Logf("chromedp: "+format, args...)
	}
}

func (g *guardedLog) close() {
	g.mu.Lock()
	g.done = true
	g.mu.Unlock()
}

func screenshotDir(t testing.TB) string {
	if d := os.Getenv("YUANXU_SCREENSHOTS"); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			return d
		}
		t.Logf("browsertest: cannot create YUANXU_SCREENSHOTS=%s; using a temp dir", d)
	}
	return t.TempDir()
}

// Context returns the tab's chromedp context for actions this package does
// not wrap. Bound each use with context.WithTimeout on it.
func (b *Browser) Context() context.Context { return b.ctx }

// run runs one action with the per-action timeout.
func run[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("browsertest: %s: %v", what, err)
	}
	return v
}

// SetLanguage sets the Accept-Language header of the following requests.
func (b *Browser) SetLanguage(acceptLanguage string) {
	b.t.Helper()
	run(b, "set Accept-Language", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
			Headers: network.Headers{"Accept-Language": acceptLanguage},
		})
		return err
	}))
}

// Navigate loads url, waits for the load event, and returns the HTTP
// status of the document.
func (b *Browser) Navigate(url string) int {
	b.t.Helper()
	resp := run(b, "navigate to "+url, chromedp.NavigateResponse(url))
	if resp == nil {
		b.t.Fatalf("browsertest: navigate to %s: no response", url)
	}
	return int(resp.Status)
}

// Click clicks the first element matching the CSS selector, without waiting
// for a navigation.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	run(b, "click "+sel, chromedp.Steps(
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Click(chromedp.CSS(sel)),
	))
}

// ClickNavigate clicks the first element matching the CSS selector (a link
// or a submit button), waits for the page it loads, and returns its HTTP
// status (after redirects).
func (b *Browser) ClickNavigate(sel string) int {
	b.t.Helper()
	run(b, "wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("browsertest: click %s and wait for the page: %v", sel, err)
	}
	if resp == nil {
		b.t.Fatalf("browsertest: click %s: no navigation", sel)
	}
	return int(resp.Status)
}

// SetValue sets the value of the form field matching the CSS selector.
func (b *Browser) SetValue(sel, value string) {
	b.t.Helper()
	run(b, "set value of "+sel, chromedp.SetValue(chromedp.CSS(sel), value))
}

// Text returns the rendered text (innerText) of the first element matching
// the CSS selector, waiting for it to appear.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel))))
}

// Texts returns the rendered text of every element matching the selector,
// now, without waiting.
func (b *Browser) Texts(sel string) []string {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	out := run(b, "texts of "+sel, chromedp.Evaluate[[]string](
		`Array.from(document.querySelectorAll(`+string(q)+`), e => e.innerText.trim())`))
	return out
}

// Exists reports whether an element matches the selector now.
func (b *Browser) Exists(sel string) bool {
	b.t.Helper()
	q, _ := json.Marshal(sel)
	return run(b, "query "+sel, chromedp.Evaluate[bool](`document.querySelector(`+string(q)+`) !== null`))
}

// Attr returns an attribute of the first element matching the selector and
// whether it is present.
func (b *Browser) Attr(sel, name string) (string, bool) {
	b.t.Helper()
	r := run(b, "attribute "+name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name))
	return r.Value, r.Exists
}

// Title returns the document title.
func (b *Browser) Title() string {
	b.t.Helper()
	return run(b, "title", chromedp.Title())
}

// Location returns the URL of the current document.
func (b *Browser) Location() string {
	b.t.Helper()
	return run(b, "location", chromedp.Location())
}

// Eval evaluates a JavaScript expression in the page and returns its
// result decoded into T.
func Eval[T any](b *Browser, expr string) T {
	b.t.Helper()
	return run(b, "evaluate", chromedp.Evaluate[T](expr))
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// Screenshot saves a full-page PNG named after the test and name, and
// returns its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	p, err := b.save(name)
	if err != nil {
		b.t.Fatalf("browsertest: screenshot %s: %v", name, err)
	}
	b.t.Logf("browsertest: screenshot saved to %s", p)
	return p
}

func (b *Browser) save(name string) (string, error) {
	ctx, cancel := context.WithTimeout(b.ctx, b.timeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		return "", err
	}
	n := b.shots.Add(1)
	file := fmt.Sprintf("%s-%02d-%s.png",
		unsafeName.ReplaceAllString(b.t.Name(), "_"), n, unsafeName.ReplaceAllString(name, "_"))
	p := filepath.Join(b.dir, file)
	return p, os.WriteFile(p, png, 0o644)
}

// Allow tolerates console problems whose text matches the regular
// expression, for the rest of the test (for example the browser's own
// "status of 404" message when a test opens a missing page on purpose).
func (b *Browser) Allow(pattern string) {
	b.t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		b.t.Fatalf("browsertest: Allow(%q): %v", pattern, err)
	}
	b.console.allow(re)
}

// TakeProblems waits until the browser has delivered every console message
// of the page so far, and returns and forgets the problems among them, so
// that they no longer fail the test.
func (b *Browser) TakeProblems() []string {
	b.t.Helper()
	if err := b.console.sync(b.ctx, b.timeout); err != nil {
		b.t.Fatalf("browsertest: reading the console: %v", err)
	}
	return b.console.take()
}

// CheckConsole fails the test now if the page has reported problems.
func (b *Browser) CheckConsole() {
	b.t.Helper()
	for _, p := range b.TakeProblems() {
		b.t.Errorf("browsertest: page console: %s", p)
	}
}

func (b *Browser) reportConsole() {
	if err := b.console.sync(b.ctx, b.timeout); err != nil {
		b.t.Logf("browsertest: reading the console at cleanup: %v", err)
	}
	for _, p := range b.console.take() {
		b.t.Errorf("browsertest: page console: %s", p)
	}
}

// consoleLog collects the page's console messages in a goroutine.
type consoleLog struct {
	mu       sync.Mutex
	problems []string
	allowed  []*regexp.Regexp
	marks    map[string]chan struct{}
	seq      atomic.Int64
}

func newConsoleLog() *consoleLog { return &consoleLog{marks: map[string]chan struct{}{}} }

// markPrefix tags the console.debug calls sync uses to know that every
// earlier message has arrived (Console keeps the order of messages).
const markPrefix = "browsertest-sync-"

func (c *consoleLog) listen(ctx context.Context) error {
	msgs := chromedp.Console(ctx)
	started := make(chan error, 1)
	go func() {
		first := true
		for m, err := range msgs {
			if first {
				first = false
				started <- err
			}
			if err != nil {
				return
			}
			c.add(m)
		}
		if first {
			started <- nil
		}
	}()
	// Console opened the tab (or failed to); a round trip proves the
	// browser answers and starts the iterator.
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](`console.debug("`+markPrefix+`start")`)); err != nil {
		return err
	}
	select {
	case err := <-started:
		return err
	case <-tctx.Done():
		return tctx.Err()
	}
}

func (c *consoleLog) add(m chromedp.ConsoleMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if m.Type == chromedp.ConsoleDebug && strings.HasPrefix(m.Text, markPrefix) {
		if ch, ok := c.marks[m.Text]; ok {
			close(ch)
			delete(c.marks, m.Text)
		}
		return
	}
	if !isProblem(m) {
		return
	}
	text := m.String()
	if m.URL != "" {
		text += fmt.Sprintf(" (%s:%d)", m.URL, m.Line+1)
	}
	for _, re := range c.allowed {
		if re.MatchString(text) {
			return
		}
	}
	c.problems = append(c.problems, text)
}

// isProblem: errors, exceptions, failed assertions and anything the
// browser's security machinery says (CSP violations, mixed content).
func isProblem(m chromedp.ConsoleMessage) bool {
	switch m.Type {
	case chromedp.ConsoleError, chromedp.ConsoleException, "assert":
		return true
	}
	return m.Source == "security"
}

func (c *consoleLog) allow(re *regexp.Regexp) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.allowed = append(c.allowed, re)
	kept := c.problems[:0]
	for _, p := range c.problems {
		if !re.MatchString(p) {
			kept = append(kept, p)
		}
	}
	c.problems = kept
}

// sync writes a marker to the console and waits until the collector sees
// it: every message the page wrote before has been collected then.
func (c *consoleLog) sync(ctx context.Context, timeout time.Duration) error {
	mark := fmt.Sprintf("%s%d", markPrefix, c.seq.Add(1))
	ch := make(chan struct{})
	c.mu.Lock()
	c.marks[mark] = ch
	c.mu.Unlock()
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if err := chromedp.Do(tctx, chromedp.Evaluate[chromedp.Void](`console.debug("`+mark+`")`)); err != nil {
		return err
	}
	select {
	case <-ch:
		return nil
	case <-tctx.Done():
		return fmt.Errorf("console marker not seen: %w", tctx.Err())
	}
}

func (c *consoleLog) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.problems
	c.problems = nil
	return p
}
