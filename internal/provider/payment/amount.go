package payment

import (
	"fmt"
	"time"

	"yuanxu/internal/money"
)

// ParseAmount reads an amount a gateway wrote in yuan ("0.01", "12.30",
// "100") into fen with money.ParseYuan — never through a float. It refuses
// what money.ParseYuan refuses (signs, exponents, spaces, three decimals…)
// and anything above MaxAmount.
func ParseAmount(s string) (money.Fen, error) {
	f, err := money.ParseYuan(s)
	if err != nil {
		return 0, fmt.Errorf("payment: amount %q: %w", s, err)
	}
	if f > MaxAmount {
		return 0, fmt.Errorf("payment: amount %q above the gateway maximum", s)
	}
	return f, nil
}

// ParseSignedAmount is ParseAmount that also accepts a leading "-" (bill
// files write refunds as negative amounts); the result is within
// ±MaxAmount.
func ParseSignedAmount(s string) (money.Fen, error) {
	f, err := money.ParseSignedYuan(s, money.DefaultField)
	if err != nil {
		return 0, fmt.Errorf("payment: amount %q: %w", s, err)
	}
	if f > MaxAmount || f < -MaxAmount {
		return 0, fmt.Errorf("payment: amount %q beyond the gateway maximum", s)
	}
	return f, nil
}

// China is UTC+08:00, the zone both gateways write their times in (China
// has kept no daylight saving time since 1991, so a fixed zone is exact
// for every date a gateway can mention).
var China = time.FixedZone("CST", 8*3600)

// BillDate is day's date in China, the way both bill APIs name a day.
func BillDate(day time.Time) string { return day.In(China).Format(time.DateOnly) }
