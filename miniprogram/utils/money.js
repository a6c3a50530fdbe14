// Money arrives from the API as integer fen (or as yuan strings with two decimals) and is shown in yuan.
// No floating point touches an amount.

function yuan(fen) {
  if (fen === null || fen === undefined || fen === '') return ''
  const n = typeof fen === 'number' ? fen : parseInt(fen, 10)
  if (!Number.isSafeInteger(n)) return ''
  const sign = n < 0 ? '-' : ''
  const abs = Math.abs(n)
  const whole = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')
  const cents = String(abs % 100).padStart(2, '0')
  return `${sign}${whole}.${cents}`
}

// "1234.5" (yuan, as the API writes Decimal amounts) -> "1,234.50"
function yuanText(text) {
  if (text === null || text === undefined || text === '') return ''
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(String(text))
  if (!m) return String(text)
  return yuan(parseInt(`${m[1]}${m[2]}${(m[3] || '').padEnd(2, '0')}`, 10))
}

module.exports = {yuan, yuanText}
