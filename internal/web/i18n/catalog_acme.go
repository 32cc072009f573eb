package i18n

// Certificates by ACME (issue 13, the acme driver): the messages of the
// error codes the certificate API returns — the checks made before the CA
// is contacted (domains, challenge, CSR) and the CA's answers — and their
// rules.
func init() {
	register(map[string]Message{
		"error.acme.domains_required":      {ZH: "请至少填写一个域名。", EN: "Give at least one domain name."},
		"error.acme.domains_too_many":      {ZH: "域名数量超过上限（{max} 个）。", EN: "Too many domain names (at most {max})."},
		"error.acme.domain_invalid":        {ZH: "域名 {domain} 不可用于证书，请查看 errors 中列出的字段与规则。", EN: "The domain name {domain} cannot be certified; see the field and rule in errors."},
		"error.acme.csr_invalid":           {ZH: "证书签名请求（CSR）无效，请查看 errors 中列出的规则。", EN: "The certificate signing request (CSR) is not valid; see the rule in errors."},
		"error.acme.csr_weak_key":          {ZH: "CSR 的密钥强度不足：请使用至少 2048 位的 RSA 或 P-256/P-384 ECDSA 密钥。", EN: "The CSR's key is too weak: use RSA of at least 2048 bits or ECDSA P-256/P-384."},
		"error.acme.csr_names_mismatch":    {ZH: "CSR 中的域名与申请的域名不一致。", EN: "The CSR names other domains than the ones requested."},
		"error.acme.challenge_invalid":     {ZH: "验证方式只能是 http-01 或 dns-01。", EN: "The challenge must be http-01 or dns-01."},
		"error.acme.dns_mode_invalid":      {ZH: "DNS 验证方式只能是 txt（自行添加 TXT 记录）或 cname（委托给我们的域）。", EN: "The DNS mode must be txt (you add the TXT record) or cname (delegated to our zone)."},
		"error.acme.ca_rejected":           {ZH: "证书颁发机构拒绝了申请：{detail}", EN: "The certificate authority refused: {detail}"},
		"error.acme.ca_unavailable":        {ZH: "暂时无法连接证书颁发机构，请稍后重试。", EN: "The certificate authority cannot be reached; try again later."},
		"error.acme.ca_timeout":            {ZH: "证书颁发机构未在时限内完成处理，将稍后重试。", EN: "The certificate authority did not finish in time; it will be retried."},
		"error.acme.dns_txt_missing":       {ZH: "尚未查询到 TXT 记录 {name}，请添加后再确认。", EN: "The TXT record {name} is not visible yet; add it, then confirm."},
		"error.acme.dns_check_failed":      {ZH: "DNS 查询失败，请稍后重试。", EN: "The DNS lookup failed; try again later."},
		"error.acme.not_configured":        {ZH: "本平台尚未配置 ACME 证书签发。", EN: "Certificates by ACME are not configured on this platform."},
		"error.acme.not_acme_product":      {ZH: "该服务不是通过 ACME 签发的证书。", EN: "This service is not a certificate issued by ACME."},
		"error.acme.request_exists":        {ZH: "该服务已提交过证书申请。", EN: "A certificate request was already submitted for this service."},
		"error.acme.not_awaiting_customer": {ZH: "该证书当前不需要您添加 DNS 记录。", EN: "This certificate is not waiting for your DNS record."},
		"error.acme.not_renewable":         {ZH: "只有已签发、通过您自行添加的 TXT 记录验证的证书需要您手动续期；其他证书会自动续期。", EN: "Only an issued certificate proved by your own TXT record is renewed by hand; the others are renewed automatically."},
		"error.acme.busy":                  {ZH: "该证书正在处理中，请稍后再试。", EN: "This certificate is being processed; try again shortly."},
		"error.acme.no_private_key":        {ZH: "该证书使用您自己的 CSR，我们不持有其私钥。", EN: "This certificate uses your own CSR: we hold no private key for it."},
		"error.acme.no_request":            {ZH: "该服务尚未提交证书申请。", EN: "No certificate request was submitted for this service."},
		"rule.syntax":                      {ZH: "不是有效的域名。", EN: "Not a valid domain name."},
		"rule.wildcard":                    {ZH: "通配符域名只能使用 dns-01 验证。", EN: "A wildcard name needs the dns-01 challenge."},
		"rule.duplicate":                   {ZH: "与前面的值重复。", EN: "Repeats an earlier value."},
		"rule.pem":                         {ZH: "不是一个 PEM 格式的 CERTIFICATE REQUEST。", EN: "Not one PEM CERTIFICATE REQUEST block."},
		"rule.der":                         {ZH: "无法解析 CSR 内容。", EN: "The CSR cannot be parsed."},
		"rule.signature":                   {ZH: "CSR 的签名与其公钥不符。", EN: "The CSR is not signed by its key."},
		"rule.min_bits":                    {ZH: "RSA 密钥至少需要 {min_bits} 位。", EN: "An RSA key needs at least {min_bits} bits."},
		"rule.curve":                       {ZH: "仅接受 P-256 或 P-384 曲线。", EN: "Only the P-256 and P-384 curves are accepted."},
		"rule.key_type":                    {ZH: "仅接受 RSA 或 ECDSA 密钥。", EN: "Only RSA and ECDSA keys are accepted."},
		"rule.names":                       {ZH: "CSR 必须恰好包含所申请的域名。", EN: "The CSR must name exactly the requested domains."},
		"rule.one_of":                      {ZH: "不是可接受的取值。", EN: "Not one of the accepted values."},
		"rule.unavailable":                 {ZH: "本平台暂不提供此选项。", EN: "This option is not offered on this platform."},
		"rule.not_acme":                    {ZH: "不是 ACME 证书。", EN: "Not a certificate issued by ACME."},
	})
}
