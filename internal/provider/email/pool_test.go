package email_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"yuanxu/internal/mailpittest"
	"yuanxu/internal/provider/email"
	"yuanxu/internal/testutil/tcprelay"
)

// relayTo starts a TCP relay in front of mailpit that counts the
// connections the client opens and can cut them all, as a relay that drops
// idle sessions does, and returns it with its smtp:// URL.
func relayTo(t *testing.T, mp *mailpittest.Server) (*tcprelay.Relay, string) {
	t.Helper()
	r := tcprelay.Start(t, strings.TrimSuffix(strings.TrimPrefix(mp.SMTPURL("none"), "smtp://"), "?tls=none"))
	return r, "smtp://" + r.Addr() + "?tls=none"
}

func pooled(t *testing.T, url string, maxIdle int, idle time.Duration) *email.Client {
	return pooledConns(t, url, 0, maxIdle, idle)
}

func pooledConns(t *testing.T, url string, maxConns, maxIdle int, idle time.Duration) *email.Client {
	t.Helper()
	ep, err := email.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c, err := email.New(email.Config{Endpoint: ep, From: "元序 <noreply@yuanxu.test>", Timeout: 5 * time.Second, MaxConns: maxConns, MaxIdle: maxIdle, IdleTimeout: idle})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func msg(id string) email.Message {
	return email.Message{To: "buyer@example.com", Subject: "订单 " + id, Text: "t", MessageID: id + "@yuanxu.test"}
}

// TestConnectionReuse: messages share connections — sequential ones one,
// concurrent ones never more than MaxConns — and each arrives exactly once; a
// relay that drops an idle connection costs a new one, not a message; an
// idle connection closes after IdleTimeout; MaxIdle < 0 dials per message.
func TestConnectionReuse(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	send := func(t *testing.T, c *email.Client, ids ...string) {
		t.Helper()
		for _, id := range ids {
			if _, err := c.Send(ctx, msg(id)); err != nil {
				t.Fatalf("send %s: %v", id, err)
			}
		}
	}
	wantArrived := func(t *testing.T, mp *mailpittest.Server, n int) {
		t.Helper()
		got := mp.WaitFor(t, n, 10*time.Second)
		seen := map[string]int{}
		for _, m := range got {
			seen[m.MessageID]++
		}
		if len(got) != n || len(seen) != n {
			t.Errorf("arrived %d messages with %d distinct Message-IDs, want %d each once: %v", len(got), len(seen), n, seen)
		}
	}

	t.Run("SequentialShareOne", func(t *testing.T) {
		t.Parallel()
		mp := mailpittest.Start(t, mailpittest.Options{})
		r, url := relayTo(t, mp)
		c := pooled(t, url, 0, time.Minute)
		send(t, c, "s1", "s2", "s3", "s4", "s5")
		if acc, open := r.Counts(); acc != 1 || open != 1 {
			t.Errorf("connections accepted %d, open %d; want 1 kept open", acc, open)
		}
		wantArrived(t, mp, 5)

		r.Cut() // the relay drops the idle session
		r.WaitOpen(t, 0)
		send(t, c, "s6")
		if acc, _ := r.Counts(); acc != 2 {
			t.Errorf("after the relay dropped the idle connection: accepted %d, want 2", acc)
		}
		wantArrived(t, mp, 6)

		c.Close()
		r.WaitOpen(t, 0)
	})

	t.Run("ConcurrentAtMostMaxConns", func(t *testing.T) {
		t.Parallel()
		mp := mailpittest.Start(t, mailpittest.Options{})
		r, url := relayTo(t, mp)
		c := pooledConns(t, url, 3, 2, time.Minute)
		var wg sync.WaitGroup
		errc := make(chan error, 24)
		for w := range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 4 {
					if _, err := c.Send(ctx, msg(fmt.Sprintf("c%d-%d", w, i))); err != nil {
						errc <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errc)
		for err := range errc {
			t.Error(err)
		}
		wantArrived(t, mp, 24)
		r.WaitOpen(t, 2) // MaxIdle stay, the rest were closed
		acc, _ := r.Counts()
		most := r.MostOpen()
		if most > 3 || acc > 12 { // a third of the sends at most find both idle ones taken
			t.Errorf("24 messages from 6 senders, at most 3 connections: %d opened, %d open at once", acc, most)
		}
	})

	t.Run("IdleTimeoutCloses", func(t *testing.T) {
		t.Parallel()
		mp := mailpittest.Start(t, mailpittest.Options{})
		r, url := relayTo(t, mp)
		c := pooled(t, url, 0, 200*time.Millisecond)
		send(t, c, "i1")
		r.WaitOpen(t, 0)
		send(t, c, "i2")
		if acc, _ := r.Counts(); acc != 2 {
			t.Errorf("accepted %d, want a new connection after the idle one closed", acc)
		}
		wantArrived(t, mp, 2)
	})

	t.Run("NoPool", func(t *testing.T) {
		t.Parallel()
		mp := mailpittest.Start(t, mailpittest.Options{})
		r, url := relayTo(t, mp)
		c := pooled(t, url, -1, time.Minute)
		send(t, c, "n1", "n2", "n3")
		if acc, _ := r.Counts(); acc != 3 {
			t.Errorf("accepted %d, want one connection per message", acc)
		}
		r.WaitOpen(t, 0)
		wantArrived(t, mp, 3)
	})
}
