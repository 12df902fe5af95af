//! One file per Huawei operation; each is registered in `huawei::post_action` (or the tag
//! routes of `huawei::route`). [`common`] holds what several of them share.

pub mod common;
pub mod create_key;
pub mod delete_imported_key_material;
pub mod describe_key;
pub mod gen_random;
pub mod generate_mac;
pub mod get_parameters_for_import;
pub mod import_key_material;
pub mod tags;
pub mod verify_mac;
