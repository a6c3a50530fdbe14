"""Direct-debit authorisations (代扣授权): a bank card bound with an SMS code, or a WeChat papay contract."""
