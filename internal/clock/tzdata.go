package clock

import _ "time/tzdata" // Asia/Shanghai must load on hosts without zoneinfo.
