"""Risk control (风控): structured risk facts per customer, the qualification scorecard (资质评分), the risk rules
managers write, and what their firings decided (tags, alerts, approval routing, returns, the reject pool)."""
