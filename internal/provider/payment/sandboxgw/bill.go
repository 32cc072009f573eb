package sandboxgw

import (
	"archive/zip"
	"bytes"
	"crypto/sha1"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"

	"yuanxu/internal/money"
	"yuanxu/internal/provider/payment"
)

// billTTL is how long a bill download URL works (both gateways: 30 s).
const billTTL = 30 * time.Second

// bill is a bill file behind a download token.
type bill struct {
	gateway     string
	data        []byte
	contentType string
	expires     time.Time
}

// putBill stores a bill and returns its token.
func (s *Server) putBill(gateway string, data []byte, contentType string) string {
	token := hexID(16)
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, b := range s.bills {
		if now.After(b.expires) {
			delete(s.bills, k)
		}
	}
	s.bills[token] = bill{gateway: gateway, data: data, contentType: contentType, expires: now.Add(billTTL)}
	return token
}

func (s *Server) takeBill(gateway, token string) ([]byte, string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.bills[token]
	if !ok || b.gateway != gateway || time.Now().After(b.expires) {
		return nil, "", false
	}
	return b.data, b.contentType, true
}

// billReady reports whether day's bill may be served: never for a future
// day; for today only unless StrictBills.
func (s *Server) billReady(day time.Time) bool {
	today := payment.BillDate(s.opts.Now())
	d := payment.BillDate(day)
	return d < today || (d == today && !s.opts.StrictBills)
}

// billLine is one payment or refund in a day.
type billLine struct {
	t      Trade
	refund *Refund
	at     time.Time
}

// billLines lists gateway's payments and successful refunds of day
// (China), in time order.
func (s *Server) billLines(gateway string, day time.Time) []billLine {
	d := payment.BillDate(day)
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []billLine
	for _, t := range s.trades {
		if t.Gateway != gateway || t.PaidAt.IsZero() {
			continue
		}
		snap := *t
		snap.Refunds = nil
		if payment.BillDate(t.PaidAt) == d {
			out = append(out, billLine{t: snap, at: t.PaidAt})
		}
		for _, rf := range t.Refunds {
			if rf.Succeeded && payment.BillDate(rf.SucceededAt) == d {
				out = append(out, billLine{t: snap, refund: &rf, at: rf.SucceededAt})
			}
		}
	}
	slices.SortStableFunc(out, func(a, b billLine) int { return a.at.Compare(b.at) })
	return out
}

// alipayBillZip is Alipay's trade bill of day: a zip holding the detail
// (业务明细) and summary (业务明细(汇总)) CSV files, GBK in names and
// contents, "#" comment lines around the table, long numbers padded with
// a tab so spreadsheets keep them, refunds as negative amounts.
func (s *Server) alipayBillZip(day time.Time) []byte {
	lines := s.billLines(payment.Alipay, day)
	day = day.In(payment.China)
	start := time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, payment.China)
	cn := func(t time.Time) string { return t.In(payment.China).Format("2006年01月02日 15:04:05") }
	account := s.keys.AlipaySellerID + "0156"

	var detail bytes.Buffer
	fmt.Fprintf(&detail, "#支付宝业务明细查询\n#账号：[%s]\n#起始日期：[%s]   终止日期：[%s]\n", account, cn(start), cn(start.AddDate(0, 0, 1)))
	detail.WriteString("#-----------------------------------------业务明细列表----------------------------------------\n")
	cw := csv.NewWriter(&detail)
	_ = cw.Write([]string{"支付宝交易号", "商户订单号", "业务类型", "商品名称", "创建时间", "完成时间", "门店编号", "门店名称", "操作员", "终端号",
		"对方账户", "订单金额（元）", "商家实收（元）", "支付宝红包（元）", "集分宝（元）", "支付宝优惠（元）", "商家优惠（元）", "券核销金额（元）",
		"券名称", "商家红包消费金额（元）", "卡消费金额（元）", "退款批次号/请求号", "服务费（元）", "分润（元）", "备注"})
	var paidN, refundN int
	var paid, refunded money.Fen
	for _, l := range lines {
		kind, amount, reqNo := "交易", l.t.Amount, ""
		if l.refund != nil {
			kind, amount, reqNo = "退款", -l.refund.Amount, l.refund.RefundRef
			refundN, refunded = refundN+1, refunded+l.refund.Amount
		} else {
			paidN, paid = paidN+1, paid+l.t.Amount
		}
		_ = cw.Write([]string{l.t.TradeNo + "\t", l.t.Ref + "\t", kind, l.t.Subject, l.t.CreatedAt.In(payment.China).Format(alipayTime),
			l.at.In(payment.China).Format(alipayTime), "", "", "", "", alipayBuyerLogon, amount.Yuan(), amount.Yuan(),
			"0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00", reqNo, "0.00", "0.00", ""})
	}
	cw.Flush()
	detail.WriteString("#-----------------------------------------业务明细列表结束------------------------------------\n")
	fmt.Fprintf(&detail, "#交易合计：%d笔，商家实收共%s元，商家优惠共0.00元\n#退款合计：%d笔，商家实收退款共%s元，商家优惠退款共0.00元\n#导出时间：[%s]\n",
		paidN, paid.Yuan(), refundN, refunded.Yuan(), cn(time.Now()))

	var summary bytes.Buffer
	fmt.Fprintf(&summary, "#支付宝业务汇总查询\n#账号：[%s]\n#起始日期：[%s]   终止日期：[%s]\n", account, cn(start), cn(start.AddDate(0, 0, 1)))
	sw := csv.NewWriter(&summary)
	_ = sw.Write([]string{"门店编号", "门店名称", "交易订单总笔数", "退款订单总笔数", "订单金额（元）", "商家实收（元）"})
	_ = sw.Write([]string{"", "", fmt.Sprint(paidN), fmt.Sprint(refundN), (paid - refunded).Yuan(), (paid - refunded).Yuan()})
	sw.Flush()
	fmt.Fprintf(&summary, "#导出时间：[%s]\n", cn(time.Now()))

	gbk := encoding.ReplaceUnsupported(simplifiedchinese.GBK.NewEncoder())
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	base := account + "_" + day.Format("20060102")
	for _, f := range []struct {
		name string
		data []byte
	}{{base + "_业务明细.csv", detail.Bytes()}, {base + "_业务明细(汇总).csv", summary.Bytes()}} {
		name, _ := gbk.String(f.name)
		data, _ := gbk.Bytes(f.data)
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: time.Now(), NonUTF8: true})
		if err == nil {
			_, _ = w.Write(data)
		}
	}
	_ = zw.Close()
	return out.Bytes()
}

// serveAlipayBill is the bill download URL: the token is the only
// credential, and it lasts 30 seconds.
func (s *Server) serveAlipayBill(w http.ResponseWriter, r *http.Request) {
	data, ct, ok := s.takeBill(payment.Alipay, r.URL.Query().Get("token"))
	if !ok {
		http.Error(w, "账单链接已失效", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(data)
}

// wechatTradeBillCSV is WeChat Pay's trade bill: a header, one line per
// event with every cell prefixed by "`", and a summary.
func (s *Server) wechatTradeBillCSV(lines []billLine) []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(strings.Split("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,"+
		"应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注", ","))
	var paid, refunded money.Fen
	tick := func(cells ...string) []string {
		for i := range cells {
			cells[i] = "`" + cells[i]
		}
		return cells
	}
	for _, l := range lines {
		at := l.at.In(payment.China).Format(time.DateTime)
		if l.refund == nil {
			paid += l.t.Amount
			a := l.t.Amount.Yuan()
			_ = cw.Write(tick(at, s.keys.WeChatAppID, s.keys.WeChatMchID, "0", "", l.t.TradeNo, l.t.Ref, wechatOpenID, "NATIVE", "SUCCESS",
				"OTHERS", "CNY", a, "0.00", "0", "0", "0.00", "0.00", "", "", l.t.Subject, "", "0.00000", "0.60%", a, "0.00", ""))
			continue
		}
		refunded += l.refund.Amount
		a := l.refund.Amount.Yuan()
		_ = cw.Write(tick(at, s.keys.WeChatAppID, s.keys.WeChatMchID, "0", "", l.t.TradeNo, l.t.Ref, wechatOpenID, "NATIVE", "REFUND",
			"OTHERS", "CNY", "0.00", "0.00", l.refund.RefundNo, l.refund.RefundRef, a, "0.00", "ORIGINAL", "SUCCESS", l.t.Subject, "",
			"0.00000", "0.60%", "0.00", a, ""))
	}
	_ = cw.Write([]string{"总交易单数", "应结订单总金额", "退款总金额", "充值券退款总金额", "手续费总金额", "订单总金额", "申请退款总金额"})
	_ = cw.Write(tick(fmt.Sprint(len(lines)), paid.Yuan(), refunded.Yuan(), "0.00", "0.00000", paid.Yuan(), refunded.Yuan()))
	cw.Flush()
	return buf.Bytes()
}

// wechatTradeBill is GET /v3/bill/tradebill?bill_date=…&bill_type=….
func (s *Server) wechatTradeBill(r *http.Request, _ []byte) wechatReply {
	q := r.URL.Query()
	day, err := time.ParseInLocation(time.DateOnly, q.Get("bill_date"), payment.China)
	if err != nil {
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "bill_date 非法")
	}
	if q.Get("tar_type") != "" {
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "沙箱不支持压缩账单")
	}
	typ := q.Get("bill_type")
	if typ == "" {
		typ = "ALL"
	}
	if typ != "ALL" && typ != "SUCCESS" && typ != "REFUND" {
		return wechatErr(http.StatusBadRequest, "PARAM_ERROR", "bill_type 非法")
	}
	if payment.BillDate(day) > payment.BillDate(s.opts.Now()) {
		return wechatErr(http.StatusBadRequest, "INVALID_REQUEST", "账单日期错误")
	}
	if !s.billReady(day) {
		return wechatErr(http.StatusBadRequest, "STATEMENT_CREATING", "账单生成中")
	}
	lines := slices.DeleteFunc(s.billLines(payment.WeChatPay, day), func(l billLine) bool {
		return typ == "SUCCESS" && l.refund != nil || typ == "REFUND" && l.refund == nil
	})
	if len(lines) == 0 {
		return wechatErr(http.StatusBadRequest, "NO_STATEMENT_EXIST", "账单文件不存在")
	}
	data := s.wechatTradeBillCSV(lines)
	sum := sha1.Sum(data)
	token := s.putBill(payment.WeChatPay, data, "text/csv; charset=utf-8")
	return wechatReply{http.StatusOK, map[string]string{"hash_type": "SHA1", "hash_value": hex.EncodeToString(sum[:]),
		"download_url": s.url + "/v3/billdownload/file?token=" + token}}
}

// wechatBillDownload serves a bill to a signed request; the answer is not
// signed (the caller checks the SHA-1 it was given).
func (s *Server) wechatBillDownload(w http.ResponseWriter, r *http.Request) {
	if err := s.authWeChat(r, nil); err != nil {
		s.wechatAnswer(w, wechatErr(http.StatusUnauthorized, "SIGN_ERROR", "签名错误: "+err.Error()))
		return
	}
	data, ct, ok := s.takeBill(payment.WeChatPay, r.URL.Query().Get("token"))
	if !ok {
		s.wechatAnswer(w, wechatErr(http.StatusNotFound, "RESOURCE_NOT_EXISTS", "账单链接已失效"))
		return
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write(data)
}
