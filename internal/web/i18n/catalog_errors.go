package i18n

// Error messages of the API: problem titles by HTTP status
// ("error.title.<status>"), problem details by stable code
// ("error.<code>"), and field messages by rule ("rule.<rule>").
// Placeholders are filled from the error's params; every detail may also
// use {request_id} and {field} (the first offending field).
func init() {
	register(map[string]Message{
		// Titles, one per status the API answers.
		"error.title.400": {ZH: "请求无法解析", EN: "Bad request"},
		"error.title.401": {ZH: "需要登录", EN: "Unauthenticated"},
		"error.title.403": {ZH: "无权执行此操作", EN: "Forbidden"},
		"error.title.404": {ZH: "未找到", EN: "Not found"},
		"error.title.405": {ZH: "不支持的请求方法", EN: "Method not allowed"},
		"error.title.406": {ZH: "无法提供所需格式", EN: "Not acceptable"},
		"error.title.408": {ZH: "请求超时", EN: "Request timeout"},
		"error.title.409": {ZH: "状态冲突", EN: "Conflict"},
		"error.title.413": {ZH: "请求内容过大", EN: "Request too large"},
		"error.title.415": {ZH: "不支持的内容类型", EN: "Unsupported media type"},
		"error.title.422": {ZH: "请求内容不符合规则", EN: "Invalid request"},
		"error.title.429": {ZH: "请求过于频繁", EN: "Too many requests"},
		"error.title.500": {ZH: "服务器内部错误", EN: "Internal server error"},
		"error.title.503": {ZH: "服务暂不可用", EN: "Service unavailable"},

		// Request syntax (400).
		"error.request.malformed_json": {ZH: "请求体不是有效的 JSON。", EN: "The request body is not valid JSON."},
		"error.request.unknown_field":  {ZH: "请求包含此操作不接受的字段：{field}。", EN: "The request has a field this operation does not accept: {field}."},
		"error.request.invalid_type":   {ZH: "字段 {field} 的值类型不正确。", EN: "The value of {field} has the wrong type."},
		"error.request.invalid_format": {ZH: "字段 {field} 的值格式不正确。", EN: "The value of {field} is not in the expected format."},
		"error.request.invalid_cursor": {ZH: "分页游标无效：请使用上一页返回的 next_cursor，不要修改。", EN: "The pagination cursor is invalid: pass the previous page's next_cursor unchanged."},
		// Request rules (422).
		"error.request.required":       {ZH: "请求缺少必填内容，请查看 errors 中列出的字段。", EN: "The request is missing required values; see the fields listed in errors."},
		"error.request.exactly_one_of": {ZH: "以下字段只能提供其中一项：{fields}。", EN: "Give exactly one of these fields: {fields}."},
		"error.request.invalid":        {ZH: "请求内容不符合规则，请查看 errors 中列出的字段。", EN: "The request breaks a rule; see the fields listed in errors."},
		// Other request problems.
		"error.request.too_large":              {ZH: "请求体超过了大小上限。", EN: "The request body is over the size limit."},
		"error.request.timeout":                {ZH: "请求体未能在规定时间内传完。", EN: "The request body did not arrive in time."},
		"error.request.unsupported_media_type": {ZH: "不支持此内容类型，请使用 application/json。", EN: "This content type is not supported; use application/json."},
		"error.request.not_acceptable":         {ZH: "无法以 Accept 要求的格式应答，请接受 application/json。", EN: "Cannot answer in a format the Accept header allows; accept application/json."},
		"error.request.cross_origin":           {ZH: "已拒绝来自其他网站的请求。请直接在本站页面中操作。", EN: "A request from another site was refused. Please use this site's own pages."},
		"error.route.not_found":                {ZH: "没有这个接口。", EN: "There is no such API route."},
		"error.route.method_not_allowed":       {ZH: "此接口不支持 {method} 方法，可用方法：{allow}。", EN: "This route does not support {method}; allowed: {allow}."},
		"error.auth.invalid_token":             {ZH: "API 密钥无效、已过期或已被撤销。", EN: "The API key is invalid, expired or revoked."},
		"error.server.not_ready":               {ZH: "服务尚未就绪，请稍后重试。", EN: "The server is not ready yet; retry shortly."},

		// Codes the app emits, and the generic one of each kind.
		"error.internal":        {ZH: "服务器内部错误。请稍后重试；如问题持续，请联系客服并提供请求编号 {request_id}。", EN: "Something went wrong on our side. Please retry later; if it persists, contact support with request id {request_id}."},
		"error.invalid":         {ZH: "请求内容不符合规则。", EN: "The request is invalid."},
		"error.not_found":       {ZH: "要找的内容不存在。", EN: "Not found."},
		"error.duplicate":       {ZH: "已存在相同的记录。", EN: "It already exists."},
		"error.conflict":        {ZH: "数据已被同时修改，请刷新后重试。", EN: "It was changed at the same time; refresh and retry."},
		"error.unauthenticated": {ZH: "请先登录。", EN: "Please sign in first."},
		"error.forbidden":       {ZH: "您无权执行此操作。", EN: "You may not do this."},
		"error.rate_limited":    {ZH: "操作过于频繁，请在 {retry_after_seconds} 秒后重试。", EN: "Too many attempts; retry in {retry_after_seconds} seconds."},
		"error.too_large":       {ZH: "内容超过了大小上限。", EN: "It is over the size limit."},
		"error.unavailable":     {ZH: "服务暂时不可用，请稍后重试。", EN: "The service is temporarily unavailable; retry shortly."},

		"error.sandbox.advance_not_positive": {ZH: "测试时钟只能向前拨：advance 必须是正的时长。", EN: "The test clock only moves forward: advance must be a positive duration."},
		"error.sandbox.advance_too_large":    {ZH: "一次最多只能拨快 {max}（5 年）。", EN: "The clock can move at most {max} (5 years) at once."},
		"error.sandbox.set_not_later":        {ZH: "测试时钟只能向前拨：set 必须晚于当前时间 {now}。", EN: "The test clock only moves forward: set must be later than now ({now})."},

		// Field rules.
		"rule.json":              {ZH: "请求体不是有效的 JSON。", EN: "Not valid JSON."},
		"rule.unknown_field":     {ZH: "不接受此字段。", EN: "This field is not accepted."},
		"rule.required":          {ZH: "此项必填。", EN: "This is required."},
		"rule.one_of_required":   {ZH: "请提供 {fields} 其中一项。", EN: "Give one of {fields}."},
		"rule.exactly_one_of":    {ZH: "{fields} 只能提供其中一项。", EN: "Give only one of {fields}."},
		"rule.type":              {ZH: "类型不正确，应为 {expected}。", EN: "Wrong type: expected {expected}."},
		"rule.parse":             {ZH: "无法解析此值。", EN: "This value cannot be parsed."},
		"rule.single_value":      {ZH: "只能提供一个值。", EN: "Give a single value."},
		"rule.format":            {ZH: "格式不正确，应为 {format}。", EN: "Wrong format: expected {format}."},
		"rule.format.bare":       {ZH: "格式不正确。", EN: "Wrong format."},
		"rule.max_total":         {ZH: "订单总额超过单笔订单上限（{max_fen} 分）。", EN: "The order total is above what one order may carry ({max_fen} fen)."},
		"rule.duration":          {ZH: "不是有效的时长：请使用如 90m、25h 的写法，或如 2d 的天数。", EN: "Not a valid duration: use Go syntax such as 90m or 25h, or days such as 2d."},
		"rule.cursor":            {ZH: "不是本服务签发的游标。", EN: "Not a cursor this server issued."},
		"rule.min_length":        {ZH: "长度至少为 {min}。", EN: "Must be at least {min} long."},
		"rule.max_length":        {ZH: "长度最多为 {max}。", EN: "Must be at most {max} long."},
		"rule.minimum":           {ZH: "不能小于 {min}。", EN: "Must be at least {min}."},
		"rule.exclusive_minimum": {ZH: "必须大于 {min}。", EN: "Must be greater than {min}."},
		"rule.maximum":           {ZH: "不能大于 {max}。", EN: "Must be at most {max}."},
		"rule.exclusive_maximum": {ZH: "必须小于 {max}。", EN: "Must be less than {max}."},
		"rule.multiple_of":       {ZH: "必须是 {multiple} 的倍数。", EN: "Must be a multiple of {multiple}."},
		"rule.min_items":         {ZH: "至少需要 {min} 项。", EN: "Needs at least {min} items."},
		"rule.max_items":         {ZH: "最多 {max} 项。", EN: "At most {max} items."},
		"rule.min_properties":    {ZH: "至少需要 {min} 个字段。", EN: "Needs at least {min} fields."},
		"rule.max_properties":    {ZH: "最多 {max} 个字段。", EN: "At most {max} fields."},
		"rule.enum":              {ZH: "必须是以下值之一：{values}。", EN: "Must be one of: {values}."},
		"rule.unique_items":      {ZH: "各项不能重复。", EN: "Items must be unique."},
		"rule.pattern":           {ZH: "格式不符合要求（{pattern}）。", EN: "Does not match the required pattern ({pattern})."},
		"rule.schema":            {ZH: "内容不符合任何允许的形式。", EN: "Matches none of the allowed shapes."},
		"rule.invalid":           {ZH: "此值无效。", EN: "This value is invalid."},
		"rule.positive":          {ZH: "必须大于零。", EN: "Must be greater than zero."},
		"rule.max":               {ZH: "不能超过 {max}。", EN: "Must be at most {max}."},
		"rule.after_now":         {ZH: "必须晚于当前时间 {now}。", EN: "Must be later than now ({now})."},
	})
}
