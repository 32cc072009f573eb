// Package agreement is the pure domain of the consumer-protection agreement
// (DESIGN.md §1 "agreement as code", §2 "agreement", §3, §4): documents with
// stable clause ids, their policy parameters, key clauses and their
// plain-language explanations, the linter, the one registry through which
// code cites clauses, the version state machine, clause diffs and acceptance
// records. It does no I/O and imports neither database/sql nor net/http.
//
// # Document format
//
// An agreement is UTF-8 Markdown. Parse reads it line by line; every error
// and every lint Finding names its 1-based line.
//
// Front matter comes first: a line "---", "key: value" lines, and a closing
// "---". Blank lines and lines starting with "#" are ignored; an unknown or
// repeated key is an error. Keys:
//
//	title:          the agreement's name (optional)
//	entity.name:    the legal entity that offers the agreement (required)
//	entity.uscc:    its unified social credit code, GB 32100 (optional; checked when given)
//	entity.address: its registered address (optional)
//	signatory:      the name the agreement is signed in (required; the linter
//	                reports a signatory that differs from entity.name)
//
// A clause starts with an ATX heading (one to six "#") that ends in a
// Pandoc-style attribute marker holding the clause id and, for a key
// clause, the class ".key":
//
//	## 三、退款规则 / Refunds {#3}
//	### 3.2.1 家庭宽带线路 / Home-broadband lines {#3.2.1 .key}
//
// Clause ids are dot-separated segments of ASCII letters and digits
// ("1", "3.1.a", "A"); they follow the seed's numbering (DESIGN.md §3:
// 三(一) → 3.1, its first condition → 3.1.a, 九4 → 9.4) and are unique in a
// document. The heading text before the marker is the title; by convention
// it is "中文标题 / English title". A heading without a marker is not a
// clause (the document's own title, for instance); a heading holding a
// malformed marker is an error. A clause's body is every line after its
// heading up to the next heading, outside fenced blocks.
//
// Each clause is bilingual: its Chinese text comes first, then the line
// "<!-- en -->" (invisible when the Markdown is rendered), then the English
// rendering. [Clause.In] splits the two.
//
// A clause may carry explanations, in plain language, for "explain this
// clause"; a key clause must carry both:
//
//	> explain.zh: 家庭宽带线路开通后不能无理由退款，但线路不通或有故障时仍可要求修复或退款。
//	> explain.en: Once a home-broadband line is opened there is no no-fault refund; a dead or faulty line is still put right or refunded.
//
// Explanation lines are not part of the body.
//
// Exactly one fenced block whose info string is "policy" holds the policy
// parameters of DESIGN.md §3, one "key = value" a line ("#" starts a
// comment line). The values are checked by policy.Parse: an unknown key, a
// badly typed or out-of-range value, or a missing key without a default is
// an error naming the line. Required keys that have a default must still be
// stated (the linter reports them), so that the customer reads every
// number the agreement promises.
//
// The document's SHA256 is the hex SHA-256 of its canonical bytes: the
// source without a byte-order mark, with CRLF and CR turned into LF,
// trailing blanks removed from every line, and exactly one final newline.
// An acceptance record carries this digest.
//
// # Linting
//
// [Lint] checks a parsed document before it may be scheduled: no drafting
// placeholder ("[X]", "【X】", "XX" as a token, "[ ]", "（ ）", "___",
// "{{…}}"), the party equal to the signatory, every required policy key
// stated, every clause id the code cites present, and the key clauses
// DESIGN.md names marked ".key". [LintText] checks a plain-text agreement
// that has no clause ids for placeholders and a party/signatory mismatch
// (the company named first against the company named in the closing
// signature). [LintSource] picks the right one for any file and also turns
// parse errors into findings.
//
// # Citations
//
// Code cites clauses only through the constants of this package (Clause…)
// and records where it does so with [Cite]; [CitedIDs] adds the clauses of
// every policy parameter. A test checks that each of them exists in the
// shipped default agreement, and [Lint] checks it for any other version.
//
// # Versions and acceptance
//
// A [Version] moves draft → scheduled → effective → superseded ([Schedule],
// [Activate], [Supersede]; [Unschedule] returns a scheduled version to
// draft). [Diff] compares two documents clause by clause with a unified
// line diff of changed bodies. An [Acceptance] records which version (by
// id and SHA256) a customer accepted, which clauses they acknowledged
// (every key clause, one by one), when, from where and through which
// channel; [ValidateAcceptance] checks it.
package agreement
