//! Passwords at rest: a row's passwords are taken out of its payload and
//! stored only sealed (AES-256-GCM through the runtime's WebCrypto), under a
//! key derived from the provider's API key, which never goes to storage. The
//! runner opens them just before a send and erases them once the row is
//! settled. So the runner's database, its write-ahead log included, never
//! holds a password in clear; if the API key changes before a row is sent,
//! its password cannot be opened and the row fails instead of being created
//! without it.

use enlist_core::report::push_token;
use enlist_core::schema::{ObjectSchema, Type};
use sha2::{Digest, Sha256};
use worker::js_sys::{self, Array, Object, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;

/// Moves every password field the schema declares out of `value` (at any
/// depth, in objects and arrays of objects), as `(JSON Pointer, password)`.
///
/// ```
/// use enlist_worker::imports::secret::take_passwords;
/// let mut v = serde_json::json!({"email": "a@b.co", "password": "Sup3r-secret!"});
/// let taken = take_passwords(&enlist_core::partoo::SCHEMA, &mut v);
/// assert_eq!(taken, [("/password".to_string(), "Sup3r-secret!".to_string())]);
/// assert_eq!(v, serde_json::json!({"email": "a@b.co"}));
/// ```
pub fn take_passwords(
    schema: &ObjectSchema,
    value: &mut serde_json::Value,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    take(schema, value, &mut String::new(), &mut out);
    out
}

fn take(
    schema: &ObjectSchema,
    value: &mut serde_json::Value,
    path: &mut String,
    out: &mut Vec<(String, String)>,
) {
    let Some(object) = value.as_object_mut() else {
        return;
    };
    for field in schema.fields {
        let len = path.len();
        push_token(path, field.name);
        match &field.ty {
            Type::Password(_) => {
                if matches!(object.get(field.name), Some(serde_json::Value::String(_))) {
                    if let Some(serde_json::Value::String(p)) = object.remove(field.name) {
                        out.push((path.clone(), p));
                    }
                }
            }
            Type::Object(inner) => {
                if let Some(v) = object.get_mut(field.name) {
                    take(inner, v, path, out);
                }
            }
            Type::Array(array) => {
                if let (Type::Object(inner), Some(serde_json::Value::Array(items))) =
                    (&array.items, object.get_mut(field.name))
                {
                    for (i, item) in items.iter_mut().enumerate() {
                        let before = path.len();
                        push_token(path, &i.to_string());
                        take(inner, item, path, out);
                        path.truncate(before);
                    }
                }
            }
            _ => {}
        }
        path.truncate(len);
    }
}

/// Puts passwords back at their pointers (parents must exist, as
/// [`take_passwords`] left them).
///
/// ```
/// use enlist_worker::imports::secret::put_passwords;
/// let mut v = serde_json::json!({"email": "a@b.co"});
/// put_passwords(&mut v, &[("/password".to_string(), "x".to_string())]);
/// assert_eq!(v["password"], "x");
/// ```
pub fn put_passwords(value: &mut serde_json::Value, passwords: &[(String, String)]) {
    for (pointer, password) in passwords {
        let Some((parent, token)) = pointer.rsplit_once('/') else {
            continue;
        };
        let token = token.replace("~1", "/").replace("~0", "~");
        if let Some(serde_json::Value::Object(map)) = value.pointer_mut(parent) {
            map.insert(token, serde_json::Value::String(password.clone()));
        }
    }
}

/// The sealing key's bytes for an API key.
fn key_bytes(api_key: &str) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(b"enlist import passwords v1\0");
    hash.update(api_key.as_bytes());
    hash.finalize().into()
}

fn subtle() -> worker::Result<JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    Ok(Reflect::get(&crypto, &JsValue::from_str("subtle"))?)
}

async fn call(subtle: &JsValue, method: &str, args: &[JsValue]) -> worker::Result<JsValue> {
    let f: js_sys::Function = Reflect::get(subtle, &JsValue::from_str(method))?
        .dyn_into()
        .map_err(|_| worker::Error::RustError(format!("crypto.subtle.{method} is missing")))?;
    let list = Array::new();
    for a in args {
        list.push(a);
    }
    let promise: js_sys::Promise = f
        .apply(subtle, &list)?
        .dyn_into()
        .map_err(|_| worker::Error::RustError(format!("crypto.subtle.{method} gave no promise")))?;
    Ok(JsFuture::from(promise).await?)
}

async fn aes_key(subtle: &JsValue, api_key: &str) -> worker::Result<JsValue> {
    let raw = Uint8Array::from(&key_bytes(api_key)[..]);
    let algorithm = Object::new();
    Reflect::set(&algorithm, &"name".into(), &"AES-GCM".into())?;
    let usages = Array::of2(&"encrypt".into(), &"decrypt".into());
    call(
        subtle,
        "importKey",
        &[
            "raw".into(),
            raw.into(),
            algorithm.into(),
            false.into(),
            usages.into(),
        ],
    )
    .await
}

fn params(iv: &[u8]) -> worker::Result<JsValue> {
    let p = Object::new();
    Reflect::set(&p, &"name".into(), &"AES-GCM".into())?;
    Reflect::set(&p, &"iv".into(), &Uint8Array::from(iv).into())?;
    Ok(p.into())
}

/// Seals `plain` under the API key: base64 of a random 12-byte nonce and the
/// ciphertext with its tag.
pub async fn seal(api_key: &str, plain: &str) -> worker::Result<String> {
    let subtle = subtle()?;
    let key = aes_key(&subtle, api_key).await?;
    let mut iv = [0u8; 12];
    crate::random_bytes(&mut iv)?;
    let data = Uint8Array::from(plain.as_bytes());
    let sealed = call(&subtle, "encrypt", &[params(&iv)?, key, data.into()]).await?;
    let mut out = iv.to_vec();
    out.extend(js_sys::Uint8Array::new(&sealed).to_vec());
    Ok(base64(&out))
}

/// Opens what [`seal`] made with the same API key; `None` when it cannot
/// (another key, damaged data).
pub async fn open(api_key: &str, sealed: &str) -> Option<String> {
    let bytes = unbase64(sealed)?;
    if bytes.len() < 12 + 16 {
        return None;
    }
    let subtle = subtle().ok()?;
    let key = aes_key(&subtle, api_key).await.ok()?;
    let data = Uint8Array::from(&bytes[12..]);
    let plain = call(
        &subtle,
        "decrypt",
        &[params(&bytes[..12]).ok()?, key, data.into()],
    )
    .await
    .ok()?;
    String::from_utf8(js_sys::Uint8Array::new(&plain).to_vec()).ok()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn base64(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// The bytes of [`base64`] text; `None` for anything else.
pub fn unbase64(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for chunk in text.chunks(4) {
        let mut n = 0u32;
        let mut pad = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = match c {
                b'=' if i >= 2 => {
                    pad += 1;
                    0
                }
                _ if pad > 0 => return None,
                _ => ALPHABET.iter().position(|&a| a == c)? as u32,
            };
            n = (n << 6) | v;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for len in 0..40 {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            let text = base64(&bytes);
            assert_eq!(unbase64(&text), Some(bytes), "{text}");
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
        for bad in ["Zm8", "Zm=8", "Z!==", "===="] {
            assert_eq!(unbase64(bad), None, "{bad}");
        }
    }

    #[test]
    fn passwords_come_out_and_go_back() {
        let schema = &enlist_core::partoo::SCHEMA;
        let original =
            serde_json::json!({"email": "a@b.co", "first_name": "A", "password": "p/w~1"});
        let mut v = original.clone();
        let taken = take_passwords(schema, &mut v);
        assert!(v.get("password").is_none());
        put_passwords(&mut v, &taken);
        assert_eq!(v, original);
        let mut none = serde_json::json!({"email": "a@b.co"});
        assert!(take_passwords(schema, &mut none).is_empty());
        let mut not_text = serde_json::json!({"password": 5});
        assert!(take_passwords(schema, &mut not_text).is_empty());
        assert_eq!(not_text, serde_json::json!({"password": 5}));
    }

    #[test]
    fn keys_differ_per_api_key() {
        assert_ne!(key_bytes("a"), key_bytes("b"));
        assert_eq!(key_bytes("a"), key_bytes("a"));
    }
}
