//! Addresses the product hands out: the public lookup link printed on
//! receipts (its QR code) and sent in notices, which opens the console's
//! lookup page filled in.

/// The console's public lookup page.
pub const LOOKUP_PATH: &str = "/lookup";

/// What a query value keeps as is: RFC 3986's unreserved characters.
const QUERY_VALUE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes a query value.
pub fn url_encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

/// The address that opens the public lookup filled in with `code` and `secret`.
pub fn lookup_link(public_url: &str, code: &str, secret: &str) -> String {
    format!("{public_url}{LOOKUP_PATH}?code={}&secret={}", url_encode(code), url_encode(secret))
}
