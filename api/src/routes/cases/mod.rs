//! Cases (hồ sơ): filing, the commands of the lifecycle, the case as shown,
//! lists and work queues. One module per job:
//!
//! - [`requests`]: the request bodies;
//! - [`filing`]: `POST /cases`;
//! - [`commands`]: `POST /cases/{id}/{action}`;
//! - [`view`]: the case as shown, `GET /cases/{id}`;
//! - [`lists`]: lists, work queues and lookup by code, from the status view.

pub mod commands;
pub mod filing;
pub mod lists;
pub mod requests;
pub mod view;

pub use requests::ChannelDto;
pub use view::CaseView;

/// Registers the case endpoints.
pub fn configure(config: &mut utoipa_actix_web::service_config::ServiceConfig) {
    config
        .service(filing::create_case)
        .service(view::get_case)
        .service(commands::accept)
        .service(commands::refuse_at_reception)
        .service(commands::transfer)
        .service(commands::acknowledge_handover)
        .service(commands::record_appraisal)
        .service(commands::request_supplement)
        .service(commands::receive_supplement)
        .service(commands::request_payment)
        .service(commands::record_payment)
        .service(commands::submit_for_approval)
        .service(commands::approve)
        .service(commands::send_back)
        .service(commands::extend)
        .service(commands::pause)
        .service(commands::resume)
        .service(commands::refuse)
        .service(commands::withdraw)
        .service(commands::stop)
        .service(commands::record_result)
        .service(commands::return_result)
        .service(commands::add_comment)
        .service(commands::rate)
        .service(commands::attach_document);
}
