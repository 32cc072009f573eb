package notify

import "fmt"

// Preferences are a recipient's opt-outs: marketing, per channel. Nothing
// else can be opted out of, so the model has no place to say so.
type Preferences struct {
	MarketingOptOut map[Channel]bool
}

// Allows reports whether a message of category cat may go to channel c
// under p. Legal and transactional messages always may.
func (p Preferences) Allows(cat Category, c Channel) bool {
	if cat != Marketing {
		return true
	}
	return !p.MarketingOptOut[c]
}

// CheckOptOut validates a requested opt-out: only Marketing, on a known
// channel. Errors wrap ErrOptOutLegal (legal and transactional messages are
// never optional) or are invalid-channel errors.
func CheckOptOut(cat Category, c Channel) error {
	if cat != Marketing {
		return fmt.Errorf("%w: %s messages are always sent", ErrOptOutLegal, cat)
	}
	if !c.Valid() {
		return fmt.Errorf("%w: unknown channel %q", ErrOptOutLegal, c)
	}
	return nil
}
