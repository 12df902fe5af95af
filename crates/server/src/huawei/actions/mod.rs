//! One file per Huawei operation; each is registered in `huawei::post_action` (or the tag
//! routes of `huawei::route`). [`common`] holds what several of them share.

pub mod cancel_key_deletion;
pub mod common;
pub mod create_datakey;
pub mod create_datakey_without_plaintext;
pub mod create_key;
pub mod decrypt_data;
pub mod decrypt_datakey;
pub mod delete_imported_key_material;
pub mod describe_key;
pub mod disable_key;
pub mod enable_key;
pub mod encrypt_data;
pub mod encrypt_datakey;
pub mod gen_random;
pub mod generate_mac;
pub mod get_parameters_for_import;
pub mod get_publickey;
pub mod import_key_material;
pub mod list_keys;
pub mod schedule_key_deletion;
pub mod sign;
pub mod tags;
pub mod update_key_alias;
pub mod update_key_description;
pub mod verify;
pub mod verify_mac;
