// The open-redirect forms the sign-in redirect is tested with (unit, reliability and browser suites).
/** Every form that resolves to another host somewhere: tabs and newlines (dropped by the URL parser), backslashes, //, /\\, encoded and doubled. */
export const REDIRECT_BYPASSES = [
  '/\t/evil.example/x', '/\n/evil.example/x', '/\r\n/evil.example', '\t//evil.example', '//evil.example/', '///evil.example',
  '/\\evil.example', '\\\\evil.example', '\\/evil.example', '/\\/evil.example', '/\t\\evil.example', ' //evil.example',
  'https://evil.example/', 'http:evil.example', 'https:/evil.example', '//evil.example@dashboard.invalid', 'javascript:alert(1)',
  'data:text/html,x', '/.//evil.example', '/./\\evil.example', '/a/..//evil.example', '\u0000//evil.example', '/\u0009/evil.example',
  '//%65vil.example', '/%2F/evil.example'.replace('%2F', '/'), 'HTTP://evil.example', '/\\\\evil.example', '\\t//evil.example'.replace('\\t', '\t'),
];
