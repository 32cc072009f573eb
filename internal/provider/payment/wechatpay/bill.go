package wechatpay

import (
	"context"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/wechatpay-apiv3/wechatpay-go/core"
	"github.com/wechatpay-apiv3/wechatpay-go/core/auth/validators"

	"yuanxu/internal/provider/payment"
)

// MaxBillSize bounds a downloaded bill.
const MaxBillSize = 64 << 20

// Bill asks /v3/bill/tradebill for the day's bill of all trades (bill_type
// ALL), downloads it from the announced download_url — which must be on
// the API host, since the request carries our signature — and checks its
// SHA-1 before reading it. NO_STATEMENT_EXIST (no trade that day) is an
// empty bill; STATEMENT_CREATING (before 10:00 the next day) is a
// temporary *payment.GatewayError.
func (c *Client) Bill(ctx context.Context, day time.Time) ([]payment.BillEntry, error) {
	q := url.Values{"bill_date": {payment.BillDate(day)}, "bill_type": {"ALL"}}
	res, err := c.core.Get(ctx, strings.TrimSuffix(c.cfg.BaseURL, "/")+"/v3/bill/tradebill?"+q.Encode())
	if err := c.check(res, err); err != nil {
		var ge *payment.GatewayError
		if errors.As(err, &ge) {
			switch ge.Code {
			case "NO_STATEMENT_EXIST":
				return nil, nil
			case "STATEMENT_CREATING":
				ge.Temporary = true
			}
		}
		return nil, err
	}
	var meta struct {
		HashType    string `json:"hash_type"`
		HashValue   string `json:"hash_value"`
		DownloadURL string `json:"download_url"`
	}
	if err := core.UnMarshalResponse(res.Response, &meta); err != nil {
		return nil, fmt.Errorf("wechatpay: tradebill answer: %w", err)
	}
	du, err := url.Parse(meta.DownloadURL)
	if err != nil || du.Host != c.base.Host || du.Scheme != c.base.Scheme {
		return nil, fmt.Errorf("wechatpay: download_url %q is not on %s", meta.DownloadURL, c.base.Host)
	}
	if meta.HashType != "SHA1" {
		return nil, fmt.Errorf("wechatpay: bill hash type %q", meta.HashType)
	}
	// The download is signed by us, not by WeChat Pay: no answer validator,
	// the hash instead.
	dl := core.NewClientWithValidator(c.core, &validators.NullValidator{})
	res, err = dl.Get(ctx, meta.DownloadURL)
	if err := c.check(res, err); err != nil {
		return nil, err
	}
	defer res.Response.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Response.Body, MaxBillSize+1))
	if err != nil {
		return nil, fmt.Errorf("wechatpay: bill download: %w", err)
	}
	if len(b) > MaxBillSize {
		return nil, errors.New("wechatpay: bill too large")
	}
	sum := sha1.Sum(b)
	if !strings.EqualFold(hex.EncodeToString(sum[:]), meta.HashValue) {
		return nil, fmt.Errorf("wechatpay: bill download: %w: SHA-1 differs from hash_value", payment.ErrBadSignature)
	}
	return ParseTradeBill(b)
}

// Trade bill columns read, by header name.
const (
	colTime        = "交易时间"
	colTradeNo     = "微信订单号"
	colRef         = "商户订单号"
	colState       = "交易状态"
	colTotal       = "订单金额"
	colRefundNo    = "微信退款单号"
	colRefundRef   = "商户退款单号"
	colRefundFee   = "退款金额"
	colSummaryHead = "总交易单数"
)

// ParseTradeBill reads a trade bill (bill_type ALL): a header line, one
// line per trade event with every cell prefixed by "`" (so spreadsheets
// keep long numbers), then a summary header starting 总交易单数 and its
// line. 交易状态 SUCCESS is a payment (订单金额); REFUND a refund
// (退款金额, 商户退款单号). Other states are skipped.
func ParseTradeBill(b []byte) ([]payment.BillEntry, error) {
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\ufeff")))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("wechatpay: bill header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, c := range []string{colTime, colTradeNo, colRef, colState, colTotal, colRefundNo, colRefundRef, colRefundFee} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("wechatpay: bill lacks column %s", c)
		}
	}
	var out []payment.BillEntry
	for n := 2; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			return nil, errors.New("wechatpay: bill has no summary")
		}
		if err != nil {
			return nil, fmt.Errorf("wechatpay: bill line %d: %w", n, err)
		}
		if len(rec) > 0 && strings.TrimSpace(rec[0]) == colSummaryHead {
			return out, nil
		}
		cell := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.TrimPrefix(strings.TrimSpace(rec[i]), "`")
			}
			return ""
		}
		at, err := time.ParseInLocation(time.DateTime, cell(colTime), payment.China)
		if err != nil {
			return nil, fmt.Errorf("wechatpay: bill line %d: 交易时间: %w", n, err)
		}
		e := payment.BillEntry{Ref: cell(colRef), GatewayTradeNo: cell(colTradeNo), At: at}
		amount := colTotal
		switch cell(colState) {
		case "SUCCESS":
			e.Kind = payment.BillPayment
		case "REFUND":
			e.Kind, e.RefundRef, e.GatewayRefundNo, amount = payment.BillRefund, cell(colRefundRef), cell(colRefundNo), colRefundFee
		default:
			continue
		}
		if e.Amount, err = payment.ParseAmount(cell(amount)); err != nil {
			return nil, fmt.Errorf("wechatpay: bill line %d: %w", n, err)
		}
		if e.Ref == "" {
			return nil, fmt.Errorf("wechatpay: bill line %d: no 商户订单号", n)
		}
		out = append(out, e)
	}
}
