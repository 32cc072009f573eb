package kyc

import (
	"maps"

	"yuanxu/internal/policy"
)

// messages holds the bilingual texts of this package's codes, keyed as the
// web layer's catalog keys them: "error.<code>" for an error's detail,
// "rule.<rule>" for a field message, "warning.<code>" for a warning.
// Placeholders {name} are filled from the error's and the field's params.
var messages = map[string]policy.Text{
	"error." + CodeIDFormat:          {ZH: "证件号码格式不正确：应为 18 位，前 17 位为数字，末位为数字或 X。", EN: "The identity number is malformed: 18 characters, 17 digits then a digit or X."},
	"error." + CodeIDLegacy15:        {ZH: "不再接受 15 位的第一代身份证号码，请填写 18 位号码。", EN: "15-digit first-generation numbers are no longer accepted; give the 18-character number."},
	"error." + CodeIDChecksum:        {ZH: "证件号码校验位不正确，请核对后重新填写。", EN: "The check character of the identity number is wrong; please check the number."},
	"error." + CodeIDBirthDate:       {ZH: "证件号码中的出生日期无效。", EN: "The birth date in the identity number is not a real date."},
	"error." + CodeIDFutureBirth:     {ZH: "证件号码中的出生日期晚于今天。", EN: "The birth date in the identity number is after today."},
	"error." + CodeIDUnderage:        {ZH: "根据协议第 {clause} 条，实名认证须年满 {min_age} 周岁。", EN: "Under clause {clause}, real-name verification requires an age of at least {min_age}."},
	"error." + CodeUSCCFormat:        {ZH: "统一社会信用代码格式不正确：应为 18 位，第 3–8 位为数字。", EN: "The unified social credit code is malformed: 18 characters, digits in positions 3–8."},
	"error." + CodeUSCCForbidden:     {ZH: "统一社会信用代码第 {position} 位的字符“{char}”不允许使用（代码不使用 I、O、S、V、Z）。", EN: "Character “{char}” at position {position} is not allowed in a unified social credit code (I, O, S, V and Z are never used)."},
	"error." + CodeUSCCChecksum:      {ZH: "统一社会信用代码校验位不正确，请与营业执照核对。", EN: "The check character of the unified social credit code is wrong; compare it with the licence."},
	"error." + CodeLicenceEmpty:      {ZH: "营业执照文件为空。", EN: "The licence file is empty."},
	"error." + CodeLicenceType:       {ZH: "营业执照须为 PNG、JPEG 图片或 PDF 文件。", EN: "The licence must be a PNG or JPEG image or a PDF file."},
	"error." + CodeLicenceTooLarge:   {ZH: "营业执照文件不能超过 {max_bytes} 字节。", EN: "The licence file must be at most {max_bytes} bytes."},
	"error." + CodeSubmissionInvalid: {ZH: "实名认证信息有误，请按提示修改。", EN: "The real-name form has errors; please correct the fields shown."},
	"error." + CodeStateUnknown:      {ZH: "未知的认证状态。", EN: "Unknown verification state."},
	"error." + CodeStateTransition:   {ZH: "认证状态不能从 {from} 变为 {to}。", EN: "Verification cannot move from {from} to {to}."},
	"error." + CodeRequired:          {ZH: "根据协议第 {clause} 条及相关法律，购买需开通的产品前须完成实名认证。", EN: "Under clause {clause} and the law, real-name verification must be approved before paying for a provisioned product."},
	"error." + CodeReasonInvalid:     {ZH: "审核结论缺少原因或原因不适用。", EN: "The decision's reason is missing or does not apply."},

	"rule.id_format":           {ZH: "应为 18 位：17 位数字加 1 位数字或 X。", EN: "18 characters: 17 digits then a digit or X."},
	"rule.id_legacy_15":        {ZH: "请填写 18 位号码。", EN: "Give the 18-character number."},
	"rule.id_checksum":         {ZH: "校验位不正确。", EN: "Wrong check character."},
	"rule.id_birth_date":       {ZH: "出生日期无效。", EN: "Not a real birth date."},
	"rule.id_future_birth":     {ZH: "出生日期晚于今天。", EN: "The birth date is after today."},
	"rule.id_underage":         {ZH: "须年满 {min_age} 周岁。", EN: "Must be at least {min_age} years old."},
	"rule.uscc_format":         {ZH: "应为 18 位，第 3–8 位为数字。", EN: "18 characters, digits in positions 3–8."},
	"rule.uscc_forbidden_char": {ZH: "第 {position} 位的“{char}”不允许使用。", EN: "“{char}” at position {position} is not allowed."},
	"rule.uscc_checksum":       {ZH: "校验位不正确。", EN: "Wrong check character."},
	"rule.licence_empty":       {ZH: "文件为空。", EN: "The file is empty."},
	"rule.licence_type":        {ZH: "须为 PNG、JPEG 或 PDF。", EN: "Must be PNG, JPEG or PDF."},
	"rule.licence_too_large":   {ZH: "不能超过 {max_bytes} 字节。", EN: "At most {max_bytes} bytes."},
	"rule.name_chars":          {ZH: "含有不允许的字符。", EN: "Contains characters that are not allowed."},
	"rule.phone":               {ZH: "应为中国大陆手机号码。", EN: "Must be a mainland China mobile number."},

	"warning." + CodeUSCCOrgCode: {ZH: "代码第 {positions} 位（组织机构代码）校验未通过，将由人工审核。", EN: "Positions {positions} (the organisation code) fail their check; a reviewer will look at it."},
}

// Messages returns the bilingual catalog entries of this package's error
// codes, field rules and warnings, for the web layer to register. Every
// code and rule the package emits has an entry (a test keeps it so).
func Messages() map[string]policy.Text { return maps.Clone(messages) }
