package account

// BlockHasherForTest takes every slot of h's semaphore and returns the
// function that gives them back.
func BlockHasherForTest(h *Hasher) (release func()) {
	n := cap(h.sem)
	for range n {
		h.sem <- struct{}{}
	}
	return func() {
		for range n {
			<-h.sem
		}
	}
}
