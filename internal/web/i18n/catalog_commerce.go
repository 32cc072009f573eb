package i18n

// Commerce (issue 9): the messages of the error codes that checkout,
// payment, the wallet, withdrawals, fapiao requests, the catalog and
// coupons return through the API, and the rules their fields name.
// Blocker rules are named by the blocker's code and carry its clause
// (kyc.required has its message in package kyc).
func init() {
	register(map[string]Message{
		// Orders and checkout.
		"error.order.invalid":                         {ZH: "订单内容不符合规则，请查看 errors 中列出的字段。", EN: "The order request breaks a rule; see the fields listed in errors."},
		"error.order.amount_overflow":                 {ZH: "金额超出可处理的范围。", EN: "The amount is beyond what can be handled."},
		"error.order.bad_transition":                  {ZH: "订单当前状态不允许此操作；已支付的订单请申请退款。", EN: "The order's state does not allow this; a paid order goes through a refund."},
		"error.order.licence_not_covered":             {ZH: "本公司的经营许可证不涵盖该产品，暂不能销售（服务协议第一条）。", EN: "No licence of ours covers this product, so it cannot be sold (agreement clause 1)."},
		"error.order.checkout_blocked":                {ZH: "暂不能下单，原因见 errors 中逐项列出的条款。", EN: "The order cannot be placed; each reason and its clause is listed in errors."},
		"error.order.out_of_stock":                    {ZH: "库存不足。", EN: "Not enough stock left."},
		"error.order.expired":                         {ZH: "订单已超时未支付而失效，请重新下单（服务协议第二条第二款）。", EN: "The order expired unpaid; place it again (agreement clause 2.2)."},
		"error.order.not_payable":                     {ZH: "该订单不在待支付状态。", EN: "The order is not awaiting payment."},
		"error.order.payment_pending":                 {ZH: "该订单有一笔第三方支付仍在处理中，请等待其结果。", EN: "A gateway payment of this order is still pending; wait for its result."},
		"error.order.payment_invalid":                 {ZH: "支付方式不正确，请查看 errors 中列出的字段。", EN: "The payment request is not valid; see the fields listed in errors."},
		"error.order.attach_to_not_found":             {ZH: "未找到流量包要叠加的服务器订单。", EN: "The server order the traffic pack should attach to was not found."},
		"error.order.changed":                         {ZH: "订单已被同时修改，请刷新后重试。", EN: "The order changed meanwhile; refresh and retry."},
		"error.order.not_found":                       {ZH: "未找到该订单。", EN: "No such order."},
		"error.account.standing_blocks_order":         {ZH: "账户当前受限、暂停或封禁，不能下新订单（服务协议第四条第二款）。", EN: "The account is restricted, suspended or banned and may not place new orders (agreement clause 4.2)."},
		"error.agreement.key_clause_not_acknowledged": {ZH: "请逐条确认服务协议的重要条款。", EN: "Acknowledge each key clause of the agreement."},
		"error.agreement.version_not_in_force":        {ZH: "您看到的协议版本已不再生效，请阅读并接受现行版本（{in_force}）。", EN: "The agreement version you saw is no longer in force; read and accept the current one ({in_force})."},
		"error.agreement.version_not_found":           {ZH: "未找到该协议版本。", EN: "No such agreement version."},
		"error.agreement.version_not_acceptable":      {ZH: "该协议版本不可接受。", EN: "This agreement version cannot be accepted."},
		"error.agreement.acceptance_version_mismatch": {ZH: "确认的协议文本与该版本不一致，请刷新后重新阅读。", EN: "The text acknowledged is not this version's; reload and read it again."},
		"error.agreement.unknown_clause":              {ZH: "确认了协议中不存在的条款。", EN: "A clause acknowledged is not in the agreement."},
		"error.agreement.acceptance_invalid":          {ZH: "协议接受记录不完整。", EN: "The acceptance record is incomplete."},

		// Idempotency keys.
		"error.idempotency.body_mismatch":           {ZH: "此 Idempotency-Key 已用于另一个请求内容；请为新的请求使用新的键。", EN: "This Idempotency-Key was used with another request body; use a new key for a new request."},
		"error.idempotency.in_flight":               {ZH: "使用此 Idempotency-Key 的请求仍在处理中，请稍后重试。", EN: "A request with this Idempotency-Key is still being processed; retry shortly."},
		"error.idempotency.key_invalid":             {ZH: "Idempotency-Key 须为 1–255 个可打印 ASCII 字符，不含空格。", EN: "Idempotency-Key must be 1–255 printable ASCII characters without spaces."},
		"error.idempotency.stored_response_invalid": {ZH: "无法读取此 Idempotency-Key 保存的结果；请联系客服并提供请求编号 {request_id}。", EN: "The stored result of this Idempotency-Key cannot be read; contact support with request id {request_id}."},

		// Coupons.
		"error.coupon.invalid":             {ZH: "优惠券设置不符合规则，请查看 errors 中列出的字段。", EN: "The coupon breaks a rule; see the fields listed in errors."},
		"error.coupon.not_yet_valid":       {ZH: "优惠券尚未生效。", EN: "The coupon is not valid yet."},
		"error.coupon.expired":             {ZH: "优惠券已过期。", EN: "The coupon has expired."},
		"error.coupon.first_purchase_only": {ZH: "此优惠券仅限首次购买使用。", EN: "This coupon is for a first purchase only."},
		"error.coupon.exhausted":           {ZH: "优惠券已达使用上限。", EN: "The coupon is used up."},
		"error.coupon.not_applicable":      {ZH: "此优惠券不适用于本订单中的产品。", EN: "This coupon does not apply to the products of this order."},
		"error.coupon.not_found":           {ZH: "没有这张优惠券。", EN: "No such coupon."},

		// The catalog.
		"error.catalog.product_invalid":           {ZH: "产品设置不符合规则，请查看 errors 中列出的字段。", EN: "The product breaks a rule; see the fields listed in errors."},
		"error.catalog.not_a_pack":                {ZH: "只有流量包可以叠加到服务器上。", EN: "Only a traffic pack attaches to a server."},
		"error.catalog.pack_needs_traffic_server": {ZH: "流量包只能叠加到按流量计费的云服务器（服务协议第三条第二款）。", EN: "A traffic pack attaches only to a traffic-billed cloud server (agreement clause 3.2)."},
		"error.catalog.pack_not_owner":            {ZH: "流量包只能叠加到您本人名下的服务器。", EN: "A traffic pack attaches only to a server of your own."},
		"error.product.not_found":                 {ZH: "没有这个产品，或该产品已下架。", EN: "No such product, or it is no longer on sale."},
		"error.cart_item.not_found":               {ZH: "购物车中没有这一项。", EN: "No such item in the cart."},

		// The wallet and withdrawals.
		"error.wallet.insufficient_balance":           {ZH: "余额不足，未扣款。", EN: "The balance is not enough; nothing was charged."},
		"error.wallet.refund_credit_not_withdrawable": {ZH: "退款余额不可提现，只能用于消费；可提现的只有现金余额（服务协议第三条第一款）。", EN: "Refund credit cannot be withdrawn, only spent; only cash is withdrawable (agreement clause 3.1)."},
		"error.wallet.refund_exceeds_spent":           {ZH: "退回余额的金额超过了以余额支付的部分。", EN: "The refund to balance exceeds what was paid from the balance."},
		"error.wallet.amount_invalid":                 {ZH: "金额须为正数且不超过上限。", EN: "The amount must be positive and within the limit."},
		"error.wallet.memo_required":                  {ZH: "调整须填写原因（最多 500 字）。", EN: "An adjustment needs a reason (at most 500 characters)."},
		"error.wallet.nothing_to_move":                {ZH: "没有可处理的余额。", EN: "There is no balance to move."},
		"error.wallet.txn_invalid":                    {ZH: "账务处理出错，未入账；请联系客服并提供请求编号 {request_id}。", EN: "The ledger refused the movement and nothing was posted; contact support with request id {request_id}."},
		"error.wallet.account_invalid":                {ZH: "账户类型无效。", EN: "Not a valid balance account."},
		"error.withdrawal.bad_state":                  {ZH: "该提现当前状态不允许此操作。", EN: "The withdrawal's state does not allow this."},
		"error.withdrawal.invalid":                    {ZH: "提现信息不完整，请查看 errors 中列出的字段。", EN: "The withdrawal is incomplete; see the fields listed in errors."},
		"error.withdrawal.not_found":                  {ZH: "未找到该提现申请。", EN: "No such withdrawal."},

		// Fapiao requests.
		"error.invoice.invalid":        {ZH: "发票申请不符合规则，请查看 errors 中列出的字段。", EN: "The invoice request breaks a rule; see the fields listed in errors."},
		"error.invoice.order_not_paid": {ZH: "只能为已支付的订单申请发票。", EN: "An invoice is issued for a paid order only."},
		"error.invoice.duplicate":      {ZH: "该订单已有一份发票申请。", EN: "An invoice of this order is already requested."},
		"error.invoice.not_requested":  {ZH: "没有待处理的该发票申请。", EN: "There is no open invoice request with this id."},

		// Legal holds on closure added by commerce.
		"hold.order_unpaid":     {ZH: "有未支付的订单（请先支付或取消）", EN: "an order is unpaid (pay or cancel it first)"},
		"hold.payout_in_flight": {ZH: "有处理中的提现或退款打款", EN: "a withdrawal or pay-back is being paid out"},

		// Field rules.
		"rule.range":                         {ZH: "超出允许的范围。", EN: "Out of the allowed range."},
		"rule.length":                        {ZH: "长度不符合要求。", EN: "The length is not allowed."},
		"rule.unknown":                       {ZH: "不存在。", EN: "Does not exist."},
		"rule.not_offered":                   {ZH: "该产品不按此周期销售。", EN: "Not sold in this cycle."},
		"rule.not_for_sale":                  {ZH: "该产品未在销售。", EN: "Not on sale."},
		"rule.cart_full":                     {ZH: "购物车已满（最多 {max} 项）。", EN: "The cart is full (at most {max} items)."},
		"rule.not_allowed":                   {ZH: "此处不接受该值。", EN: "Not allowed here."},
		"rule.below_due":                     {ZH: "组合支付须留一部分由第三方支付；全额请用余额支付。", EN: "A split leaves a part for the gateway; pay the whole by balance instead."},
		"rule.in_force":                      {ZH: "须为现行协议版本。", EN: "Must be the version in force."},
		"rule.stock":                         {ZH: "库存不足。", EN: "Not enough stock."},
		"rule.body_mismatch":                 {ZH: "此键已用于另一个请求内容。", EN: "This key was used with another body."},
		"rule.in_flight":                     {ZH: "使用此键的请求仍在处理中。", EN: "A request with this key is still in progress."},
		"rule.immutable":                     {ZH: "创建后不能修改。", EN: "Cannot change once created."},
		"rule.path_mismatch":                 {ZH: "须与地址中的 {path} 相同。", EN: "Must be the same as {path} in the path."},
		"rule.unique":                        {ZH: "不能重复。", EN: "Must be unique."},
		"rule.min":                           {ZH: "不能小于 {min}。", EN: "Must be at least {min}."},
		"rule.after_valid_from":              {ZH: "须晚于生效时间。", EN: "Must be later than valid_from."},
		"rule.not_allowed_for_kind":          {ZH: "不适用于此类产品。", EN: "Not allowed for this kind of product."},
		"rule.not_allowed_for_plan":          {ZH: "不适用于此计费方式。", EN: "Not allowed for this plan."},
		"rule.kyc.required":                  {ZH: "须先完成实名认证（第 {clause} 条）。", EN: "Real-name verification first (clause {clause})."},
		"rule.account.standing_blocks_order": {ZH: "账户受限，不能下新订单（第 {clause} 条）。", EN: "The account's standing blocks new orders (clause {clause})."},
		"rule.agreement.key_clause_not_acknowledged": {ZH: "请逐条确认重要条款：{missing}（第 {clause} 条）。", EN: "Acknowledge each key clause: {missing} (clause {clause})."},
		"rule.order.licence_not_covered":             {ZH: "没有许可证涵盖此产品（第 {clause} 条）。", EN: "No licence covers this product (clause {clause})."},
		"rule.catalog.pack_not_owner":                {ZH: "只能叠加到本人名下的服务器（第 {clause} 条）。", EN: "Only onto a server of your own (clause {clause})."},
		"rule.catalog.pack_needs_traffic_server":     {ZH: "只能叠加到按流量计费的云服务器（第 {clause} 条）。", EN: "Only onto a traffic-billed cloud server (clause {clause})."},
		"rule.catalog.not_a_pack":                    {ZH: "只有流量包可以叠加（第 {clause} 条）。", EN: "Only a traffic pack attaches (clause {clause})."},
		"rule.coupon":                                {ZH: "此优惠券不可用于本订单。", EN: "This coupon cannot be used for this order."},
		"rule.overflow":                              {ZH: "金额超出可处理的范围。", EN: "The amount is beyond what can be handled."},
		"rule.coupon.exhausted":                      {ZH: "优惠券已达使用上限。", EN: "The coupon is used up."},
	})
}
