//! The page shell: the header with the officer's menu, the main landmark,
//! the stylesheet; and the small formatting helpers every page uses.

use jiff::Timestamp;
use maud::{DOCTYPE, Markup, PreEscaped, html};
use onestop_domain::role::Role;

use super::session::Officer;

/// Where an officer can go, by role: (path, label).
fn menu(role: Role) -> &'static [(&'static str, &'static str)] {
    match role {
        Role::Reception => &[
            ("/desk", "Quầy tiếp nhận"),
            ("/work", "Việc của tôi"),
            ("/cases", "Tìm hồ sơ"),
            ("/lookup", "Tra cứu công khai"),
        ],
        Role::Specialist | Role::Approver => &[("/work", "Việc của tôi"), ("/cases", "Tìm hồ sơ")],
        Role::Leader => &[("/dashboard", "Bảng điều hành"), ("/work", "Việc của tôi"), ("/cases", "Tìm hồ sơ")],
        Role::Inspector => &[("/inspector", "Thanh tra"), ("/cases", "Tìm hồ sơ"), ("/dashboard", "Bảng điều hành")],
        Role::Statistician => &[("/dashboard", "Bảng điều hành"), ("/cases", "Tìm hồ sơ")],
        Role::Admin => &[
            ("/admin/units", "Đơn vị"),
            ("/admin/procedures", "Thủ tục"),
            ("/admin/users", "Người dùng"),
            ("/admin/calendar", "Lịch làm việc"),
            ("/dashboard", "Bảng điều hành"),
        ],
        Role::Feed => &[],
    }
}

/// The home page of a role: the first of its menu.
pub fn home_of(role: Role) -> &'static str {
    menu(role).first().map_or("/lookup", |(path, _)| path)
}

/// A signed-in page: header, menu (the current entry marked), content.
pub fn page(title: &str, officer: &Officer, current: &str, content: Markup) -> Markup {
    shell(
        title,
        html! {
            header.top {
                a.brand href="/" { "Một cửa điện tử" }
                nav aria-label="Chức năng" {
                    ul {
                        @for (path, label) in menu(officer.user.role) {
                            li {
                                @if *path == current {
                                    a href=(path) aria-current="page" { (label) }
                                } @else {
                                    a href=(path) { (label) }
                                }
                            }
                        }
                    }
                }
                div.who {
                    span { (officer.user.full_name) " · " (officer.user.role.title_vi()) }
                    form method="post" action="/sign-out" {
                        (csrf(&officer.csrf))
                        button.link type="submit" { "Đăng xuất" }
                    }
                }
            }
            main id="main" { (content) }
        },
        "",
    )
}

/// A page without the officer's menu (sign-in, public pages, failures).
pub fn bare(title: &str, content: Markup) -> Markup {
    shell(
        title,
        html! {
            header.top { a.brand href="/" { "Một cửa điện tử" } }
            main id="main" { (content) }
        },
        "",
    )
}

/// A public page in large type for the hall's touch screen.
pub fn kiosk(title: &str, content: Markup) -> Markup {
    shell(title, html! { main id="main" { (content) } }, "kiosk")
}

fn shell(title: &str, body: Markup, class: &str) -> Markup {
    html! {
        (DOCTYPE)
        html lang="vi" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — Một cửa điện tử" }
                link rel="stylesheet" href=(super::assets::STYLESHEET_PATH);
            }
            body class=[(!class.is_empty()).then_some(class)] {
                a.skip href="#main" { "Bỏ qua, đến nội dung chính" }
                (body)
            }
        }
    }
}

/// The hidden CSRF field every form carries.
pub fn csrf(token: &str) -> Markup {
    html! { input type="hidden" name=(super::session::CSRF_FIELD) value=(token); }
}

/// An instant as Vietnamese offices write it, in Vietnam's time: 16/03/2026 09:00.
pub fn when(at: Timestamp) -> String {
    let local = onestop_domain::calendar::local(at);
    format!("{:02}/{:02}/{} {:02}:{:02}", local.day(), local.month(), local.year(), local.hour(), local.minute())
}

/// An optional instant, or a dash.
pub fn when_or_dash(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "—".to_owned(), when)
}

/// A notice banner after an action (`role="status"`: read out by screen readers).
pub fn banner(kind: &str, text: Markup) -> Markup {
    let role = if kind == "error" { "alert" } else { "status" };
    html! { div class={ "banner " (kind) } role=(role) { (text) } }
}

/// Text already escaped or built by us.
pub fn raw(text: &str) -> PreEscaped<&str> {
    PreEscaped(text)
}
