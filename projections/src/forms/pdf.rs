//! A [`Paper`] laid out on A4 and written as PDF.
//!
//! Layout first places every piece of text and every rule on its page (line
//! breaks, page breaks, table rows repeated headers), then krilla writes the
//! pages. Margins, sizes and spacing follow Nghị định 30/2020/NĐ-CP, Phụ lục I:
//! top and bottom 20 mm, left 30 mm, right 15 mm; body text 13 pt, the heading
//! 12–13 pt, the title 14 pt bold; 6 pt between paragraphs.

use std::sync::LazyLock;

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::text::{Font, TextDirection};

use super::{Block, Codes, Heading, Paper, RenderError, Signature, Span, Style, Table};

static REGULAR: &[u8] = include_bytes!("../../fonts/LiberationSerif-Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../fonts/LiberationSerif-Bold.ttf");
static ITALIC: &[u8] = include_bytes!("../../fonts/LiberationSerif-Italic.ttf");

/// Millimetres to points.
const MM: f32 = 72.0 / 25.4;
const A4: (f32, f32) = (210.0 * MM, 297.0 * MM);
const BODY: f32 = 13.0;
const LEADING: f32 = 1.2;
const PARAGRAPH_GAP: f32 = 6.0;
/// The blank left for a signature (and a seal) above the signer's name.
const SIGNING_SPACE: f32 = 44.0;

/// One face: what krilla embeds and what rustybuzz measures with.
struct Face {
    font: Font,
    shaper: rustybuzz::Face<'static>,
}

struct Faces {
    regular: Face,
    bold: Face,
    italic: Face,
}

impl Faces {
    fn load() -> Option<Self> {
        let face = |data: &'static [u8]| {
            Some(Face { font: Font::new(data.into(), 0)?, shaper: rustybuzz::Face::from_slice(data, 0)? })
        };
        Some(Self { regular: face(REGULAR)?, bold: face(BOLD)?, italic: face(ITALIC)? })
    }

    fn get(&self, style: Style) -> &Face {
        match style {
            Style::Regular => &self.regular,
            Style::Bold => &self.bold,
            Style::Italic => &self.italic,
        }
    }

    /// The advance of `text` in `style` at `size`, as the shaper sets it.
    fn width(&self, text: &str, style: Style, size: f32) -> f32 {
        let face = &self.get(style).shaper;
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.guess_segment_properties();
        let shaped = rustybuzz::shape(face, &[], buffer);
        let units: i32 = shaped.glyph_positions().iter().map(|p| p.x_advance).sum();
        units as f32 * size / f32::from(face.units_per_em() as u16)
    }
}

static FACES: LazyLock<Option<Faces>> = LazyLock::new(Faces::load);

/// What is drawn, in points from the page's top left corner.
#[derive(Debug, Clone)]
enum Mark {
    /// Text with its baseline's start.
    Text { x: f32, y: f32, text: String, style: Style, size: f32 },
    /// A filled rectangle (barcode bars, QR modules).
    Fill { x: f32, y: f32, w: f32, h: f32 },
    /// A thin rule.
    Rule { x1: f32, y1: f32, x2: f32, y2: f32 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Align {
    Left,
    Center,
}

/// A word of a paragraph: its pieces (a word may change style, as `An.`),
/// and whether a space or a line break comes before it.
#[derive(Debug, Default)]
struct Word {
    pieces: Vec<(String, Style)>,
    space_before: bool,
    break_before: bool,
}

/// A line laid out: pieces with their offsets from the line's start.
type Line = Vec<(f32, String, Style)>;

struct Layout<'f> {
    faces: &'f Faces,
    page: (f32, f32),
    left: f32,
    right: f32,
    top: f32,
    bottom: f32,
    pages: Vec<Vec<Mark>>,
    y: f32,
}

impl<'f> Layout<'f> {
    fn new(faces: &'f Faces, landscape: bool) -> Self {
        let page = if landscape { (A4.1, A4.0) } else { A4 };
        let (left, right) = if landscape { (20.0 * MM, page.0 - 15.0 * MM) } else { (30.0 * MM, page.0 - 15.0 * MM) };
        Self {
            faces,
            page,
            left,
            right,
            top: 20.0 * MM,
            bottom: page.1 - 20.0 * MM,
            pages: vec![Vec::new()],
            y: 20.0 * MM,
        }
    }

    fn width(&self) -> f32 {
        self.right - self.left
    }

    fn mark(&mut self, mark: Mark) {
        if let Some(page) = self.pages.last_mut() {
            page.push(mark);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = self.top;
    }

    /// Starts a new page unless `height` more fits on this one.
    fn room_for(&mut self, height: f32) {
        if self.y + height > self.bottom && self.y > self.top {
            self.new_page();
        }
    }

    fn words(spans: &[Span]) -> Vec<Word> {
        let mut words: Vec<Word> = Vec::new();
        let (mut space, mut brk, mut fresh) = (false, false, true);
        for span in spans {
            for ch in span.text.chars() {
                match ch {
                    ' ' | '\t' => space = true,
                    '\n' => brk = true,
                    _ => {
                        if space || brk || fresh {
                            words.push(Word { pieces: Vec::new(), space_before: space, break_before: brk });
                            (space, brk, fresh) = (false, false, false);
                        }
                        if let Some(word) = words.last_mut() {
                            match word.pieces.last_mut() {
                                Some((text, style)) if *style == span.style => text.push(ch),
                                _ => word.pieces.push((ch.to_string(), span.style)),
                            }
                        }
                    }
                }
            }
        }
        words
    }

    fn word_width(&self, word: &Word, size: f32) -> f32 {
        word.pieces.iter().map(|(text, style)| self.faces.width(text, *style, size)).sum()
    }

    /// Splits a word wider than `width` (a long link) into pieces that fit.
    fn split_long(&self, word: Word, size: f32, width: f32) -> Vec<Word> {
        if self.word_width(&word, size) <= width {
            return vec![word];
        }
        let mut parts = Vec::new();
        let mut current = Word { pieces: Vec::new(), space_before: word.space_before, break_before: word.break_before };
        let mut used = 0.0;
        for (text, style) in word.pieces {
            for ch in text.chars() {
                let advance = self.faces.width(ch.encode_utf8(&mut [0; 4]), style, size);
                if used + advance > width && !current.pieces.is_empty() {
                    parts.push(std::mem::replace(
                        &mut current,
                        Word { pieces: Vec::new(), space_before: false, break_before: true },
                    ));
                    used = 0.0;
                }
                used += advance;
                match current.pieces.last_mut() {
                    Some((piece, s)) if *s == style => piece.push(ch),
                    _ => current.pieces.push((ch.to_string(), style)),
                }
            }
        }
        parts.push(current);
        parts
    }

    /// Breaks `spans` into lines no wider than `width`, each with its width.
    fn wrap(&self, spans: &[Span], size: f32, width: f32) -> Vec<(Line, f32)> {
        let words: Vec<Word> = Self::words(spans).into_iter().flat_map(|w| self.split_long(w, size, width)).collect();
        let mut lines: Vec<(Line, f32)> = Vec::new();
        let mut line: Line = Vec::new();
        let mut x = 0.0;
        for word in words {
            let space = if word.space_before { self.faces.width(" ", Style::Regular, size) } else { 0.0 };
            let w = self.word_width(&word, size);
            let start_new = !line.is_empty() && (word.break_before || x + space + w > width);
            if start_new {
                lines.push((std::mem::take(&mut line), x));
                x = 0.0;
            } else if !line.is_empty() {
                x += space;
            }
            let joined = !start_new && word.space_before && !line.is_empty();
            for (n, (text, style)) in word.pieces.into_iter().enumerate() {
                let advance = self.faces.width(&text, style, size);
                match line.last_mut() {
                    // Same style as the line's last piece: one piece of text.
                    Some((_, last, s)) if *s == style => {
                        if n == 0 && joined {
                            last.push(' ');
                        }
                        last.push_str(&text);
                    }
                    _ => line.push((x, text, style)),
                }
                x += advance;
            }
        }
        if !line.is_empty() {
            lines.push((line, x));
        }
        lines
    }

    /// Sets `spans` from `x` in a column `width` wide, starting at `y`;
    /// returns where the text ends. Does not break pages.
    fn set_text(&mut self, spans: &[Span], size: f32, x: f32, width: f32, y: f32, align: Align) -> f32 {
        let mut y = y;
        for (line, line_width) in self.wrap(spans, size, width) {
            y += size * LEADING;
            let shift = if align == Align::Center { (width - line_width).max(0.0) / 2.0 } else { 0.0 };
            for (dx, text, style) in line {
                self.mark(Mark::Text { x: x + shift + dx, y: y - size * 0.25, text, style, size });
            }
        }
        y
    }

    /// A paragraph across the page, breaking pages between lines.
    fn paragraph(&mut self, spans: &[Span], indent: f32, align: Align, size: f32) {
        let width = self.width() - indent;
        for (line, line_width) in self.wrap(spans, size, width) {
            self.room_for(size * LEADING);
            self.y += size * LEADING;
            let shift = if align == Align::Center { (width - line_width).max(0.0) / 2.0 } else { 0.0 };
            for (dx, text, style) in line {
                let x = self.left + indent + shift + dx;
                self.mark(Mark::Text { x, y: self.y - size * 0.25, text, style, size });
            }
        }
        self.y += PARAGRAPH_GAP;
    }

    fn underline(&mut self, center: f32, width: f32, y: f32) {
        self.mark(Mark::Rule { x1: center - width / 2.0, y1: y, x2: center + width / 2.0, y2: y });
    }

    fn heading(&mut self, heading: &Heading) {
        let top = self.y;
        let split = self.width() * 0.42;
        let (lx, lw) = (self.left, split);
        let (rx, rw) = (self.left + split, self.width() - split);
        let mut left = top;
        if let Some(parent) = &heading.parent {
            left = self.set_text(&[Span::regular(parent.to_uppercase())], 12.0, lx, lw, left, Align::Center);
        }
        left = self.set_text(&[Span::bold(heading.unit.to_uppercase())], 12.0, lx, lw, left, Align::Center);
        self.underline(lx + lw / 2.0, lw / 3.0, left + 2.0);
        left += 4.0;
        if let Some(reference) = &heading.reference {
            left = self.set_text(&[Span::regular(reference.clone())], 11.0, lx, lw, left, Align::Center);
        }
        let mut right =
            self.set_text(&[Span::bold("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")], 12.0, rx, rw, top, Align::Center);
        let motto = "Độc lập - Tự do - Hạnh phúc";
        right = self.set_text(&[Span::bold(motto)], 13.0, rx, rw, right, Align::Center);
        let motto_width = self.faces.width(motto, Style::Bold, 13.0);
        self.underline(rx + rw / 2.0, motto_width, right + 2.0);
        right = self.set_text(&[Span::italic(heading.date_line.clone())], 13.0, rx, rw, right + 8.0, Align::Center);
        self.y = left.max(right) + 18.0;
    }

    fn table(&mut self, table: &Table, size: f32) {
        let width = self.width();
        let columns: Vec<(f32, f32)> = {
            let total: f32 = table.widths.iter().sum::<f32>().max(f32::EPSILON);
            let mut x = self.left;
            table
                .widths
                .iter()
                .map(|share| {
                    let w = width * share / total;
                    x += w;
                    (x - w, w)
                })
                .collect()
        };
        let pad = 3.0;
        let header: Vec<Span> = table.header.iter().map(|h| Span::bold(h.clone())).collect();
        let header_cells: Vec<Vec<Span>> = header.into_iter().map(|s| vec![s]).collect();
        self.row(&header_cells, &columns, size, pad, Align::Center);
        for row in &table.rows {
            let cells: Vec<Vec<Span>> = row.iter().map(|c| vec![Span::regular(c.clone())]).collect();
            let height = self.row_height(&cells, &columns, size, pad);
            if self.y + height > self.bottom {
                self.new_page();
                self.row(&header_cells, &columns, size, pad, Align::Center);
            }
            self.row(&cells, &columns, size, pad, Align::Left);
        }
        self.y += PARAGRAPH_GAP;
    }

    fn row_height(&self, cells: &[Vec<Span>], columns: &[(f32, f32)], size: f32, pad: f32) -> f32 {
        let lines = cells
            .iter()
            .zip(columns)
            .map(|(cell, (_, w))| self.wrap(cell, size, w - 2.0 * pad).len().max(1))
            .max()
            .unwrap_or(1);
        lines as f32 * size * LEADING + 2.0 * pad
    }

    fn row(&mut self, cells: &[Vec<Span>], columns: &[(f32, f32)], size: f32, pad: f32, align: Align) {
        let height = self.row_height(cells, columns, size, pad);
        let top = self.y;
        for (cell, (x, w)) in cells.iter().zip(columns) {
            self.set_text(cell, size, x + pad, w - 2.0 * pad, top + pad, align);
        }
        let bottom = top + height;
        self.mark(Mark::Rule { x1: self.left, y1: top, x2: self.right, y2: top });
        self.mark(Mark::Rule { x1: self.left, y1: bottom, x2: self.right, y2: bottom });
        for (x, _) in columns {
            self.mark(Mark::Rule { x1: *x, y1: top, x2: *x, y2: bottom });
        }
        self.mark(Mark::Rule { x1: self.right, y1: top, x2: self.right, y2: bottom });
        self.y = bottom;
    }

    fn codes(&mut self, codes: &Codes) {
        let qr_module = 1.8;
        let qr_side = codes.qr.as_ref().map_or(0.0, |(qr, _)| (qr.size + 8) as f32 * qr_module);
        let bar_height = 40.0;
        let caption = 11.0;
        let height = qr_side.max(bar_height + 20.0 + caption * LEADING) + caption * LEADING;
        self.room_for(height);
        let top = self.y;
        // The barcode, with its quiet zones of ten modules.
        let available = self.width() - qr_side - 20.0;
        let module = (available / (codes.bars.len() + 20) as f32).min(1.2);
        let mut x = self.left + 10.0 * module;
        let bar_top = top + 12.0;
        for (n, bar) in codes.bars.iter().enumerate() {
            if *bar {
                self.mark(Mark::Fill { x: x + n as f32 * module, y: bar_top, w: module, h: bar_height });
            }
        }
        let bars_width = codes.bars.len() as f32 * module;
        let text_width = self.faces.width(&codes.bar_text, Style::Regular, caption);
        x += (bars_width - text_width) / 2.0;
        self.mark(Mark::Text {
            x,
            y: bar_top + bar_height + caption * LEADING,
            text: codes.bar_text.clone(),
            style: Style::Regular,
            size: caption,
        });
        if let Some((qr, qr_caption)) = &codes.qr {
            // The QR code, with its quiet zone of four modules.
            let qr_left = self.right - qr_side + 4.0 * qr_module;
            let qr_top = top + 4.0 * qr_module;
            for y in 0..qr.size {
                for x in 0..qr.size {
                    if qr.is_dark(x, y) {
                        self.mark(Mark::Fill {
                            x: qr_left + x as f32 * qr_module,
                            y: qr_top + y as f32 * qr_module,
                            w: qr_module,
                            h: qr_module,
                        });
                    }
                }
            }
            let caption_width = self.faces.width(qr_caption, Style::Italic, caption);
            self.mark(Mark::Text {
                x: self.right - qr_side / 2.0 - caption_width / 2.0,
                y: top + qr_side + caption,
                text: qr_caption.clone(),
                style: Style::Italic,
                size: caption,
            });
        }
        self.y = top + height + PARAGRAPH_GAP;
    }

    fn signatures(&mut self, signatures: &[Signature]) {
        // Title, note, the space to sign in, the name.
        self.room_for(6.0 + 13.0 * LEADING + 12.0 * LEADING + SIGNING_SPACE + 13.0 * LEADING);
        let count = signatures.len().max(1) as f32;
        let column = self.width() / count;
        let top = self.y + 6.0;
        let mut lowest = top;
        for (n, signature) in signatures.iter().enumerate() {
            // A single signer signs on the right, as the decree places it.
            let x = if signatures.len() == 1 { self.left + self.width() / 2.0 } else { self.left + column * n as f32 };
            let w = if signatures.len() == 1 { self.width() / 2.0 } else { column };
            let mut y = self.set_text(&[Span::bold(signature.title.clone())], 13.0, x, w, top, Align::Center);
            y = self.set_text(&[Span::italic(signature.note.clone())], 12.0, x, w, y, Align::Center);
            y += SIGNING_SPACE;
            if let Some(name) = &signature.name {
                y = self.set_text(&[Span::bold(name.clone())], 13.0, x, w, y, Align::Center);
            }
            lowest = lowest.max(y);
        }
        self.y = lowest + PARAGRAPH_GAP;
    }

    fn block(&mut self, block: &Block, table_size: f32) {
        match block {
            Block::Heading(heading) => self.heading(heading),
            Block::Title { title, subtitle } => {
                self.room_for(60.0);
                self.paragraph(&[Span::bold(title.clone())], 0.0, Align::Center, 14.0);
                if let Some(subtitle) = subtitle {
                    self.paragraph(&[Span::italic(subtitle.clone())], 0.0, Align::Center, BODY);
                }
                self.y += 6.0;
            }
            Block::Paragraph(spans) => self.paragraph(spans, 0.0, Align::Left, BODY),
            Block::Item(spans) => self.paragraph(spans, 10.0 * MM, Align::Left, BODY),
            Block::Table(table) => self.table(table, table_size),
            Block::Codes(codes) => self.codes(codes),
            Block::Signatures(signatures) => self.signatures(signatures),
        }
    }
}

/// The paper as a PDF document.
pub(super) fn render(paper: &Paper) -> Result<Vec<u8>, RenderError> {
    let faces = FACES.as_ref().ok_or_else(|| RenderError::Pdf("the embedded fonts cannot be read".into()))?;
    let mut layout = Layout::new(faces, paper.landscape);
    let table_size = if paper.landscape { 9.5 } else { 11.0 };
    for block in &paper.blocks {
        layout.block(block, table_size);
    }
    let (width, height) = layout.page;
    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!("Mẫu số {}: {}", paper.form.number(), paper.form.title_vi()))
            .language("vi".to_owned())
            .creator("Một cửa điện tử".to_owned()),
    );
    for marks in &layout.pages {
        let settings =
            PageSettings::from_wh(width, height).ok_or_else(|| RenderError::Pdf("the page has no size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for mark in marks {
            match mark {
                Mark::Text { x, y, text, style, size } => {
                    let font = faces.get(*style).font.clone();
                    surface.draw_text(Point::from_xy(*x, *y), font, *size, text, false, TextDirection::Auto);
                }
                Mark::Fill { x, y, w, h } => {
                    let mut path = PathBuilder::new();
                    if let Some(rect) = Rect::from_xywh(*x, *y, *w, *h) {
                        path.push_rect(rect);
                    }
                    if let Some(path) = path.finish() {
                        surface.draw_path(&path);
                    }
                }
                Mark::Rule { x1, y1, x2, y2 } => {
                    let mut path = PathBuilder::new();
                    path.move_to(*x1, *y1);
                    path.line_to(*x2, *y2);
                    if let Some(path) = path.finish() {
                        surface.set_fill(None);
                        surface.set_stroke(Some(Stroke { width: 0.6, ..Stroke::default() }));
                        surface.draw_path(&path);
                        surface.set_stroke(None);
                        surface.set_fill(Some(Fill::default()));
                    }
                }
            }
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| RenderError::Pdf(format!("{e:?}")))
}
