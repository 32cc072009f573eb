// Package smtpsink is the sandbox's SMTP server: a real SMTP listener on
// loopback that accepts every message and hands it to an Outbox, so that in
// sandbox and demo mode notification email really crosses SMTP (the
// production go-mail client talks to it) and a person trying yuanxu reads
// their verification codes in the console instead of needing a mail server.
//
// It speaks the subset of RFC 5321 a submission client needs — EHLO/HELO,
// MAIL, RCPT, DATA (with dot-unstuffing), RSET, NOOP, QUIT, and PIPELINING
// (RFC 2920) — without TLS or AUTH, and only listens on loopback. It is not
// a relay and never sends mail on.
package smtpsink

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"
)

// Mail is one accepted message.
type Mail struct {
	From string
	To   []string
	Data []byte // the message as received (headers and body), dot-unstuffed
	At   time.Time
}

// Outbox keeps accepted messages. A Put error makes the server answer 451
// (try again later), so the client keeps its copy.
type Outbox interface {
	Put(ctx context.Context, m Mail) error
}

// MaxMessageBytes bounds one message (SIZE extension).
const MaxMessageBytes = 10 << 20

// Server is a running sink.
type Server struct {
	ln     net.Listener
	out    Outbox
	wg     sync.WaitGroup
	closed chan struct{}
}

// Listen starts a sink on a free loopback port.
func Listen(out Outbox) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &Server{ln: ln, out: out, closed: make(chan struct{})}
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// Addr is host:port of the listener.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL is an smtp:// URL for the email provider (no TLS on loopback).
func (s *Server) URL() string { return "smtp://" + s.Addr() + "?tls=none" }

// Close stops accepting and waits for open sessions to end.
func (s *Server) Close() error {
	close(s.closed)
	err := s.ln.Close()
	s.wg.Wait()
	return err
}

func (s *Server) serve() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer c.Close()
			s.session(c)
		}()
	}
}

type session struct {
	r    *bufio.Reader
	w    *bufio.Writer
	from string
	to   []string
	helo bool
}

// reply answers a command. Replies to a client's pipelined commands
// (PIPELINING, RFC 2920) wait in the buffer until every command it has
// sent is read, and then go in one write, as the RFC asks of a server
// (§3.2: flush when the next read would block).
func (ss *session) reply(code int, text string) {
	fmt.Fprintf(ss.w, "%d %s\r\n", code, text)
	if ss.r.Buffered() == 0 {
		ss.w.Flush()
	}
}

func (s *Server) session(c net.Conn) {
	ss := &session{r: bufio.NewReaderSize(c, 4096), w: bufio.NewWriter(c)}
	defer ss.w.Flush() // a last reply held back for pipelined input (421, 221)
	ss.reply(220, "yuanxu sandbox SMTP ready")
	for {
		_ = c.SetDeadline(time.Now().Add(2 * time.Minute))
		select {
		case <-s.closed:
			ss.reply(421, "shutting down")
			return
		default:
		}
		line, err := readLine(ss.r, 1000)
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ss.helo = true
			fmt.Fprintf(ss.w, "250-yuanxu sandbox\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250-PIPELINING\r\n250 SIZE %d\r\n", MaxMessageBytes)
			ss.w.Flush()
		case "HELO":
			ss.helo = true
			ss.reply(250, "yuanxu sandbox")
		case "MAIL":
			addr, ok := pathArg(arg, "FROM:")
			if !ss.helo || !ok {
				ss.reply(503, "send EHLO first, then MAIL FROM:<address>")
				continue
			}
			ss.from, ss.to = addr, nil
			ss.reply(250, "ok")
		case "RCPT":
			addr, ok := pathArg(arg, "TO:")
			if ss.from == "" {
				ss.reply(503, "MAIL FROM first")
				continue
			}
			if !ok || addr == "" {
				ss.reply(501, "syntax: RCPT TO:<address>")
				continue
			}
			if len(ss.to) >= 100 {
				ss.reply(452, "too many recipients")
				continue
			}
			ss.to = append(ss.to, addr)
			ss.reply(250, "ok")
		case "DATA":
			if len(ss.to) == 0 {
				ss.reply(503, "no recipients")
				continue
			}
			ss.reply(354, "end with <CRLF>.<CRLF>")
			data, err := readData(ss.r, MaxMessageBytes)
			if errors.Is(err, errTooLarge) {
				ss.reply(552, "message too large")
				ss.from, ss.to = "", nil
				continue
			}
			if err != nil {
				return
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			perr := s.out.Put(ctx, Mail{From: ss.from, To: ss.to, Data: data, At: time.Now().UTC()})
			cancel()
			if perr != nil {
				ss.reply(451, "could not store the message; try again later")
			} else {
				ss.reply(250, "ok: queued in the sandbox outbox")
			}
			ss.from, ss.to = "", nil
		case "RSET":
			ss.from, ss.to = "", nil
			ss.reply(250, "ok")
		case "NOOP":
			ss.reply(250, "ok")
		case "QUIT":
			ss.reply(221, "bye")
			return
		case "STARTTLS", "AUTH":
			ss.reply(502, "not offered by the sandbox sink")
		default:
			ss.reply(500, "command not recognised")
		}
	}
}

// pathArg parses "FROM:<addr> [params]" or "TO:<addr>".
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}

var errTooLarge = errors.New("smtpsink: message too large")

func readLine(r *bufio.Reader, max int) (string, error) {
	var b []byte
	for {
		chunk, isPrefix, err := r.ReadLine()
		if err != nil {
			return "", err
		}
		b = append(b, chunk...)
		if len(b) > max {
			return "", errTooLarge
		}
		if !isPrefix {
			return string(b), nil
		}
	}
}

// readData reads the DATA section up to the lone dot, undoing dot-stuffing.
// Over max bytes it keeps reading to the end (so the session stays in step)
// and reports errTooLarge.
func readData(r *bufio.Reader, max int) ([]byte, error) {
	var buf bytes.Buffer
	tooLarge := false
	for {
		line, err := r.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			if !tooLarge {
				buf.Write(line)
			}
			continue
		}
		if err != nil {
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		trimmed := bytes.TrimRight(line, "\r\n")
		if len(trimmed) == 1 && trimmed[0] == '.' {
			break
		}
		if len(trimmed) > 0 && trimmed[0] == '.' {
			line = line[1:]
		}
		if !tooLarge {
			buf.Write(line)
			if buf.Len() > max {
				tooLarge = true
				buf.Reset()
			}
		}
	}
	if tooLarge {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}
