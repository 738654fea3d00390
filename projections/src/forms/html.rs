//! A [`Paper`] as a self-contained printable HTML page: A4 by CSS `@page`,
//! Times New Roman (or its metric twin Liberation Serif) where the browser
//! has it, the codes as inline SVG. Nothing is fetched from elsewhere.

use std::fmt::Write as _;

use super::{Block, Codes, Heading, Paper, Signature, Span, Style, Table};

const STYLE: &str = "\
@page{size:A4;margin:20mm 15mm 20mm 30mm}\
@page landscape{size:A4 landscape;margin:20mm 15mm 20mm 20mm}\
body{font-family:'Times New Roman','Liberation Serif',serif;font-size:13pt;line-height:1.3;color:#000;\
max-width:165mm;margin:0 auto}\
body.landscape{page:landscape;max-width:262mm}\
.heading{display:flex;justify-content:space-between;text-align:center;margin-bottom:18pt}\
.heading .unit{width:42%;font-size:12pt}.heading .nation{width:58%}\
.heading .nation .country{font-weight:bold;font-size:12pt}\
.heading .nation .motto{font-weight:bold;display:inline-block;border-bottom:1px solid #000}\
.heading .date{font-style:italic;margin-top:8pt}\
.heading .name{font-weight:bold;display:inline-block;border-bottom:1px solid #000}\
h1{font-size:14pt;text-align:center;margin:0 0 6pt}.subtitle{text-align:center;font-style:italic}\
p{margin:0 0 6pt}p.item{margin-left:10mm}\
table.grid{border-collapse:collapse;width:100%;font-size:11pt;margin-bottom:6pt}\
body.landscape table.grid{font-size:9.5pt}\
table.grid th,table.grid td{border:1px solid #000;padding:3pt;vertical-align:top;white-space:pre-line}\
.codes{display:flex;justify-content:space-between;align-items:flex-start;margin:6pt 0}\
.codes figure{margin:0;text-align:center;font-size:11pt}.codes figcaption{font-style:italic}\
.signatures{display:flex;justify-content:space-around;text-align:center;margin-top:6pt}\
.signatures.single{justify-content:flex-end}.signatures div{width:50%}\
.signatures .note{font-style:italic;font-size:12pt;margin-bottom:60pt}\
@media print{body{max-width:none}}";

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn spans(out: &mut String, spans: &[Span]) {
    for span in spans {
        let text = escape(&span.text);
        match span.style {
            Style::Regular => out.push_str(&text),
            Style::Bold => {
                let _ = write!(out, "<b>{text}</b>");
            }
            Style::Italic => {
                let _ = write!(out, "<i>{text}</i>");
            }
        }
    }
}

fn heading(out: &mut String, heading: &Heading) {
    out.push_str("<header class=\"heading\"><div class=\"unit\">");
    if let Some(parent) = &heading.parent {
        let _ = write!(out, "<div>{}</div>", escape(&parent.to_uppercase()));
    }
    let _ = write!(out, "<div class=\"name\">{}</div>", escape(&heading.unit.to_uppercase()));
    if let Some(reference) = &heading.reference {
        let _ = write!(out, "<div>{}</div>", escape(reference));
    }
    let _ = write!(
        out,
        "</div><div class=\"nation\"><div class=\"country\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</div>\
         <div class=\"motto\">Độc lập - Tự do - Hạnh phúc</div><div class=\"date\">{}</div></div></header>",
        escape(&heading.date_line)
    );
}

fn table(out: &mut String, table: &Table) {
    let total: f32 = table.widths.iter().sum::<f32>().max(f32::EPSILON);
    out.push_str("<table class=\"grid\"><colgroup>");
    for share in &table.widths {
        let _ = write!(out, "<col style=\"width:{:.1}%\">", share / total * 100.0);
    }
    out.push_str("</colgroup><thead><tr>");
    for cell in &table.header {
        let _ = write!(out, "<th scope=\"col\">{}</th>", escape(cell));
    }
    out.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        out.push_str("<tr>");
        for cell in row {
            let _ = write!(out, "<td>{}</td>", escape(cell));
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>");
}

fn codes(out: &mut String, codes: &Codes) {
    let quiet = 10;
    let width = codes.bars.len() + 2 * quiet;
    let _ = write!(
        out,
        "<div class=\"codes\"><figure><svg role=\"img\" aria-label=\"Mã vạch {code}\" width=\"{px}\" height=\"56\" \
         viewBox=\"0 0 {width} 40\" preserveAspectRatio=\"none\" shape-rendering=\"crispEdges\"><path d=\"",
        code = escape(&codes.bar_text),
        px = width * 2,
    );
    for (n, bar) in codes.bars.iter().enumerate() {
        if *bar {
            let _ = write!(out, "M{} 0h1v40h-1z", n + quiet);
        }
    }
    let _ = write!(out, "\"/></svg><figcaption>{}</figcaption></figure>", escape(&codes.bar_text));
    if let Some((qr, caption)) = &codes.qr {
        let side = qr.size + 8;
        let _ = write!(
            out,
            "<figure><svg role=\"img\" aria-label=\"Mã QR tra cứu hồ sơ\" width=\"{px}\" height=\"{px}\" \
             viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\"><path d=\"",
            px = side * 3,
        );
        for y in 0..qr.size {
            for x in 0..qr.size {
                if qr.is_dark(x, y) {
                    let _ = write!(out, "M{} {}h1v1h-1z", x + 4, y + 4);
                }
            }
        }
        let _ = write!(out, "\"/></svg><figcaption>{}</figcaption></figure>", escape(caption));
    }
    out.push_str("</div>");
}

fn signatures(out: &mut String, signatures: &[Signature]) {
    let class = if signatures.len() == 1 { "signatures single" } else { "signatures" };
    let _ = write!(out, "<section class=\"{class}\">");
    for signature in signatures {
        let _ = write!(
            out,
            "<div><b>{}</b><div class=\"note\">{}</div><b>{}</b></div>",
            escape(&signature.title),
            escape(&signature.note),
            escape(signature.name.as_deref().unwrap_or(""))
        );
    }
    out.push_str("</section>");
}

/// The paper as an HTML document.
pub(super) fn render(paper: &Paper) -> String {
    let mut out = String::with_capacity(16 * 1024);
    let class = if paper.landscape { " class=\"landscape\"" } else { "" };
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"vi\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Mẫu số {}: {}</title><style>{STYLE}</style></head><body{class}>",
        paper.form.number(),
        escape(paper.form.title_vi())
    );
    for block in &paper.blocks {
        match block {
            Block::Heading(h) => heading(&mut out, h),
            Block::Title { title, subtitle } => {
                let _ = write!(out, "<h1>{}</h1>", escape(title));
                if let Some(subtitle) = subtitle {
                    let _ = write!(out, "<p class=\"subtitle\">{}</p>", escape(subtitle));
                }
            }
            Block::Paragraph(s) => {
                out.push_str("<p>");
                spans(&mut out, s);
                out.push_str("</p>");
            }
            Block::Item(s) => {
                out.push_str("<p class=\"item\">");
                spans(&mut out, s);
                out.push_str("</p>");
            }
            Block::Table(t) => table(&mut out, t),
            Block::Codes(c) => codes(&mut out, c),
            Block::Signatures(s) => signatures(&mut out, s),
        }
    }
    out.push_str("</body></html>\n");
    out
}
