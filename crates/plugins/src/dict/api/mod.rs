//! The dict plugin's HTTP layer: thin handlers (extract, call one service function, wrap the
//! result in FBA's envelope), one file per FBA router (`dict_type.rs` is
//! `/api/v1/sys/dict-types/*`, `dict_data.rs` is `/api/v1/sys/dict-datas/*`), and [`DictApi`],
//! their OpenAPI paths with FBA's tags, summaries and operation ids. No SQL, no rules.

pub mod dict_data;
pub mod dict_type;

/// The OpenAPI paths of every dict route (under the default `/api/v1` prefix, as the
/// operation log looks titles up by `(method, pattern)`).
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(
        dict_type::all,
        dict_type::get_type,
        dict_type::list,
        dict_type::create,
        dict_type::update,
        dict_type::delete,
        dict_data::all,
        dict_data::get_data,
        dict_data::by_type_code,
        dict_data::list,
        dict_data::create,
        dict_data::update,
        dict_data::delete,
    ),
    components(schemas(fba_common::error::ErrorResponseModel))
)]
pub struct DictApi;
