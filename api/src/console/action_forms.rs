//! The forms of the actions a case page offers, one per action, each field
//! with its label.

use maud::{Markup, html};
use onestop_commands::catalog::Catalog;
use onestop_domain::ids::UnitCode;
use uuid::Uuid;

use super::actions::{ActionForm, Field};
use super::layout::csrf;

/// What every action form on a page shares.
#[derive(Debug)]
pub struct FormContext<'a> {
    pub case_id: Uuid,
    /// The case version shown: sent as the command's expected version.
    pub version: u64,
    pub csrf: &'a str,
    pub next_units: &'a [UnitCode],
    pub catalog: &'a Catalog,
}

/// One action as a disclosure with its form (the first open when it is the
/// only one, so the common path is one click).
pub fn action_form(form: &ActionForm, ctx: &FormContext<'_>, open: bool) -> Markup {
    let id = |name: &str| format!("{}-{name}", form.slug);
    html! {
        details.action open[open] {
            summary { (form.label) }
            form method="post" action={ "/cases/" (ctx.case_id) "/" (form.slug) } {
                (csrf(ctx.csrf))
                input type="hidden" name="version" value=(ctx.version);
                // A fresh key per page: a double click gives the command once.
                input type="hidden" name="once" value=(Uuid::new_v4());
                @for field in form.fields {
                    (field_markup(*field, &id, ctx))
                }
                @if form.weighty {
                    label.inline {
                        input type="checkbox" name="confirm" value="yes" required;
                        "Tôi xác nhận thực hiện thao tác này"
                    }
                    br;
                }
                button type="submit" class=[form.weighty.then_some("danger")] { (form.label) }
            }
        }
    }
}

fn field_markup(field: Field, id: &dyn Fn(&str) -> String, ctx: &FormContext<'_>) -> Markup {
    match field {
        Field::Text { name, label } => html! {
            label for=(id(name)) { (label) }
            textarea id=(id(name)) name=(name) required maxlength="4000" {}
        },
        Field::OptionalText { name, label } => html! {
            label for=(id(name)) { (label) }
            textarea id=(id(name)) name=(name) maxlength="4000" {}
        },
        Field::Lines { name, label } => html! {
            label for=(id(name)) { (label) }
            textarea id=(id(name)) name=(name) {}
        },
        Field::Amount { name, label } => html! {
            label for=(id(name)) { (label) }
            input id=(id(name)) type="number" name=(name) min="0" step="1000" required inputmode="numeric";
        },
        Field::Line { name, label, required } => html! {
            label for=(id(name)) { (label) }
            input id=(id(name)) type="text" name=(name) required[required] maxlength="200";
        },
        Field::Check { name, label } => html! {
            label.inline { input type="checkbox" name=(name) value="yes"; (label) }
        },
        Field::DateTime { name, label } => html! {
            label for=(id(name)) { (label) }
            input id=(id(name)) type="datetime-local" name=(name) required;
        },
        Field::NextUnit => html! {
            label for=(id("to_unit")) { "Chuyển đến đơn vị" }
            select id=(id("to_unit")) name="to_unit" required {
                @for unit in ctx.next_units {
                    option value=(unit) { (ctx.catalog.unit(unit).map_or_else(|| unit.to_string(), |u| u.name.clone())) }
                }
            }
        },
        Field::Proposal => html! {
            fieldset {
                legend { "Đề xuất" }
                label.inline { input type="radio" name="proposal" value="grant" required checked; "Giải quyết" }
                label.inline { input type="radio" name="proposal" value="refuse"; "Từ chối" }
            }
        },
        Field::ReturnMethod => html! {
            fieldset {
                legend { "Cách trả kết quả" }
                label.inline { input type="radio" name="method" value="at_desk" required checked; "Tại quầy" }
                label.inline { input type="radio" name="method" value="by_post"; "Qua bưu chính" }
                label.inline { input type="radio" name="method" value="online"; "Trực tuyến" }
            }
        },
        Field::Score => html! {
            label for=(id("score")) { "Mức độ hài lòng" }
            select id=(id("score")) name="score" required {
                option value="5" { "5 — Rất hài lòng" }
                option value="4" { "4 — Hài lòng" }
                option value="3" { "3 — Bình thường" }
                option value="2" { "2 — Chưa hài lòng" }
                option value="1" { "1 — Không hài lòng" }
            }
        },
        Field::Document { prefix, label } => {
            let name = |part: &str| format!("{prefix}_{part}");
            html! {
                fieldset {
                    legend { (label) }
                    label for=(id(&name("name"))) { "Tên tài liệu" }
                    input id=(id(&name("name"))) type="text" name=(name("name")) required maxlength="300";
                    label for=(id(&name("storage_ref"))) { "Nơi lưu (mã lưu trữ)" }
                    input id=(id(&name("storage_ref"))) type="text" name=(name("storage_ref")) required maxlength="500";
                    label for=(id(&name("sha256"))) { "Mã băm SHA-256 của tệp" }
                    input id=(id(&name("sha256"))) type="text" name=(name("sha256")) required pattern="[0-9a-fA-F]{64}" maxlength="64";
                    label for=(id(&name("media_type"))) { "Loại tệp" }
                    select id=(id(&name("media_type"))) name=(name("media_type")) {
                        option value="application/pdf" { "PDF" }
                        option value="image/jpeg" { "Ảnh JPEG" }
                        option value="image/png" { "Ảnh PNG" }
                    }
                    label for=(id(&name("size_bytes"))) { "Dung lượng (byte)" }
                    input id=(id(&name("size_bytes"))) type="number" name=(name("size_bytes")) min="0" value="0";
                }
            }
        }
    }
}
