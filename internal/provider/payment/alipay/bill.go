package alipay

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	sdk "github.com/smartwalle/alipay/v3"
	"golang.org/x/text/encoding/simplifiedchinese"

	"yuanxu/internal/provider/payment"
)

// MaxBillSize bounds a downloaded bill archive and each file in it.
const MaxBillSize = 64 << 20

// Bill asks alipay.data.dataservice.bill.downloadurl.query for the trade
// bill of day (bill_type "trade", bill_date yyyy-MM-dd in China), downloads
// the zip it points to (an unsigned URL with a short-lived token) and
// reads the 业务明细 CSV: 业务类型 交易 is a payment, 退款 a refund (its
// amounts are negative in the file; entries carry them positive). Other
// business types are skipped. A bill Alipay has not generated yet
// (isp.bill_not_exist; a day's bill appears after 09:00 the next day) is
// ErrNotFound.
func (c *Client) Bill(ctx context.Context, day time.Time) ([]payment.BillEntry, error) {
	rsp, err := c.sdk.BillDownloadURLQuery(ctx, sdk.BillDownloadURLQuery{BillType: "trade", BillDate: payment.BillDate(day)})
	if err := check(rsp, err, func() sdk.Error { return rsp.Error }); err != nil {
		var ge *payment.GatewayError
		if errors.As(err, &ge) && ge.Code == "isp.bill_not_exist" {
			ge.NotFound, ge.Temporary = true, true
		}
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rsp.BillDownloadURL, nil)
	if err != nil {
		return nil, fmt.Errorf("alipay: bill URL: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("alipay: bill download: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("alipay: bill download: HTTP %d", resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxBillSize+1))
	if err != nil {
		return nil, fmt.Errorf("alipay: bill download: %w", err)
	}
	if len(b) > MaxBillSize {
		return nil, errors.New("alipay: bill archive too large")
	}
	return ParseBillZip(b)
}

// ParseBillZip reads Alipay's trade bill archive: a zip holding
// "<pid>_<yyyymmdd>_业务明细.csv" and "…_业务明细(汇总).csv", GBK-encoded
// in names and contents. It reads the detail file.
func ParseBillZip(b []byte) ([]payment.BillEntry, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return nil, fmt.Errorf("alipay: bill archive: %w", err)
	}
	for _, f := range zr.File {
		name := f.Name
		if !utf8.ValidString(name) {
			if name, err = simplifiedchinese.GBK.NewDecoder().String(name); err != nil {
				continue
			}
		}
		if !strings.HasSuffix(name, "业务明细.csv") {
			continue // the summary file ends in 业务明细(汇总).csv
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("alipay: bill file: %w", err)
		}
		raw, err := io.ReadAll(io.LimitReader(rc, MaxBillSize+1))
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("alipay: bill file: %w", err)
		}
		if len(raw) > MaxBillSize {
			return nil, errors.New("alipay: bill file too large")
		}
		text, err := simplifiedchinese.GBK.NewDecoder().Bytes(raw)
		if err != nil {
			return nil, fmt.Errorf("alipay: bill file is not GBK: %w", err)
		}
		return ParseBillCSV(text)
	}
	return nil, errors.New("alipay: bill archive holds no 业务明细.csv")
}

// Bill columns read, by header name (full-width parentheses normalised).
const (
	colTradeNo   = "支付宝交易号"
	colRef       = "商户订单号"
	colType      = "业务类型"
	colDone      = "完成时间"
	colAmount    = "订单金额(元)"
	colRefundRef = "退款批次号/请求号"
)

// ParseBillCSV reads the UTF-8 text of a 业务明细 file: "#" comment lines
// around a header line and one line per business event. Cells are trimmed
// of the spaces and tabs Alipay pads numbers with.
func ParseBillCSV(text []byte) ([]payment.BillEntry, error) {
	var data bytes.Buffer
	for line := range strings.Lines(string(text)) {
		if strings.HasPrefix(strings.TrimSpace(line), "#") || strings.TrimSpace(line) == "" {
			continue
		}
		data.WriteString(line)
	}
	r := csv.NewReader(&data)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err == io.EOF {
		return nil, errors.New("alipay: bill has no header line")
	}
	if err != nil {
		return nil, fmt.Errorf("alipay: bill header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		h = strings.NewReplacer("（", "(", "）", ")").Replace(strings.Trim(h, " \t\ufeff"))
		col[h] = i
	}
	for _, c := range []string{colTradeNo, colRef, colType, colDone, colAmount, colRefundRef} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("alipay: bill lacks column %s", c)
		}
	}
	var out []payment.BillEntry
	for n := 2; ; n++ {
		rec, err := r.Read()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("alipay: bill line %d: %w", n, err)
		}
		cell := func(name string) string {
			if i := col[name]; i < len(rec) {
				return strings.Trim(rec[i], " \t")
			}
			return ""
		}
		var kind payment.BillEntryKind
		switch cell(colType) {
		case "交易":
			kind = payment.BillPayment
		case "退款":
			kind = payment.BillRefund
		default:
			continue
		}
		amount, err := payment.ParseSignedAmount(cell(colAmount))
		if err != nil {
			return nil, fmt.Errorf("alipay: bill line %d: %w", n, err)
		}
		if amount < 0 {
			amount = -amount
		}
		at := parseTime(cell(colDone))
		if at.IsZero() || cell(colRef) == "" {
			return nil, fmt.Errorf("alipay: bill line %d: no 商户订单号 or 完成时间", n)
		}
		e := payment.BillEntry{Kind: kind, Ref: cell(colRef), GatewayTradeNo: cell(colTradeNo), Amount: amount, At: at}
		if kind == payment.BillRefund {
			e.RefundRef = cell(colRefundRef)
		}
		out = append(out, e)
	}
}
