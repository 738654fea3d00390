//! The machine-readable codes printed on forms, as modules: a Code 128
//! barcode of the case code (what desk scanners read) and a QR code of the
//! public lookup link (what phones read).

use qrcodegen::{QrCode, QrCodeEcc};

/// A QR symbol's dark modules, row by row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrModules {
    pub size: usize,
    pub dark: Vec<bool>,
}

impl QrModules {
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        self.dark.get(y * self.size + x).copied().unwrap_or(false)
    }
}

/// Why a code could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("{0:?} cannot be written in Code 128")]
    Barcode(String),
    #[error("the lookup link is too long for a QR code")]
    TooLong,
}

/// Code 128 modules of `text` (code set B: printable ASCII), start, check and
/// stop symbols included.
pub fn code128(text: &str) -> Result<Vec<bool>, CodeError> {
    // barcoders picks the code set from a leading marker: Ɓ is set B.
    let symbol =
        barcoders::sym::code128::Code128::new(format!("Ɓ{text}")).map_err(|_| CodeError::Barcode(text.to_owned()))?;
    Ok(symbol.encode().into_iter().map(|module| module == 1).collect())
}

/// QR modules of `text` at error correction level M (15 %: a receipt that
/// was folded or stamped still reads).
pub fn qr(text: &str) -> Result<QrModules, CodeError> {
    let code = QrCode::encode_text(text, QrCodeEcc::Medium).map_err(|_| CodeError::TooLong)?;
    let size = usize::try_from(code.size()).unwrap_or(0);
    let side = code.size();
    let dark = (0..side).flat_map(|y| (0..side).map(move |x| (x, y))).map(|(x, y)| code.get_module(x, y)).collect();
    Ok(QrModules { size, dark })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_case_code_is_a_code_128_symbol() {
        let bars = code128("000.00.01.H22-261202-0001").unwrap();
        // Start, 25 characters, check: 11 modules each; stop: 13.
        assert_eq!(bars.len(), 27 * 11 + 13);
        assert!(bars[0] && bars[bars.len() - 1]);
    }

    #[test]
    fn a_link_is_a_square_qr_symbol() {
        let modules = qr("https://motcua.example.vn/api/v1/public/lookup?code=X&secret=Y").unwrap();
        assert!(modules.size >= 21);
        assert_eq!(modules.dark.len(), modules.size * modules.size);
        // The finder pattern's corner.
        assert!(modules.is_dark(0, 0));
    }
}
