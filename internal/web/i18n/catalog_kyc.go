package i18n

import "yuanxu/internal/kyc"

// Real-name verification and data rights (issue 6): package kyc's own
// error, rule and warning texts, the reason catalog ("kyc.reason.<code>"),
// the app's codes, legal holds ("hold.<code>") and the pages.
func init() {
	m := map[string]Message{}
	for k, v := range kyc.Messages() {
		m[k] = Message{ZH: v.ZH, EN: v.EN}
	}
	for _, r := range kyc.Reasons() {
		m["kyc.reason."+string(r.Code)] = Message{ZH: r.Text.ZH, EN: r.Text.EN}
	}
	for k, v := range map[string]Message{
		"error.kyc.identity_taken":          {ZH: "该证件号码或统一社会信用代码已用于另一已认证账户；如需关联账户，请联系客服。", EN: "This identity number or credit code is already verified for another account; contact support to link accounts."},
		"error.kyc.subject_kind":            {ZH: "此认证表单不适用于您的账户类型。", EN: "This verification form does not fit your account type."},
		"error.kyc.note_required":           {ZH: "请填写说明。", EN: "A note is required."},
		"error.kyc.note_too_long":           {ZH: "说明最多 500 字。", EN: "The note is at most 500 characters."},
		"error.kyc.link_reason_required":    {ZH: "关联账户须填写原因。", EN: "Linking accounts needs a reason."},
		"error.kyc.link_source_unverified":  {ZH: "被关联的账户尚未通过实名认证。", EN: "The account to link to is not verified."},
		"error.kyc.verdict_invalid":         {ZH: "核验服务返回了无效结果，请稍后重试。", EN: "The verification service answered with an invalid result; try again later."},
		"error.kyc_submission.not_found":    {ZH: "未找到该认证申请。", EN: "No such verification submission."},
		"error.kyc_licence.not_found":       {ZH: "该申请没有营业执照文件。", EN: "This submission has no licence file."},
		"error.pii.purpose_invalid":         {ZH: "用途代码无效，可选：{values}。", EN: "Unknown purpose code; one of: {values}."},
		"error.pii.field_invalid":           {ZH: "字段无效，可选：{values}。", EN: "Unknown field; one of: {values}."},
		"error.account.closure_held":        {ZH: "存在法定保留事项，暂不能注销账户：{holds}。", EN: "The account cannot be closed while a legal hold applies: {holds}."},
		"error.account.closure_unconfirmed": {ZH: "请确认注销账户。", EN: "Confirm closing the account."},
		"rule.identity_taken":               {ZH: "已用于另一已认证账户。", EN: "Already verified for another account."},
		"rule.subject_kind":                 {ZH: "不适用于 {kind} 类型的账户。", EN: "Does not fit a {kind} account."},
		"rule.verified":                     {ZH: "该账户尚未认证。", EN: "That account is not verified."},

		"hold.kyc_review_in_progress": {ZH: "实名认证审核进行中", EN: "a real-name review is in progress"},
		"hold.standing_measure":       {ZH: "账户处于封禁或暂停状态，相关案件及申诉须保留证据", EN: "a ban or suspension is in force; its case and appeal need the evidence kept"},

		"kyc.state.unverified":        {ZH: "未认证", EN: "Not verified"},
		"kyc.state.pending":           {ZH: "审核中", EN: "Under review"},
		"kyc.state.info_requested":    {ZH: "需补充材料", EN: "More information needed"},
		"kyc.state.approved":          {ZH: "已认证", EN: "Verified"},
		"kyc.state.rejected":          {ZH: "未通过", EN: "Rejected"},
		"kyc.state.reverify_required": {ZH: "需重新认证", EN: "Re-verification required"},
		"kyc.state.superseded":        {ZH: "已被新申请取代", EN: "Replaced by a newer submission"},
		"kyc.subject.individual":      {ZH: "个人", EN: "Individual"},
		"kyc.subject.enterprise":      {ZH: "企业", EN: "Enterprise"},

		"page.kyc.title":             {ZH: "实名认证", EN: "Real-name verification"},
		"page.kyc.heading":           {ZH: "实名认证", EN: "Real-name verification"},
		"page.kyc.lead":              {ZH: "根据协议第 {clause} 条及《网络安全法》第二十六条、《反电信网络诈骗法》第二十一条，购买云服务器、VPN 线路、CDN、证书等需开通的产品前须完成实名认证。浏览和加入购物车无需认证。", EN: "Under clause {clause}, Cybersecurity Law art. 26 and Anti-Telecom-Fraud Law art. 21, real-name verification must be approved before paying for anything provisioned (cloud servers, VPN lines, CDN, certificates). Browsing and carts need none."},
		"page.kyc.status":            {ZH: "认证状态", EN: "Status"},
		"page.kyc.blocked":           {ZH: "在认证通过之前，您不能为需开通的产品付款（含续费新购）。已交付的服务不受影响。", EN: "Until verification is approved you cannot pay for provisioned products. Services already delivered keep running."},
		"page.kyc.allowed":           {ZH: "您已完成实名认证，可以购买需开通的产品。修改已认证的信息将需要重新审核。", EN: "You are verified and may buy provisioned products. Changing verified data sends it back to review."},
		"page.kyc.reason":            {ZH: "原因", EN: "Reason"},
		"page.kyc.note":              {ZH: "审核说明", EN: "Reviewer's note"},
		"page.kyc.current":           {ZH: "最近一次提交", EN: "Latest submission"},
		"page.kyc.form_individual":   {ZH: "个人实名认证", EN: "Individual verification"},
		"page.kyc.form_enterprise":   {ZH: "企业实名认证", EN: "Enterprise verification"},
		"page.kyc.name":              {ZH: "真实姓名", EN: "Full name"},
		"page.kyc.id_number":         {ZH: "身份证号码（或港澳台居民居住证号码）", EN: "Resident ID number (or HK/Macao/Taiwan residence permit)"},
		"page.kyc.id_hint":           {ZH: "18 位，末位可为 X。", EN: "18 characters; the last may be X."},
		"page.kyc.phone":             {ZH: "手机号码", EN: "Mobile number"},
		"page.kyc.company_name":      {ZH: "企业名称", EN: "Company name"},
		"page.kyc.uscc":              {ZH: "统一社会信用代码", EN: "Unified social credit code"},
		"page.kyc.uscc_hint":         {ZH: "18 位，不含 I、O、S、V、Z。", EN: "18 characters, never I, O, S, V or Z."},
		"page.kyc.representative":    {ZH: "负责人（法定代表人）", EN: "Responsible person (legal representative)"},
		"page.kyc.licence":           {ZH: "营业执照（PNG、JPEG 或 PDF，不超过 {max} 字节）", EN: "Business licence (PNG, JPEG or PDF, at most {max} bytes)"},
		"page.kyc.submit":            {ZH: "提交认证", EN: "Submit"},
		"page.kyc.privacy":           {ZH: "您的证件号码、手机号码和营业执照经加密保存，页面仅显示打码信息；工作人员查看明文须填写用途并记录在案。", EN: "Your ID number, phone and licence are stored encrypted and shown masked; staff see them in clear only with a recorded purpose."},
		"page.kyc.submitted":         {ZH: "已提交实名认证。", EN: "Verification submitted."},
		"page.kyc.field_identity":    {ZH: "证件号码", EN: "Identity number"},
		"page.kyc.submitted_at":      {ZH: "提交时间", EN: "Submitted"},
		"page.kyc.nav":               {ZH: "实名认证", EN: "Verification"},
		"page.privacy.nav":           {ZH: "个人信息", EN: "Your data"},
		"page.privacy.title":         {ZH: "个人信息权利", EN: "Your data rights"},
		"page.privacy.heading":       {ZH: "个人信息与账户注销", EN: "Your data and account closure"},
		"page.privacy.export":        {ZH: "下载我的个人信息副本（JSON）", EN: "Download a copy of my data (JSON)"},
		"page.privacy.export_lead":   {ZH: "根据《个人信息保护法》第四十五条，您可以获取您的个人信息副本。", EN: "Under PIPL art. 45 you may obtain a copy of your personal information."},
		"page.privacy.correct":       {ZH: "如需更正实名信息，请在实名认证页面重新提交，审核通过后生效。", EN: "To correct real-name data, submit verification again; it takes effect once approved."},
		"page.privacy.close":         {ZH: "注销账户", EN: "Close my account"},
		"page.privacy.close_lead":    {ZH: "注销后不能登录；实名信息在注销后按法定期限保存 {years} 年后删除。存在法定保留事项时暂不能注销，并会告知原因。", EN: "After closure you cannot sign in; real-name data is kept for {years} years after closure and then deleted. While a legal hold applies, closure is refused with the reason."},
		"page.privacy.close_confirm": {ZH: "我确认注销账户", EN: "I confirm closing my account"},
		"page.privacy.holds":         {ZH: "当前的法定保留事项", EN: "Legal holds now"},
		"page.privacy.no_holds":      {ZH: "无", EN: "None"},

		"page.console.kyc.title":          {ZH: "实名审核", EN: "Real-name review"},
		"page.console.kyc.heading":        {ZH: "实名认证审核队列", EN: "Real-name review queue"},
		"page.console.kyc.none":           {ZH: "没有待审核的申请。", EN: "Nothing waiting for review."},
		"page.console.kyc.customer":       {ZH: "客户", EN: "Customer"},
		"page.console.kyc.open":           {ZH: "审核", EN: "Review"},
		"page.console.kyc.warnings":       {ZH: "提示", EN: "Warnings"},
		"page.console.kyc.detail":         {ZH: "认证申请", EN: "Submission"},
		"page.console.kyc.decision":       {ZH: "审核结论", EN: "Decision"},
		"page.console.kyc.approve":        {ZH: "通过", EN: "Approve"},
		"page.console.kyc.reject":         {ZH: "驳回", EN: "Reject"},
		"page.console.kyc.request":        {ZH: "要求补充", EN: "Ask for more"},
		"page.console.kyc.reason_none":    {ZH: "（通过时无需原因）", EN: "(none for an approval)"},
		"page.console.kyc.decide":         {ZH: "提交结论", EN: "Record decision"},
		"page.console.kyc.decided":        {ZH: "已记录审核结论。", EN: "Decision recorded."},
		"page.console.kyc.unmask":         {ZH: "查看明文", EN: "Unmask"},
		"page.console.kyc.field":          {ZH: "字段", EN: "Field"},
		"page.console.kyc.purpose":        {ZH: "用途", EN: "Purpose"},
		"page.console.kyc.unmasked":       {ZH: "明文（已记录：{purpose}）", EN: "In clear (recorded: {purpose})"},
		"page.console.kyc.licence":        {ZH: "营业执照", EN: "Licence"},
		"page.console.kyc.masked_note":    {ZH: "个人信息默认打码显示；查看明文须选择用途，每次查看均记入审计日志。", EN: "Personal information is masked by default; unmasking needs a purpose and every unmask is audited."},
		"page.console.nav.kyc":            {ZH: "实名审核", EN: "KYC review"},
		"pii.purpose.kyc_review":          {ZH: "实名审核", EN: "KYC review"},
		"pii.purpose.authority_request":   {ZH: "有权机关依法调取", EN: "Authority request"},
		"pii.purpose.customer_request":    {ZH: "客户本人请求", EN: "Customer's own request"},
		"pii.purpose.fraud_investigation": {ZH: "反诈调查", EN: "Fraud investigation"},
		"pii.purpose.dispute":             {ZH: "争议处理", EN: "Dispute"},
		"pii.field.name":                  {ZH: "姓名", EN: "Name"},
		"pii.field.identity":              {ZH: "证件号码 / 信用代码", EN: "ID number / credit code"},
		"pii.field.phone":                 {ZH: "手机号码", EN: "Phone"},
	} {
		m[k] = v
	}
	register(m)
}
