// Amounts are shown in yuan from integer fen (or the API's two-decimal yuan strings) without floating point.
const {yuan, yuanText} = require('../utils/money')

test('fen are shown as yuan with thousands separators, exactly', () => {
  expect(yuan(0)).toBe('0.00')
  expect(yuan(1)).toBe('0.01')
  expect(yuan(18000005)).toBe('180,000.05')
  expect(yuan(-200000)).toBe('-2,000.00')
  expect(yuan(Number.MAX_SAFE_INTEGER)).toBe('90,071,992,547,409.91')
  expect(yuan(null)).toBe('')
  expect(yuan(0.1 + 0.2)).toBe('') // not fen: nothing is shown rather than a rounded guess
})

test('the API\'s yuan strings are shown the same way', () => {
  expect(yuanText('300.00')).toBe('300.00')
  expect(yuanText('1234.5')).toBe('1,234.50')
  expect(yuanText('10')).toBe('10.00')
  expect(yuanText('-0.07')).toBe('-0.07')
  expect(yuanText('abc')).toBe('abc')
})
