package notify

// Delivery templates (issue 13). Variables: order_id is the order's id;
// deliver_by the missed deadline as the customer reads it (CST).
func init() {
	zhSources[EventDeliveryBreached] = Source{
		Subject: "订单 {{.order_id}} 未能按约定时间交付",
		Text: "很抱歉，您的订单 {{.order_id}} 未能在约定时间（{{.deliver_by}} 北京时间）前交付。" +
			"根据服务协议第二条第（二）项，无论产品类别，您都可以取消订单并全额退款至原支付账户；请登录控制台在订单页面申请。",
		SMS:       "您的订单{{.order_id}}未按约定时间交付，可申请全额退款。",
		SMSParams: []string{"order_id"},
	}
	enSources[EventDeliveryBreached] = Source{
		Subject: "Order {{.order_id}} was not delivered on time",
		Text: "We are sorry: your order {{.order_id}} was not delivered by the agreed time ({{.deliver_by}} Beijing time). " +
			"Under agreement clause 2.2 you may cancel it for a full refund to the original payment account, whatever the product; " +
			"sign in and request it from the order page.",
		SMS:       "Order {{.order_id}} was not delivered on time; you may request a full refund.",
		SMSParams: []string{"order_id"},
	}
}
