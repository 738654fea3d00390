//! The desk's forms (Thông tư 03/2025/TT-VPCP, Phụ lục I; DESIGN §4.5) as
//! PDF and printable HTML, from a case's events.
//!
//! A form is first written as a [`Paper`]: a short list of [`Block`]s (the
//! heading with Quốc hiệu and Tiêu ngữ, a title, paragraphs, tables, the
//! codes, the signatures). [`content`] writes the paper of each form; [`pdf`]
//! and [`html`] lay the same paper out, so the two formats cannot say
//! different things. Nothing here reads a clock, a random source or the
//! catalogue: what is printed comes from the [`CaseForm`] given, so the same
//! case version prints to the same bytes and a hash of them identifies the
//! document for archiving.
//!
//! Choices:
//! - PDF through **krilla** (the PDF writer of the Typst project): it embeds
//!   and subsets TrueType fonts with a ToUnicode map, so Vietnamese text
//!   extracts and searches correctly, and its output is deterministic (the
//!   document id is a hash of the content, no creation time is written).
//! - Text is measured with **rustybuzz** (the shaper krilla draws with), so
//!   line breaks fall where the drawn glyphs end.
//! - The typeface is **Liberation Serif** (SIL OFL 1.1, `projections/fonts/`),
//!   metric-compatible with Times New Roman, which Nghị định 30/2020/NĐ-CP
//!   prescribes for administrative documents, and covering every Vietnamese
//!   letter. It is compiled into the binary: nothing is read at run time.
//! - Code 128 through **barcoders** and QR through **qrcodegen** (Nayuki's
//!   reference implementation): both give the modules only, which both
//!   renderers draw as vector rectangles.
//!
//! The place name of the date line is left out: units do not record their
//! locality yet.

use onestop_domain::case::forms::{Form, FormFormat};
use onestop_domain::case::{CaseEvent, CaseState};
use onestop_domain::ids::{UnitCode, UserId};
use onestop_domain::personal::Applicant;

pub mod codes;
mod content;
mod html;
mod pdf;
pub mod register;

pub use content::{PaperError, case_paper};
pub use html::escape;
pub use register::{RegisterLine, register_paper};

/// A form's text, before it is laid out.
#[derive(Debug, Clone, PartialEq)]
pub struct Paper {
    /// The form's number and title, for the HTML title and the PDF metadata.
    pub form: Form,
    /// Landscape A4 (the register's wide table) instead of portrait.
    pub landscape: bool,
    pub blocks: Vec<Block>,
}

/// How a piece of text is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Style {
    Regular,
    Bold,
    Italic,
}

/// A run of text in one style.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    pub text: String,
    pub style: Style,
}

impl Span {
    pub fn regular(text: impl Into<String>) -> Self {
        Self { text: text.into(), style: Style::Regular }
    }

    pub fn bold(text: impl Into<String>) -> Self {
        Self { text: text.into(), style: Style::Bold }
    }

    pub fn italic(text: impl Into<String>) -> Self {
        Self { text: text.into(), style: Style::Italic }
    }
}

/// The top of an administrative document (Nghị định 30/2020, Phụ lục I):
/// the issuing body under its parent on the left, Quốc hiệu and Tiêu ngữ on
/// the right, and the date line under them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heading {
    pub parent: Option<String>,
    pub unit: String,
    /// `Mã hồ sơ: …` or another reference under the issuing body.
    pub reference: Option<String>,
    /// `ngày … tháng … năm …`.
    pub date_line: String,
}

/// A table with a header row; column widths are shares of the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub widths: Vec<f32>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// The receipt's codes: the case code as a Code 128 barcode and the lookup
/// link as a QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Codes {
    /// Code 128 modules, `true` for a bar, quiet zones not included.
    pub bars: Vec<bool>,
    pub bar_text: String,
    /// QR modules of the lookup link with their caption (none when the
    /// secret cannot be reprinted).
    pub qr: Option<(codes::QrModules, String)>,
}

/// A signature place: who signs, a note in italics, and the name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub title: String,
    pub note: String,
    pub name: Option<String>,
}

/// One part of a form, top to bottom.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    Heading(Heading),
    Title {
        title: String,
        subtitle: Option<String>,
    },
    Paragraph(Vec<Span>),
    /// A paragraph set in from the left, for the items of a list.
    Item(Vec<Span>),
    Table(Table),
    Codes(Codes),
    Signatures(Vec<Signature>),
}

/// Names the form prints for the codes events carry.
pub trait Names: std::fmt::Debug {
    fn unit(&self, code: &UnitCode) -> String;
    fn officer(&self, id: UserId) -> Option<String>;
}

/// The issuing body: the unit and the unit above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer {
    pub name: String,
    pub parent: Option<String>,
}

/// The public lookup printed on the receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    /// The link the QR code carries, with the code and the secret.
    pub url: String,
    /// The secret as printed, for a lookup typed by hand.
    pub secret: String,
}

/// One event of the case with who did it, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub event: CaseEvent,
    pub actor_name: Option<String>,
}

/// Everything a case's form prints: the case up to the version asked for and
/// the names its codes stand for.
#[derive(Debug)]
pub struct CaseForm<'a> {
    pub case: &'a CaseState,
    /// The events up to the version printed, oldest first.
    pub history: &'a [Entry],
    pub issuer: Issuer,
    pub procedure_name: String,
    /// `None` once the applicant's data was erased.
    pub applicant: Option<&'a Applicant>,
    pub lookup: Option<Lookup>,
    pub names: &'a dyn Names,
}

/// Why a paper could not be printed.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("the PDF could not be written: {0}")]
    Pdf(String),
}

/// The paper laid out in `format`.
pub fn render(paper: &Paper, format: FormFormat) -> Result<Vec<u8>, RenderError> {
    match format {
        FormFormat::Pdf => pdf::render(paper),
        FormFormat::Html => Ok(html::render(paper).into_bytes()),
    }
}

/// The media type of `format`.
pub fn media_type(format: FormFormat) -> &'static str {
    match format {
        FormFormat::Pdf => "application/pdf",
        FormFormat::Html => "text/html; charset=utf-8",
    }
}
