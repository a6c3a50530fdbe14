"""Direct debit (代扣): debit orders collected through a customer's authorisation, by WeChat papay or a
bank-card agreement, never twice for the same amount due."""
